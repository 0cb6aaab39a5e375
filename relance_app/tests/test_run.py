"""The daily run against a real site: real Email Queue, real SMTP delivery to a loopback server, real
PDFs. Each test uses its own customers; the run is restricted to their invoices."""

import json
import os
import signal
import subprocess
import sys
import threading

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from relance_app import api
from relance_app.channels import email as email_channel
from relance_app.records import invoice_status
from relance_app.run.daily import run_dunning, sync_email_statuses
from relance_app.tests.utils import (
	PrivateQueue,
	SiteState,
	SMTPCapture,
	company,
	default_policy,
	flush_queue,
	logs_of,
	make_customer,
	make_invoice,
	pay,
	pdf_text,
	policy_copy,
	set_aside_own_emails,
	settings_changed,
	setup_email_account,
	unique,
)

TODAY = getdate(today())


def run(invoices, as_of=TODAY, **kw):
	return run_dunning(
		as_of=as_of,
		invoice_names=[i.name if hasattr(i, "name") else i for i in invoices],
		enqueue=False,
		**kw,
	)


class RelanceRunCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site_state = SiteState()  # read before anything changes; written back in tearDownClass
		cls.smtp = SMTPCapture().start()
		setup_email_account(cls.smtp.port)
		frappe.db.set_single_value(
			"Relance Settings", {"enabled": 1, "test_mode": 0, "business_days_only": 0}
		)
		frappe.clear_document_cache("Relance Settings", "Relance Settings")
		frappe.db.commit()  # nosemgrep: the run commits per unit; its setup must be visible

	@classmethod
	def tearDownClass(cls):
		cls.smtp.stop()
		super().tearDownClass()
		# nothing of this class waits for a delivery job after it: a later run's job would send it
		set_aside_own_emails()
		cls.site_state.restore()

	def setUp(self):
		self.smtp.clear()
		frappe.set_user("Administrator")
		# whoever a test acts as, the next test and the next class start as Administrator again
		self.addCleanup(frappe.set_user, "Administrator")
		# what this process's earlier tests left unsent is not this test's mail (nobody else's is touched)
		set_aside_own_emails()

	def customer(self, email=True, **kw):
		name = unique("Client")
		address = f"{frappe.scrub(name)}@client.example" if email else None
		return make_customer(name, address, **kw), address


class TestStageEmail(RelanceRunCase):
	def test_relance_delivered_with_invoice_pdf_and_logged_once(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10), amount=1234.5)

		result = run([si])
		self.assertEqual(result["stages_due"], 1)
		logs = logs_of(si.name)
		self.assertEqual(
			[(log.stage_name, log.status) for log in logs],
			[("Pré-relance", "Skipped"), ("Relance 1", "Queued")],
		)
		relance = logs[1]
		self.assertTrue(relance.communication and relance.email_queue)

		self.assertEqual(flush_queue(), 1)
		[mail] = self.smtp.to(address)
		self.assertIn(si.name, mail.subject)
		body = mail.body_text()
		for expected in (
			si.name,
			"234,50",
			"10",
			frappe.utils.formatdate(add_days(TODAY, -10), "dd/MM/yyyy"),
		):
			self.assertIn(expected, body)
		[(fname, pdf)] = mail.pdfs()
		self.assertTrue(pdf.startswith(b"%PDF"), fname)
		self.assertIn(si.name, pdf_text(pdf))

		sync_email_statuses()
		self.assertEqual(frappe.db.get_value("Relance Log", relance.name, "status"), "Sent")
		comm = frappe.get_doc("Communication", relance.communication)
		self.assertEqual((comm.reference_doctype, comm.reference_name), ("Sales Invoice", si.name))
		self.assertIn(
			customer, [link.link_name for link in comm.timeline_links if link.link_doctype == "Customer"]
		)
		self.assertEqual(frappe.db.get_value("Sales Invoice", si.name, "relance_last_stage"), "Relance 1")
		# Relance 2 at J+15, but not before 7 days after this one (every day is a sending day here:
		# business days are TestSchedule's)
		expected = max(getdate(add_days(TODAY, 5)), getdate(add_days(TODAY, 7)))
		self.assertEqual(
			getdate(frappe.db.get_value("Sales Invoice", si.name, "relance_next_date")), expected
		)

		# the same run again the same day: nothing new
		self.smtp.clear()
		again = run([si])
		self.assertEqual(again["stages_due"], 0)
		self.assertEqual(len(logs_of(si.name)), 2)
		self.assertEqual(flush_queue(), 0)

	def test_foreign_currency_invoice_states_what_is_due_in_its_currency(self):
		"""A USD 1,000 invoice at 0.9 on the company's EUR receivable: ERPNext keeps 900 EUR
		outstanding; the relance says USD 1,000 (as ERPNext's Payment Request would ask)."""
		customer, address = self.customer()
		make_invoice(customer, add_days(TODAY, 30))  # the customer's account is in EUR, as ERPNext needs
		si = make_invoice(customer, add_days(TODAY, -10), amount=1000, currency="USD", conversion_rate=0.9)
		self.assertEqual(
			frappe.db.get_value("Sales Invoice", si.name, ["outstanding_amount", "party_account_currency"]),
			(900, "EUR"),
		)
		run([si])
		relance = next(x for x in logs_of(si.name) if x.stage_name == "Relance 1")
		log = frappe.db.get_value(
			"Relance Log", relance.name, ["outstanding_amount", "currency"], as_dict=True
		)
		self.assertEqual((log.outstanding_amount, log.currency), (1000, "USD"))
		self.assertEqual(flush_queue(), 1)
		[mail] = self.smtp.to(address)
		body = mail.body_text()
		self.assertIn("1 000,00", body.replace("\u202f", " ").replace("\xa0", " "))
		self.assertNotIn("900,00", body)

	def test_catch_up_after_a_20_day_gap_sends_one_stage_per_invoice(self):
		customer, address = self.customer()
		old = make_invoice(customer, add_days(TODAY, -120))  # first install, long overdue
		recent = make_invoice(customer, add_days(TODAY, -6))
		run([old, recent], as_of=TODAY)
		self.assertEqual([x.stage_name for x in logs_of(old.name) if x.status != "Skipped"], ["Relance 1"])
		self.assertEqual([x.stage_name for x in logs_of(recent.name) if x.status != "Skipped"], ["Relance 1"])

		later = add_days(TODAY, 20)  # no run for 20 days
		run([old, recent], as_of=later)
		self.assertEqual(
			[x.stage_name for x in logs_of(old.name) if x.status != "Skipped"], ["Relance 1", "Relance 2"]
		)
		self.assertEqual(
			[x.stage_name for x in logs_of(recent.name) if x.status != "Skipped"], ["Relance 1", "Relance 2"]
		)
		self.assertEqual(flush_queue(), 4)
		self.assertEqual(len(self.smtp.to(address)), 4)

	def test_paid_invoice_gets_nothing_and_a_thank_you_once(self):
		customer, address = self.customer()
		paid_before = make_invoice(customer, add_days(TODAY, -10))
		pay(paid_before.name)
		run([paid_before])
		self.assertEqual(logs_of(paid_before.name), [])

		chased = make_invoice(customer, add_days(TODAY, -10))
		run([chased])
		flush_queue()
		pay(chased.name)
		self.smtp.clear()
		run([chased], as_of=add_days(TODAY, 1))
		run([chased], as_of=add_days(TODAY, 2))
		flush_queue()
		mails = self.smtp.to(address)
		self.assertEqual(len(mails), 1, [m.subject for m in mails])
		self.assertEqual(frappe.db.get_value("Sales Invoice", chased.name, "relance_status"), "Thanked")
		self.assertEqual(len([x for x in logs_of(chased.name) if x.stage_name == "__thank_you__"]), 1)


class TestHolds(RelanceRunCase):
	def test_dispute_hold_pauses_and_resume_sends(self):
		customer, _address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		api.set_hold(si.name, "Dispute")
		run([si])
		self.assertEqual([x for x in logs_of(si.name) if x.status != "Skipped"], [])
		api.release_hold(si.name)
		run([si])
		self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])

	def test_payment_promise_pauses_until_the_promised_date(self):
		customer, _address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		api.record_payment_promise(si.name, add_days(TODAY, 5))
		run([si], as_of=add_days(TODAY, 5))
		self.assertEqual([x for x in logs_of(si.name) if x.status != "Skipped"], [])
		run([si], as_of=add_days(TODAY, 6))
		self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])

	def test_customer_reply_pauses_the_relance(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		run([si])
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"sender": address,
				"subject": f"Re: {si.name}",
				"content": "Nous contestons cette facture.",
				"reference_doctype": "Sales Invoice",
				"reference_name": si.name,
			}
		).insert(ignore_permissions=True)
		hold = frappe.db.get_value("Sales Invoice", si.name, ["relance_hold", "relance_hold_reason"])
		self.assertEqual(hold, (1, "Customer Replied"))
		run([si], as_of=add_days(TODAY, 30))
		self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])


class TestRecipientsAndModes(RelanceRunCase):
	def test_no_recipient_is_logged_with_one_todo(self):
		customer, _ = self.customer(email=False)
		si = make_invoice(customer, add_days(TODAY, -10))
		run([si])
		run([si], as_of=add_days(TODAY, 20))
		logs = [x for x in logs_of(si.name) if x.stage_name != "Pré-relance"]
		self.assertEqual(
			[(x.stage_name, x.status) for x in logs], [("Relance 1", "Skipped"), ("Relance 2", "Skipped")]
		)
		self.assertIn("no email address", logs[0].reason)
		todos = frappe.get_all(
			"ToDo", {"reference_type": "Sales Invoice", "reference_name": si.name, "status": "Open"}
		)
		self.assertEqual(len(todos), 1)

	def test_invoice_contact_email_wins(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10), contact_email="compta@facture.example")
		run([si])
		flush_queue()
		self.assertEqual(len(self.smtp.to("compta@facture.example")), 1)
		self.assertEqual(self.smtp.to(address), [])

	def test_test_mode_redirects_and_prefixes(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		test_mode = {"test_mode": 1, "test_email": "test-relances@example.com"}
		with settings_changed("Relance Settings", test_mode, commit=True):  # the run commits per unit
			run([si])
			flush_queue()
		[mail] = self.smtp.to("test-relances@example.com")
		self.assertTrue(mail.subject.startswith("[TEST]"))
		self.assertEqual(self.smtp.to(address), [])
		log = next(x for x in logs_of(si.name) if x.stage_name == "Relance 1")
		self.assertTrue(frappe.db.get_value("Relance Log", log.name, "test_mode"))
		self.assertIn(address, log.reason)

	def test_grouping_sends_one_email_with_every_pdf(self):
		customer, address = self.customer()
		policy_copy(customer, group_by_customer=1)
		invoices = [make_invoice(customer, add_days(TODAY, -d)) for d in (10, 12, 14)]
		run(invoices)
		flush_queue()
		[mail] = self.smtp.to(address)
		pdfs = mail.pdfs()
		self.assertEqual(len(pdfs), 3)
		texts = "\n".join(pdf_text(p) for _n, p in pdfs)
		for si in invoices:
			self.assertTrue(si.name in mail.body_text(), f"{si.name} not listed in the grouped email")
			self.assertIn(si.name, texts)
		groups = {x.group_id for si in invoices for x in logs_of(si.name) if x.stage_name == "Relance 1"}
		self.assertEqual(len(groups), 1)
		self.assertEqual(
			sum(1 for si in invoices for x in logs_of(si.name) if x.stage_name == "Relance 1"), 3
		)


class TestApproval(RelanceRunCase):
	def test_formal_notice_waits_for_approval_then_sends_email_and_letter(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -50))
		for stage, offset in (("Relance 1", -45), ("Relance 2", -35), ("Relance 3", -20)):
			frappe.get_doc(
				{
					"doctype": "Relance Log",
					"sales_invoice": si.name,
					"customer": customer,
					"company": company(),
					"dunning_policy": default_policy(),
					"stage_name": stage,
					"status": "Sent",
					"relance_date": add_days(TODAY, offset),
				}
			).insert(ignore_permissions=True)
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Mise en demeure"]
		self.assertEqual(log.status, "Awaiting Approval")
		self.assertEqual(flush_queue(), 0)

		outcome = api.approve_relances([log.name])
		self.assertEqual(outcome[log.name], "sent")
		flush_queue()
		[mail] = self.smtp.to(address)
		self.assertIn("demeure", mail.subject.lower())
		self.assertTrue("injonction de payer" in mail.body_text().lower(), "no court warning in the notice")
		log = frappe.get_doc("Relance Log", log.name)
		self.assertEqual(log.status, "Sent")  # it followed the delivery (relance_app.run.email_status)
		self.assertEqual(log.approved_by, "Administrator")
		self.assertTrue(log.todo)
		files = frappe.get_all(
			"File", {"attached_to_doctype": "Sales Invoice", "attached_to_name": si.name}, pluck="file_url"
		)
		self.assertTrue(any("Mise_en_demeure" in f for f in files))
		# approving twice sends nothing more
		self.assertEqual(api.approve_relances([log.name])[log.name], "nothing")


class TestExactlyOnce(RelanceRunCase):
	def test_two_runs_at_the_same_time_make_one_log_and_one_email(self):
		customer, _address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		frappe.db.commit()  # nosemgrep: the other connections must see the invoice
		site = frappe.local.site
		errors = []

		def worker():
			try:
				frappe.init(site=site)
				frappe.connect()
				frappe.set_user("Administrator")
				run_dunning(as_of=TODAY, invoice_names=[si.name], enqueue=False)
				frappe.db.commit()  # nosemgrep
			except Exception as e:
				errors.append(e)
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=worker) for _ in range(2)]
		for t in threads:
			t.start()
		for t in threads:
			t.join(120)
		self.assertEqual(errors, [])
		self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])
		self.assertEqual(frappe.db.count("Email Queue", {"reference_name": si.name}), 1)
		self.assertEqual(
			frappe.db.count("Communication", {"reference_name": si.name, "sent_or_received": "Sent"}), 1
		)

	def test_worker_killed_mid_unit_leaves_nothing_then_next_run_sends_once(self):
		customer, _address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		frappe.db.commit()  # nosemgrep
		original = invoice_status.set_invoice_fields

		def killed(*args, **kwargs):
			raise SystemExit("worker killed")  # not an Exception: nothing catches it, like a kill

		invoice_status.set_invoice_fields = killed
		try:
			with self.assertRaises(SystemExit):
				run([si])
		finally:
			invoice_status.set_invoice_fields = original
			frappe.db.rollback()  # what the database does when the connection dies
		self.assertEqual([x for x in logs_of(si.name) if x.stage_name == "Relance 1"], [])
		self.assertEqual(frappe.db.count("Email Queue", {"reference_name": si.name}), 0)
		self.assertEqual(
			frappe.db.count("Communication", {"reference_name": si.name, "sent_or_received": "Sent"}), 0
		)

		run([si])
		self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])
		self.assertEqual(frappe.db.count("Email Queue", {"reference_name": si.name}), 1)

	def test_a_failure_is_logged_never_stops_the_others_and_is_retried(self):
		customer, _ = self.customer()
		bad = make_invoice(customer, add_days(TODAY, -10))
		good = make_invoice(customer, add_days(TODAY, -11))
		original = email_channel.email_parts

		def broken(acting, *args, **kwargs):
			if acting[0][0].facts.name == bad.name:
				raise ValueError("template exploded")
			return original(acting, *args, **kwargs)

		email_channel.email_parts = broken
		try:
			result = run([bad, good])
		finally:
			email_channel.email_parts = original
		self.assertEqual(result["outcomes"].get("failed"), 1)
		[failed] = [x for x in logs_of(bad.name) if x.stage_name == "Relance 1"]
		self.assertEqual((failed.status, failed.attempts), ("Failed", 1))
		self.assertIn("template exploded", failed.reason)
		self.assertEqual([x.status for x in logs_of(good.name) if x.stage_name == "Relance 1"], ["Queued"])

		run([bad], as_of=add_days(TODAY, 1))  # retried the next day, same row
		[retried] = [x for x in logs_of(bad.name) if x.stage_name == "Relance 1"]
		self.assertEqual(retried.name, failed.name)
		self.assertEqual(retried.status, "Queued")


class TestDryRunAndPermissions(RelanceRunCase):
	def test_dry_run_changes_nothing_and_returns_the_plan(self):
		customer, _ = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		result = run([si], dry_run=True)
		self.assertTrue(result["dry_run"])
		[action] = [a for a in result["actions"] if a["sales_invoice"] == si.name]
		self.assertEqual(action["stage"], "Relance 1")
		self.assertEqual(action["skipped"], ["Pré-relance"])
		self.assertEqual(logs_of(si.name), [])

	def test_run_dunning_needs_accounts_manager(self):
		from relance_app.tests.test_setup import make_user

		frappe.set_user(make_user("relance-user@example.com", ["Accounts User"]))
		with self.assertRaises(frappe.PermissionError):
			api.run_dunning(dry_run=True)
		frappe.set_user("Administrator")
		self.assertIn("counts", api.run_dunning(dry_run=True))


def bench_python(code: str | None = None, *args: str, env=None) -> subprocess.CompletedProcess:
	"""Run the bench's Python in the sites folder: a separate process with its own connections."""
	sites = os.path.abspath(frappe.local.sites_path)
	command = [sys.executable, "-c", code] if code else [sys.executable, *args]
	return subprocess.run(command, cwd=sites, timeout=600, capture_output=True, text=True, env=env)


class TestWorkers(RelanceRunCase):
	"""The run as production runs it: chunks enqueued on the "long" queue and executed by a real RQ
	worker process (on a Redis of the test's own: the bench's queues are left alone); a worker process
	killed with SIGKILL in the middle of a unit."""

	def test_chunks_are_enqueued_and_a_real_worker_sends_each_once(self):
		people = [self.customer() for _ in range(3)]
		invoices = [make_invoice(c, add_days(TODAY, -10)).name for c, _ in people]
		frappe.db.commit()  # nosemgrep: the worker's connection must see the invoices
		enqueue = f"""
import json, frappe
frappe.init(site={frappe.local.site!r}, sites_path=".")
frappe.connect()
from relance_app.run.daily import run_dunning
print(json.dumps(run_dunning(as_of={str(TODAY)!r}, invoice_names={invoices!r})))
"""
		with settings_changed("Relance Settings", {"chunk_size": 2}, commit=True), PrivateQueue() as queue:
			enqueued = bench_python(enqueue, env=queue.env)  # the run, enqueueing for real
			self.assertEqual(enqueued.returncode, 0, enqueued.stderr[-2000:])
			result = json.loads(enqueued.stdout.strip().splitlines()[-1])
			self.assertEqual((result["units"], result["outcomes"]), (3, {"enqueued": 3, "jobs": 2}))
			frappe.db.rollback()
			for name in invoices:
				self.assertEqual(logs_of(name), [], "nothing is done before a worker takes the jobs")
			worker = bench_python(
				None,
				*("-m", "frappe.utils.bench_helper", "frappe", "worker", "--queue", "long", "--burst"),
				env=queue.env,
			)
		self.assertEqual(worker.returncode, 0, worker.stderr[-2000:])
		frappe.db.rollback()  # a fresh snapshot: what the worker committed
		for name in invoices:
			self.assertEqual(
				[(x.stage_name, x.status) for x in logs_of(name) if x.status != "Skipped"],
				[("Relance 1", "Queued")],
			)
		self.assertEqual(flush_queue(), 3)
		for _customer, address in people:
			[mail] = self.smtp.to(address)
			self.assertEqual(len(mail.pdfs()), 1)

		# the same day again, inline: nothing new
		run(invoices)
		self.assertEqual(flush_queue(), 0)

	def test_worker_process_killed_mid_unit_leaves_nothing_then_the_next_run_sends_once(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		frappe.db.commit()  # nosemgrep: the other process must see the invoice
		code = f"""
import os, signal, frappe
frappe.init(site={frappe.local.site!r}, sites_path=".")
frappe.connect()
from relance_app.run import daily as run
from relance_app.records import invoice_status
# the email is queued and the log written, uncommitted, when the process is killed
invoice_status.set_invoice_fields = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
run.run_dunning(as_of={str(TODAY)!r}, invoice_names=[{si.name!r}], enqueue=False)
"""
		killed = bench_python(code)
		self.assertEqual(killed.returncode, -signal.SIGKILL, killed.stderr[-2000:])
		frappe.db.rollback()
		self.assertEqual([x for x in logs_of(si.name) if x.stage_name == "Relance 1"], [])
		self.assertEqual(frappe.db.count("Email Queue", {"reference_name": si.name}), 0)

		run([si])
		self.assertEqual([x.stage_name for x in logs_of(si.name) if x.status != "Skipped"], ["Relance 1"])
		self.assertEqual(flush_queue(), 1)
		self.assertEqual(len(self.smtp.to(address)), 1)
