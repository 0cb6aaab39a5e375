"""The relance email as queued by relance_app's builder (outbox) is the one frappe.sendmail builds: same
HTML (Frappe's email stylesheet inlined), same text, same attachments and recipients; the stylesheet's
rules parsed once, a changed stylesheet taken at once, the Email Account looked up once per batch."""

import email
from email import policy

import frappe
from frappe.email.email_body import get_formatted_html
from frappe.utils import add_days

from relance_app.channels import outbox
from relance_app.common import cache, frappe_compat
from relance_app.tests.test_run import TODAY, RelanceRunCase
from relance_app.tests.utils import make_invoice

BODY = """<div class="relance"><p>Bonjour <b>Dupont &amp; Fils</b>,</p>
<p>Sauf erreur de notre part, la facture <a href="https://example.com/f/1">ACC-SINV-0001</a> de
<strong>1&nbsp;234,50&nbsp;€</strong> reste impayée.</p>
<table class="table"><tr><th>Facture</th><th>Échéance</th></tr><tr><td>ACC-SINV-0001</td><td>01/10</td></tr></table>
<ul><li>Virement</li><li>Chèque</li></ul><hr><p class="text-muted small">Service comptable</p></div>"""


def parts(raw: str) -> dict:
	"""HTML, text and recipients of a queued MIME message (its headers that differ per email left out)."""
	message = email.message_from_string(raw, policy=policy.default)
	found = {}
	for part in message.walk():
		if part.get_content_type() in ("text/html", "text/plain") and not part.get_filename():
			found[part.get_content_type()] = part.get_content()
	found["to"] = message["To"]
	found["subject"] = message["Subject"]
	return found


class TestOutbox(RelanceRunCase):
	def setUp(self):
		super().setUp()
		cache.clear()
		frappe_compat._rules.clear()

	def test_html_is_frappes(self):
		account = frappe.get_doc(
			"Email Account", frappe.db.get_value("Email Account", {"default_outgoing": 1})
		)
		for subject, body in (("Relance", BODY), ("Second", BODY.replace("Dupont", "Martin")), ("Vide", "")):
			with self.subTest(subject=subject):
				expected = get_formatted_html(subject, body, email_account=account)
				self.assertEqual(outbox.formatted_html(subject, body, account), expected)
		self.assertEqual(len(frappe_compat._rules), 1, "the stylesheet parsed once for the three emails")
		self.assertIn('style="', outbox.formatted_html("x", BODY, account), "the stylesheet is inlined")

	def test_changed_stylesheet_is_a_new_key(self):
		html = "<html><head><style>p { color: red }</style></head><body><p>a</p></body></html>"
		first = frappe_compat.CachedRulesPremailer(html=html).transform()
		second = frappe_compat.CachedRulesPremailer(html=html.replace("red", "blue")).transform()
		self.assertIn("color:red", first.replace(" ", ""))
		self.assertIn("color:blue", second.replace(" ", ""))
		self.assertNotIn("red", second)

	def test_rules_it_cannot_inline_are_in_the_head_as_premailer_puts_them(self):
		from premailer import Premailer

		css = "p { color: red } @media (max-width: 600px) { p { color: blue; font-size: 12px } }"
		html = "<html><head></head><body><p>a</p></body></html>"
		expected = Premailer(html=html, css_text=[css], strip_important=False).transform()
		for _ in range(2):  # parsed, then cached with its text
			got = frappe_compat.CachedRulesPremailer(
				html=html, css_text=[css], strip_important=False
			).transform()
			self.assertEqual(got, expected)
		self.assertIn("color: blue !important", got)
		[hit] = frappe_compat._rules.values()
		self.assertIn("text", hit, "the leftover rules serialised once")

	def test_queued_email_is_the_one_sendmail_queues(self):
		make_invoice(self.customer()[0], add_days(TODAY, -10))  # the test's own, whatever the site holds
		invoice = frappe.get_all("Sales Invoice", filters={"docstatus": 1}, pluck="name", limit=1)
		self.assertTrue(invoice, "the site has a submitted invoice")
		args = {
			"recipients": ["client@client.example"],
			"cc": ["copie@client.example"],
			"subject": "Relance : facture impayée",
			"message": BODY,
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice[0],
			"attachments": [
				{"print_format_attachment": 1, "doctype": "Sales Invoice", "name": invoice[0], "lang": "fr"}
			],
			"expose_recipients": "header",
			"add_unsubscribe_link": 0,
			"with_container": False,
			"print_letterhead": True,
		}
		ours = outbox.queue(**args)
		theirs = frappe.sendmail(**args, delayed=True, now=False)
		self.assertTrue(ours.name and theirs.name)
		self.assertNotEqual(ours.name, theirs.name)
		self.assertEqual(parts(ours.message), parts(theirs.message))
		for field in ("sender", "attachments", "show_as_cc", "email_account", "reference_name", "status"):
			self.assertEqual(ours.get(field), theirs.get(field), field)
		self.assertEqual(
			sorted(r.recipient for r in ours.recipients), sorted(r.recipient for r in theirs.recipients)
		)
		# the batch's Email Account: found once, asked again from the batch cache
		with self.assertQueryCount(0):  # the Email Account is not looked up again
			outbox.RelanceQueueBuilder(**args).get_outgoing_email_account().is_exists_in_db()
		frappe.db.rollback()

	def test_a_policys_own_sender_is_its_account_after_the_default_one_was_used(self):
		"""Frappe's per-process lookup gives the default account, once found, for any sender: a relance
		of a policy with its own sender must still go out through that sender's account."""
		from relance_app.tests.utils import loopback_email_account

		own = loopback_email_account(
			"Relance Test Own Sender", "recouvrement@relance-test.example", self.smtp.port
		)
		args = {
			"recipients": ["client@client.example"],
			"subject": "Relance",
			"message": BODY,
			"reference_doctype": "Sales Invoice",
			"add_unsubscribe_link": 0,
		}
		default = outbox.queue(**args)  # the default account: Frappe caches it for the process
		cache.clear()  # a new batch
		mine = outbox.queue(**args, sender=f"Recouvrement <{own.email_id}>")
		self.assertNotEqual(default.email_account, own.name)
		self.assertEqual(mine.email_account, own.name)
		self.assertIn(own.email_id, mine.sender)
		frappe.db.rollback()
