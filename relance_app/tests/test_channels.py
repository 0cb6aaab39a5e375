"""Payment schedules, phone stages, account statements and ERPNext Dunning documents."""

from contextlib import contextmanager

import frappe
from frappe.utils import add_days, flt, getdate, today

from relance_app.tests.test_run import RelanceRunCase, run
from relance_app.tests.utils import (
	company,
	flush_queue,
	logs_of,
	make_invoice,
	policy_copy,
	settings_changed,
	unique,
)

TODAY = getdate(today())


@contextmanager
def company_holidays(*days):
	"""The company's holiday list names `days` (and nothing else within a month of today), and the
	run keeps to business days; everything is put back afterwards."""
	holiday_list = frappe.get_doc(
		{
			"doctype": "Holiday List",
			"holiday_list_name": unique("Fériés"),
			"from_date": add_days(TODAY, -30),
			"to_date": add_days(TODAY, 30),
			"holidays": [{"holiday_date": d, "description": "Jour férié"} for d in days],
		}
	).insert()
	previous = frappe.db.get_value("Company", company(), "default_holiday_list")
	frappe.db.set_value("Company", company(), "default_holiday_list", holiday_list.name)
	try:
		with settings_changed("Relance Settings", {"business_days_only": 1}):
			yield holiday_list
	finally:
		frappe.db.set_value("Company", company(), "default_holiday_list", previous)
		frappe.db.commit()  # nosemgrep


class TestChannels(RelanceRunCase):
	def test_payment_schedule_is_chased_for_the_overdue_instalment(self):
		customer, address = self.customer()
		si = make_invoice(
			customer,
			add_days(TODAY, 20),
			amount=1000,
			posting_date=add_days(TODAY, -40),
			payment_schedule=[
				{"due_date": add_days(TODAY, -10), "invoice_portion": 40, "payment_amount": 400},
				{"due_date": add_days(TODAY, 20), "invoice_portion": 60, "payment_amount": 600},
			],
		)
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		row = frappe.db.get_value(
			"Relance Log", log.name, ["amount_due", "due_date", "days_late"], as_dict=True
		)
		self.assertEqual(
			(flt(row.amount_due), getdate(row.due_date), row.days_late), (400.0, add_days(TODAY, -10), 10)
		)
		flush_queue()
		[mail] = self.smtp.to(address)
		self.assertTrue("400,00" in mail.body_text(), "the overdue instalment is the amount asked")

	def test_phone_stage_assigns_a_call(self):
		customer, _ = self.customer()
		policy_copy(customer, {1: {"channel": "Phone task", "email_template": None}})
		si = make_invoice(customer, add_days(TODAY, -10))
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		self.assertEqual(log.status, "Sent")
		todo = frappe.db.get_value("Relance Log", log.name, "todo")
		self.assertIn(si.name, frappe.db.get_value("ToDo", todo, "description"))
		self.assertEqual(flush_queue(), 0)

	def test_statement_attached_and_erpnext_dunning_created(self):
		customer, address = self.customer()
		policy_copy(customer, {1: {"attach_statement": 1, "create_dunning": 1}})
		si = make_invoice(customer, add_days(TODAY, -10))
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		dunning = frappe.db.get_value("Relance Log", log.name, "dunning")
		self.assertTrue(dunning)
		self.assertEqual(frappe.db.get_value("Dunning", dunning, "customer"), customer)
		flush_queue()
		[mail] = self.smtp.to(address)
		names = [n for n, _pdf in mail.pdfs()]
		self.assertEqual(len(names), 2, names)

	def test_email_carries_the_payment_requests_pay_link(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		url = f"https://pay.example/checkout/{unique('pr')}"
		request = frappe.get_doc(
			{
				"doctype": "Payment Request",
				"payment_request_type": "Inward",
				"transaction_date": TODAY,
				"company": company(),
				"party_type": "Customer",
				"party": customer,
				"reference_doctype": "Sales Invoice",
				"reference_name": si.name,
				"grand_total": si.grand_total,
				"currency": si.currency,
				"status": "Requested",
				"payment_url": url,
				"docstatus": 1,
			}
		)
		request.db_insert()  # as ERPNext leaves it once the gateway has answered
		run([si])
		flush_queue()
		[mail] = self.smtp.to(address)
		self.assertIn(url, mail.body_text())


class TestSchedule(RelanceRunCase):
	def test_nothing_goes_out_on_a_company_holiday_the_next_business_day_catches_up(self):
		customer, _ = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		with company_holidays(TODAY):
			result = run([si])
			self.assertIn(company(), result.get("non_business_day_companies", []), result)
			self.assertEqual(logs_of(si.name), [])
			run([si], as_of=add_days(TODAY, 1))
			self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])

	def test_scheduler_runs_once_a_day_from_the_run_hour(self):
		from unittest.mock import patch

		from frappe.utils import now_datetime

		from relance_app.run import daily as run_module

		calls = []
		hour = now_datetime().hour
		schedule = {"enabled": 1, "run_hour": 23 if hour < 23 else 0, "last_run_on": None}
		with (
			patch.object(run_module, "run_dunning", lambda as_of=None, **kw: calls.append(as_of)),
			settings_changed("Relance Settings", schedule, commit=True),  # scheduled_run commits
		):
			run_module.scheduled_run()
			self.assertEqual(calls, [] if hour < 23 else [now_datetime().date()])
			frappe.db.set_single_value("Relance Settings", {"run_hour": 0, "last_run_on": None})
			calls.clear()
			run_module.scheduled_run()
			run_module.scheduled_run()  # the same day again: nothing
			self.assertEqual(calls, [now_datetime().date()])

	def test_next_relance_date_falls_on_the_companys_next_business_day(self):
		from relance_app.run.preview import preview_next

		customer, _ = self.customer()
		si = make_invoice(customer, add_days(TODAY, -12))
		with company_holidays(add_days(TODAY, 7), add_days(TODAY, 8)):
			run([si])
			# Relance 1 today; Relance 2 is due in 7 days (min_days_between), a holiday, then another
			row = frappe.db.get_value(
				"Sales Invoice",
				si.name,
				["relance_last_stage", "relance_next_stage", "relance_next_date"],
				as_dict=True,
			)
			self.assertEqual(
				(row.relance_last_stage, row.relance_next_stage, getdate(row.relance_next_date)),
				("Relance 1", "Relance 2", getdate(add_days(TODAY, 9))),
			)
			self.assertEqual(getdate(preview_next(si.name)["date"]), getdate(add_days(TODAY, 9)))
