"""The debtor page's answers on a real site (relance_app.debtor_page.answers through the guest methods
of relance_app.portal): a promise, a dispute, "already paid"; their holds, logs, ToDos, emails and
refusals. The link and the page: test_debtor_page.py."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, getdate

from relance_app import portal
from relance_app.debtor_page import answers as debtor_answers
from relance_app.exceptions import DebtorAnswerError
from relance_app.tests.test_debtor_page import (
	IP,
	TODAY,
	PortalCase,
	answers,
	as_guest,
	counts,
	flush_queue,
	hold_of,
	render_page,
)
from relance_app.tests.test_setup import make_user
from relance_app.tests.utils import make_invoice, settings_changed, unique


class TestAnswers(PortalCase):
	def test_a_promise_holds_the_invoice_logs_the_answer_and_is_confirmed_by_email(self):
		customer, address, (invoice, _), token = self.debtor()
		promised = add_days(TODAY, 10)
		with as_guest():
			result = portal.promise(token=token, sales_invoice=invoice, promised_date=str(promised))
		self.assertTrue(result["ok"])
		self.assertFalse(result["already_recorded"])
		self.assertIn("promesse", result["message"])  # answered in the customer's language
		si = frappe.db.get_value(
			"Sales Invoice",
			invoice,
			["relance_hold", "relance_hold_reason", "relance_hold_until"],
			as_dict=True,
		)
		self.assertEqual(
			(si.relance_hold, si.relance_hold_reason, getdate(si.relance_hold_until)),
			(1, "Payment Promise", promised),
		)
		[log] = answers(invoice)
		self.assertEqual(
			(log.source, log.answer, log.stage_name, log.remote_ip),
			("Debtor Page", "Payment Promise", "Debtor Page", IP),
		)
		self.assertEqual(getdate(log.promised_date), promised)
		self.assertTrue(log.answered_at and log.communication)
		self.assertEqual(log.customer, customer)
		comments = frappe.get_all(
			"Comment", filters={"reference_name": invoice, "comment_type": "Info"}, pluck="content"
		)
		# written in the site's language (the guest's request has no other)
		said = frappe._("(from the debtor page, {0}, IP address {1})").split("{0}")[0]
		self.assertTrue(any(said in c and IP in c for c in comments), comments)
		# the timelines of the invoice and of the customer say it came from the debtor page
		from relance_app.analytics.timeline import timeline_content

		for doctype, name in (("Sales Invoice", invoice), ("Customer", customer)):
			entries = [e["content"] for e in timeline_content(doctype, name)]
			said = frappe._("From the debtor page: {0}").split("{0}")[0]
			self.assertTrue(any(said in e and IP in e for e in entries), entries)

		self.assertEqual(flush_queue([invoice]), 1)
		[mail] = self.smtp.to(address)
		self.assertIn(invoice, mail.subject)
		self.assertIn("Confirmation de votre promesse de paiement", mail.subject)
		body = mail.body_text()
		from relance_app.engine.message import format_date_long

		self.assertIn(format_date_long(promised, "fr"), body)
		self.assertIn("/relance/", body)
		self.assertEqual(frappe.db.get_value("Communication", log.communication, "reference_name"), invoice)

	def test_promise_dates_are_bounded_and_at_most_two_per_invoice(self):
		_customer, _address, (invoice, other), token = self.debtor()
		before = counts()
		with as_guest():
			for day, words in (
				(TODAY, "demain"),
				(add_days(TODAY, -3), "demain"),
				(add_days(TODAY, 31), "30 jours"),
				("2026-02-30", None),
				("demain", None),
				(None, None),
			):
				frappe.local.lang = "en"
				with self.assertRaises(frappe.ValidationError, msg=day) as refused:
					portal.promise(token=token, sales_invoice=invoice, promised_date=str(day) if day else day)
				if words:
					self.assertIn(words, str(refused.exception))
		self.assertEqual(counts(), before)
		with as_guest():
			portal.promise(token=token, sales_invoice=invoice, promised_date=str(add_days(TODAY, 1)))
			portal.promise(token=token, sales_invoice=invoice, promised_date=str(add_days(TODAY, 30)))
			with self.assertRaises(DebtorAnswerError) as refused:
				portal.promise(token=token, sales_invoice=invoice, promised_date=str(add_days(TODAY, 20)))
		self.assertIn("Deux dates de paiement", str(refused.exception))
		self.assertEqual(len(answers(invoice)), 2)
		self.assertEqual(getdate(hold_of(invoice)[2]), add_days(TODAY, 30))
		_status, html = render_page(token)
		self.assertIn("Deux dates de paiement ont déjà été promises", html)  # the page says to call

		# a broken promise: the date passed and the invoice is still unpaid
		frappe.db.set_value(
			"Sales Invoice",
			other,
			{
				"relance_hold": 1,
				"relance_hold_reason": "Payment Promise",
				"relance_hold_until": add_days(TODAY, -1),
			},
		)
		with as_guest(), self.assertRaises(DebtorAnswerError) as refused:
			portal.promise(token=token, sales_invoice=other, promised_date=str(add_days(TODAY, 5)))
		self.assertIn("contacter", str(refused.exception))
		self.assertEqual(answers(other), [])

	def test_an_invoice_of_another_customer_is_refused_and_changes_nothing(self):
		_customer, _address, (mine, _), token = self.debtor()
		_other, _, (theirs,), _ = self.debtor(invoices=1)
		draft = make_invoice(_customer, add_days(TODAY, -5), submit=False).name
		before, hold = counts(), hold_of(theirs)
		with as_guest():
			for invoice in (theirs, draft, "NO-SUCH-INVOICE", "<script>x</script>", "A" * 500, None, 42):
				for method, values in (
					(portal.promise, {"promised_date": str(add_days(TODAY, 5))}),
					(portal.dispute, {"reason": "Other", "comment": "x"}),
					(portal.already_paid, {"paid_on": str(TODAY)}),
				):
					with self.assertRaises(DebtorAnswerError, msg=f"{method.__name__} {invoice}") as refused:
						method(token=token, sales_invoice=invoice, **values)
					self.assertNotIn(str(theirs), str(refused.exception))
			with self.assertRaises(DebtorAnswerError):
				portal.invoice_pdf(token=token, sales_invoice=theirs)
		self.assertEqual(counts(), before)
		self.assertEqual(hold_of(theirs), hold)
		self.assertNotIn(theirs, render_page(token)[1])
		self.assertIn(mine, render_page(token)[1])

	def test_the_same_answer_posted_twice_is_recorded_once(self):
		_customer, _address, (invoice, other), token = self.debtor()
		day = str(add_days(TODAY, 7))
		with as_guest():
			first = portal.promise(token=token, sales_invoice=invoice, promised_date=day)
			before = counts()
			second = portal.promise(token=token, sales_invoice=invoice, promised_date=day)
			self.assertEqual(counts(), before)
			d1 = portal.dispute(
				token=token, sales_invoice=other, reason="Wrong amount", comment="Le montant est faux."
			)
			before = counts()
			d2 = portal.dispute(
				token=token, sales_invoice=other, reason="Wrong amount", comment="Le montant est faux."
			)
			self.assertEqual(counts(), before)
		self.assertFalse(first["already_recorded"] or d1["already_recorded"])
		self.assertTrue(second["already_recorded"] and d2["already_recorded"])
		self.assertIn("déjà été enregistrée", second["message"])
		self.assertEqual(len(answers(invoice)), 1)
		self.assertEqual(len(answers(other)), 1)
		self.assertEqual(frappe.db.count("ToDo", {"reference_name": other}), 1)

	def test_a_dispute_holds_assigns_and_keeps_the_comment_escaped(self):
		customer, _address, (invoice, _), token = self.debtor()
		accountant = make_user(f"{frappe.scrub(unique('compta'))}@example.com", ["Accounts Manager"])
		hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)> livraison incomplète'
		with settings_changed("Relance Settings", {"portal_todo_user": accountant}):
			with as_guest():
				for reason, comment in (
					("Nope", "x"),
					("Other", ""),
					("Other", "   "),
					("Other", "x" * 2001),
					(None, "x"),
				):
					with self.assertRaises(frappe.ValidationError, msg=(reason, len(comment))):
						portal.dispute(token=token, sales_invoice=invoice, reason=reason, comment=comment)
				self.assertEqual(answers(invoice), [])
				result = portal.dispute(
					token=token, sales_invoice=invoice, reason="Goods or service", comment=hostile
				)
			self.assertTrue(result["ok"])
		self.assertEqual(hold_of(invoice)[:3], (1, "Dispute", None))
		[log] = answers(invoice)
		self.assertEqual((log.answer, log.dispute_reason), ("Dispute", "Goods or service"))
		self.assertIn("&lt;script&gt;", log.debtor_comment)
		todo = frappe.get_doc("ToDo", log.todo)
		self.assertEqual((todo.allocated_to, todo.reference_name), (accountant, invoice))
		comm = frappe.get_doc("Communication", log.communication)
		self.assertEqual((comm.sent_or_received, comm.reference_name), ("Received", invoice))
		self.assertIn(customer, [link.link_name for link in comm.timeline_links])
		for text in (log.debtor_comment, todo.description, comm.content):
			self.assertNotIn("<script", text)
			self.assertNotIn("<img", text)
			self.assertIn("livraison incomplète", text)
		self.assertIn("&lt;script&gt;", comm.content)
		self.assertIn(IP, comm.content)
		# a 2,000-character comment is accepted
		_c, _a, (second, _), token2 = self.debtor()
		with as_guest():
			self.assertTrue(
				portal.dispute(token=token2, sales_invoice=second, reason="Other", comment="é" * 2000)["ok"]
			)
		# the page does not echo the comment back, and shows the dispute
		_status, html = render_page(token)
		self.assertNotIn("<script>alert", html)
		self.assertIn("Contestée", html)

	def test_already_paid_holds_a_few_days_with_a_todo_and_a_reply_ready_email(self):
		_customer, address, (invoice, _), token = self.debtor()
		posting = getdate(frappe.db.get_value("Sales Invoice", invoice, "posting_date"))
		with as_guest():
			for paid_on in (add_days(TODAY, 1), add_days(posting, -1), "hier", None):
				with self.assertRaises(frappe.ValidationError, msg=paid_on):
					portal.already_paid(
						token=token,
						sales_invoice=invoice,
						paid_on=str(paid_on) if paid_on else None,
						reference="VIR",
					)
			with self.assertRaises(frappe.ValidationError):
				portal.already_paid(
					token=token, sales_invoice=invoice, paid_on=str(TODAY), reference="R" * 141
				)
			result = portal.already_paid(
				token=token,
				sales_invoice=invoice,
				paid_on=str(add_days(TODAY, -2)),
				reference="VIR <b>123</b>",
			)
		self.assertTrue(result["ok"])
		hold = hold_of(invoice)
		self.assertEqual((hold[0], hold[1], getdate(hold[2])), (1, "Customer Replied", add_days(TODAY, 7)))
		[log] = answers(invoice)
		self.assertEqual(
			(log.answer, getdate(log.paid_on), log.payment_reference),
			("Already Paid", add_days(TODAY, -2), "VIR &lt;b&gt;123&lt;/b&gt;"),
		)
		self.assertTrue(frappe.db.exists("ToDo", log.todo))
		comm = frappe.get_doc("Communication", log.communication)
		self.assertEqual(comm.sender, address)  # Reply answers the debtor
		self.assertNotIn("<b>", comm.content)

	def test_the_register_shows_the_answer(self):
		customer, _address, (invoice, _), token = self.debtor()
		with as_guest():
			portal.promise(token=token, sales_invoice=invoice, promised_date=str(add_days(TODAY, 9)))
		from relance_app.analytics.register import register_rows

		[row] = [r for r in register_rows({"customer": customer}) if r.sales_invoice == invoice]
		self.assertIn(frappe.format(add_days(TODAY, 9), "Date"), row.debtor_answer)
		from relance_app.engine import register as G

		self.assertEqual(row.procedure, G.PROMISE)

	def test_an_internal_error_reaches_the_debtor_as_a_plain_message(self):
		_customer, _address, (invoice, _), token = self.debtor()
		frappe.db.commit()  # nosemgrep: the failure path rolls the request back
		original = debtor_answers.apply_answer
		debtor_answers.apply_answer = lambda *a, **k: 1 / 0
		try:
			with as_guest(), self.assertRaises(DebtorAnswerError) as refused:
				portal.dispute(token=token, sales_invoice=invoice, reason="Other", comment="x")
		finally:
			debtor_answers.apply_answer = original
		self.assertNotIn("ZeroDivision", str(refused.exception))
		self.assertEqual(answers(invoice), [])

	def test_pdfs_of_the_page(self):
		_customer, _address, (invoice, _), token = self.debtor()
		from relance_app.tests.utils import pdf_text

		with as_guest():
			portal.invoice_pdf(token=token, sales_invoice=invoice)
			response = frappe.local.response
			self.assertEqual(response.type, "download")
			self.assertTrue(response.filecontent.startswith(b"%PDF"))
			self.assertIn(invoice, pdf_text(response.filecontent))
			portal.statement_pdf(token=token)
			self.assertTrue(frappe.local.response.filecontent.startswith(b"%PDF"))
		frappe.local.response = frappe._dict()
