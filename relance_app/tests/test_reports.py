"""Relance Register, Overdue by Stage and the workspace cards on a known book: every figure is computed
here by hand from the book the test makes, and a user restricted to one company sees only it."""

import frappe
from frappe.utils import add_days, flt, getdate, today

from relance_app import api
from relance_app.analytics import cards as dashboard
from relance_app.relance.report.overdue_by_stage import overdue_by_stage
from relance_app.relance.report.relance_register import relance_register
from relance_app.tests.test_run import RelanceRunCase, run
from relance_app.tests.test_setup import make_user, second_company
from relance_app.tests.utils import company, default_policy, make_invoice, pay, policy_copy, unique

TODAY = getdate(today())


def register(**filters):
	return {r.sales_invoice: r for r in relance_register.execute(filters)[1]}


def credit_note(invoice: str):
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	cn = make_sales_return(invoice)
	cn.update_outstanding_for_self = 0  # the credit note settles the invoice it is against
	cn.insert(ignore_permissions=True)
	cn.submit()
	return cn


class TestReports(RelanceRunCase):
	def setUp(self):
		super().setUp()
		self.gap = frappe.db.get_value("Dunning Policy", default_policy(), "min_days_between")

	def book(self):
		"""One customer, one invoice per situation; returns {situation: invoice}."""
		customer, _ = self.customer()
		inv = {
			"not_due": make_invoice(customer, add_days(TODAY, 10), amount=1000),
			"relance_1": make_invoice(customer, add_days(TODAY, -10), amount=2000),
			"dispute": make_invoice(customer, add_days(TODAY, -40), amount=500),
			"promise": make_invoice(customer, add_days(TODAY, -70), amount=300),
			"partial": make_invoice(customer, add_days(TODAY, -100), amount=1000),
			"paid": make_invoice(customer, add_days(TODAY, -20), amount=800),
			"excluded": make_invoice(customer, add_days(TODAY, -5), amount=250),
			"credit_note": make_invoice(customer, add_days(TODAY, -35), amount=150),
			"formal": make_invoice(customer, add_days(TODAY, -50), amount=700),
		}
		run([inv["relance_1"], inv["paid"]])
		api.set_hold(inv["dispute"].name, "Dispute")
		api.record_payment_promise(inv["promise"].name, add_days(TODAY, 3))
		pay(inv["partial"].name, amount=400)
		pay(inv["paid"].name)
		inv["excluded"].db_set("relance_exclude", 1)
		credit_note(inv["credit_note"].name)
		log = frappe.get_doc(
			{
				"doctype": "Relance Log",
				"sales_invoice": inv["formal"].name,
				"customer": customer,
				"company": company(),
				"dunning_policy": default_policy(),
				"stage_name": "Mise en demeure",
				"channel": "Email and Letter",
				"status": "Sent",
				"relance_key": f"{inv['formal'].name}::Mise en demeure",
				"relance_date": add_days(TODAY, -2),
				"due_date": inv["formal"].due_date,
			}
		).insert(ignore_permissions=True)
		return customer, inv, log

	def test_register_row_per_open_invoice_with_its_procedure_and_relances(self):
		customer, inv, _log = self.book()
		rows = register(customer=customer)
		# open invoices only: the paid one and the one cancelled by its credit note are gone
		self.assertEqual(
			set(rows),
			{
				inv[k].name
				for k in ("not_due", "relance_1", "dispute", "promise", "partial", "excluded", "formal")
			},
		)
		expected = {
			# situation: (days late, ageing, outstanding, last stage, relances sent, procedure)
			"not_due": (-10, "Not due", 1000, None, 0, "Scheduled"),
			"relance_1": (10, "1-30", 2000, "Relance 1", 1, "Scheduled"),
			"dispute": (40, "31-60", 500, None, 0, "On Hold"),
			"promise": (70, "61-90", 300, None, 0, "Payment Promise"),
			"partial": (100, "90+", 600, None, 0, "Scheduled"),
			"excluded": (5, "1-30", 250, None, 0, "Excluded"),
			"formal": (50, "31-60", 700, "Mise en demeure", 1, "Formal Notice Sent"),
		}
		for key, (late, ageing, outstanding, stage, sent, procedure) in expected.items():
			r = rows[inv[key].name]
			self.assertEqual(
				(
					r.days_late,
					r.ageing,
					flt(r.outstanding_amount),
					r.last_stage,
					r.relances_sent,
					r.procedure,
				),
				(late, ageing, outstanding, stage, sent, procedure),
				key,
			)
			self.assertEqual(r.company, company())
			self.assertEqual(r.dunning_policy, default_policy())

		# next relance, from the same calendar as the run (every day a sending day in these tests)
		self.assertEqual(
			(rows[inv["not_due"].name].next_stage, rows[inv["not_due"].name].next_date),
			("Pré-relance", add_days(TODAY, 5)),
		)
		r1 = rows[inv["relance_1"].name]
		self.assertEqual((r1.last_date, r1.last_channel, r1.last_status), (TODAY, "Email", "Queued"))
		self.assertEqual(
			(r1.next_stage, getdate(r1.next_date)),
			("Relance 2", max(add_days(TODAY, 5), add_days(TODAY, self.gap))),
		)
		# after the promise (last day: today + 3) the run resumes with the first stage not acted on
		p = rows[inv["promise"].name]
		self.assertEqual((p.next_stage, getdate(p.next_date)), ("Relance 1", add_days(TODAY, 4)))
		self.assertIn(frappe.format(add_days(TODAY, 3), "Date"), p.procedure_detail)
		self.assertEqual(rows[inv["partial"].name].next_date, TODAY)  # Relance 1 is due today
		self.assertIsNone(rows[inv["dispute"].name].next_stage)  # a dispute holds until resumed
		self.assertIsNone(rows[inv["excluded"].name].next_stage)

		# the run's own view agrees: what is due today in the register is what a dry run plans
		plan = api.run_dunning(dry_run=True)
		planned = {
			a["sales_invoice"]: a["stage"]
			for a in plan["actions"]
			if a["customer"] == customer and a["stage"]
		}
		self.assertEqual(
			planned,
			{r.sales_invoice: r.next_stage for r in rows.values() if r.next_date == TODAY},
		)

	def test_register_filters_and_totals_per_currency(self):
		customer, inv, _log = self.book()
		usd = make_invoice(customer, add_days(TODAY, -45), amount=100, currency="USD", conversion_rate=0.9)
		rows = register(customer=customer, include_closed=1)
		self.assertIn(inv["paid"].name, rows)
		self.assertEqual(rows[inv["paid"].name].procedure, "Paid")
		self.assertIn(inv["credit_note"].name, rows)
		self.assertEqual(flt(rows[inv["credit_note"].name].outstanding_amount), 0)

		def names(**f):
			return set(register(customer=customer, **f))

		self.assertEqual(names(procedure="On Hold"), {inv["dispute"].name})
		self.assertEqual(names(procedure="Payment Promise"), {inv["promise"].name})
		self.assertEqual(names(stage="Relance 1"), {inv["relance_1"].name})
		self.assertEqual(names(ageing="31-60"), {inv["dispute"].name, inv["formal"].name, usd.name})
		self.assertEqual(
			names(days_late_from=60, days_late_to=100), {inv["promise"].name, inv["partial"].name}
		)
		self.assertEqual(names(currency="USD"), {usd.name})
		self.assertEqual(
			names(from_due_date=add_days(TODAY, -12), to_due_date=add_days(TODAY, 10)),
			{inv["not_due"].name, inv["relance_1"].name, inv["excluded"].name},
		)
		self.assertEqual(len(names(stage="-")), 6)  # not chased yet: all but relance_1 and formal
		self.assertEqual(names(dunning_policy="No Such Policy"), set())

		summary = relance_register.execute({"customer": customer})[4]
		values = {s["label"]: s["value"] for s in summary}
		# the USD invoice is receivable on the company's EUR account: ERPNext keeps its outstanding in
		# that account's currency (100 USD x 0.9), and so do the register and its totals
		eur = 1000 + 2000 + 500 + 300 + 600 + 250 + 700 + 90
		self.assertEqual(values["Outstanding (EUR, 8 invoices)"], eur)
		self.assertEqual(values["Invoices"], 8)
		r = rows[usd.name]
		self.assertEqual(
			(r.currency, r.grand_total, r.party_account_currency, r.outstanding_amount),
			("USD", 100, "EUR", 90),
		)

	def test_overdue_by_stage_cells_and_chart(self):
		customer, inv, _log = self.book()
		_columns, data, _msg, chart = overdue_by_stage.execute({"customer": customer})
		cells = {(r["company"], r["currency"], r["stage"]): r for r in data}
		none = cells[(company(), "EUR", "-")]
		# not chased yet: not_due (not due), excluded (1-30), dispute (31-60), promise (61-90), partial (90+)
		self.assertEqual(
			[
				(none[f"count_{b}"], none[f"amount_{b}"])
				for b in ("not_due", "1_30", "31_60", "61_90", "90_plus")
			],
			[(1, 1000), (1, 250), (1, 500), (1, 300), (1, 600)],
		)
		self.assertEqual((none["count_total"], none["amount_total"]), (5, 2650))
		r1 = cells[(company(), "EUR", "Relance 1")]
		self.assertEqual((r1["count_1_30"], r1["amount_1_30"], r1["count_total"]), (1, 2000, 1))
		med = cells[(company(), "EUR", "Mise en demeure")]
		self.assertEqual((med["count_31_60"], med["amount_31_60"]), (1, 700))
		self.assertEqual([r["stage"] for r in data], ["-", "Relance 1", "Mise en demeure"])  # policy order
		self.assertEqual(
			chart["data"]["labels"], ["Not due", "1-30 days", "31-60 days", "61-90 days", "90+ days"]
		)
		self.assertEqual(
			{d["name"]: d["values"] for d in chart["data"]["datasets"]},
			{
				"No relance yet": [1000, 250, 500, 300, 600],
				"Relance 1": [0, 2000, 0, 0, 0],
				"Mise en demeure": [0, 0, 700, 0, 0],
			},
		)

		# a cell opens the register filtered on it: the same invoices
		self.assertEqual(set(register(customer=customer, stage="-", ageing="31-60")), {inv["dispute"].name})

	def test_user_restricted_to_one_company_sees_only_it(self):
		_customer, inv, _log = self.book()
		other = second_company()
		other_customer, _ = self.customer()
		theirs = make_invoice(other_customer, add_days(TODAY, -12), amount=321, company=other)
		user = make_user(f"{frappe.scrub(unique('viewer'))}@example.com", ["Accounts User"])
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": user,
				"allow": "Company",
				"for_value": other,
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)

		everything = relance_register.execute({})[1]
		self.assertIn(theirs.name, {r.sales_invoice for r in everything})
		self.assertIn(inv["relance_1"].name, {r.sales_invoice for r in everything})

		frappe.set_user(user)
		seen = relance_register.execute({})[1]
		self.assertEqual({r.company for r in seen}, {other})
		self.assertIn(theirs.name, {r.sales_invoice for r in seen})
		with self.assertRaises(frappe.PermissionError):
			relance_register.execute({"company": company()})
		self.assertEqual({r["company"] for r in overdue_by_stage.execute({})[1]}, {other})
		# through the desk's own entry point, as the report page and the export call it
		from frappe.desk.query_report import run as run_report

		for name in ("Relance Register", "Overdue by Stage"):
			result = run_report(name, filters={}, ignore_prepared_report=True)
			self.assertEqual({r["company"] for r in result["result"] if isinstance(r, dict)}, {other}, name)
		overdue = sum(flt(r.outstanding_amount) for r in everything if r.company == other and r.days_late > 0)
		self.assertAlmostEqual(dashboard.total_overdue()["value"], overdue, places=2)
		chart = {"timespan": "Last Month", "time_interval": "Weekly"}

		def sent(**filters):
			data = dashboard.relances_by_stage(chart=frappe.as_json(chart), filters=filters or None)
			return sum(sum(d["values"]) for d in data["datasets"])

		frappe.set_user("Administrator")
		run([theirs])  # Relance 1 for the other company, today
		everyone, only_other = sent(), sent(company=other)
		frappe.set_user(user)
		self.assertGreaterEqual(only_other, 1)
		self.assertEqual(sent(), only_other)
		self.assertGreater(everyone, only_other)  # this test's own Relance 1 is not shown to the user

	def test_awaiting_approval_procedure(self):
		customer, _ = self.customer()
		policy_copy(customer, changes={1: {"requires_approval": 1}})
		si = make_invoice(customer, add_days(TODAY, -8), amount=90)
		run([si])
		row = register(customer=customer)[si.name]
		self.assertEqual(
			(row.procedure, row.last_stage, row.last_status),
			("Awaiting Approval", "Relance 1", "Awaiting Approval"),
		)
		self.assertEqual(row.relances_sent, 0)
		self.assertIsNone(row.next_stage)
