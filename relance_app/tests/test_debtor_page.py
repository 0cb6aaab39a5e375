"""The debtor page (relance_app.debtor_page, relance_app.portal) on a real site: the link in the relance
email, the page and every safety rule of issue 16 (the answers: test_debtor_page_answers.py). In-process for the rules (as Guest), then over HTTP
against the running web server (RELANCE_REST_URL, else the site's host_name) for the page, the PDFs
and the rate limit's 429 — the web server must run this code (restart it after a change: it runs
with --noreload)."""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from urllib.parse import quote

import frappe
from frappe.query_builder.functions import Count
from frappe.utils import add_days, getdate, today
from frappe.utils import set_request as make_request

from relance_app import api, portal
from relance_app.common import debtor_links
from relance_app.debtor_page import access as debtor_access
from relance_app.debtor_page import answers as debtor_answers
from relance_app.engine import debtor_answers as P
from relance_app.exceptions import InvalidLinkError
from relance_app.tests.test_run import RelanceRunCase, run
from relance_app.tests.test_setup import make_user
from relance_app.tests.utils import make_invoice, pay, reset_own_rate_limits, settings_changed, unique
from relance_app.www import relance as relance_page

TODAY = getdate(today())
IP = "203.0.113.7"
LINK = re.compile(r'href="(https?://[^"]+/relance/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+))"')
WATCHED = ("Relance Log", "ToDo", "Communication", "Comment", "Email Queue", "Version", "Error Log")
HOLD_FIELDS = ("relance_hold", "relance_hold_reason", "relance_hold_until", "modified")


def counts() -> dict:
	out = {}
	for doctype in WATCHED:
		table = frappe.qb.DocType(doctype)
		out[doctype] = frappe.qb.from_(table).select(Count("*")).run()[0][0]
	return out


def hold_of(invoice: str) -> tuple:
	return tuple(frappe.db.get_value("Sales Invoice", invoice, HOLD_FIELDS))


@contextmanager
def as_guest(ip: str = IP):
	frappe.set_user("Guest")
	frappe.local.request_ip = ip
	try:
		yield
	finally:
		frappe.set_user("Administrator")
		frappe.local.request_ip = None
		frappe.local.lang = "en"


def render_page(token: str):
	"""(status, html) of /relance/<token>, rendered in this process as the web server would."""
	from frappe.website.serve import get_response

	missing = object()
	previous = getattr(frappe.local, "request", missing)
	make_request(method="GET", path=f"/relance/{quote(token, safe='')}")
	try:
		response = get_response()
		return response.status_code, frappe.safe_decode(response.get_data())
	finally:
		if previous is missing:
			del frappe.local.request
		else:
			frappe.local.request = previous
		frappe.local.form_dict = frappe._dict()
		frappe.local.lang = "en"


def flush_queue(invoices) -> int:
	"""Send the queued emails of these invoices (not what other suites on the site queued)."""
	frappe.flags.testing_email = True
	frappe.flags.mute_emails = False
	names = frappe.get_all(
		"Email Queue",
		filters={
			"status": "Not Sent",
			"reference_doctype": "Sales Invoice",
			"reference_name": ("in", invoices),
		},
		pluck="name",
		order_by="creation asc",
	)
	for name in names:
		frappe.get_doc("Email Queue", name).send(force_send=True)
	return len(names)


def answers(invoice: str) -> list:
	return frappe.get_all(
		"Relance Log",
		filters={"sales_invoice": invoice, "status": "Answered"},
		fields=["*"],
		order_by="creation asc",
	)


class PortalCase(RelanceRunCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()  # the settings are read first and written back after the class
		frappe.db.set_single_value(
			"Relance Settings",
			{
				"portal_enabled": 1,
				"portal_link_validity_days": 60,
				"portal_max_promise_days": 30,
				"portal_paid_hold_days": 7,
				"portal_todo_user": None,
			},
		)
		frappe.clear_document_cache("Relance Settings", "Relance Settings")
		frappe.db.commit()  # nosemgrep: the web server reads these settings

	def setUp(self):
		super().setUp()
		frappe.local.lang = "en"

	def debtor(self, invoices=2, days_late=20, **kw):
		"""A customer with an email address and `invoices` overdue invoices; its link."""
		customer, address = self.customer(**kw)
		made = [
			make_invoice(customer, add_days(TODAY, -(days_late + i)), amount=500 + i) for i in range(invoices)
		]
		token = self.token(customer)
		return customer, address, [si.name for si in made], token

	def token(self, customer, issued=None, company=None):
		company = company or frappe.db.get_value("Sales Invoice", {"customer": customer}, "company")
		generation = frappe.db.get_value("Customer", customer, "relance_link_version") or 0
		return P.sign_link(debtor_links._key(), customer, company, issued or int(time.time()), generation)


class TestLinkAndPage(PortalCase):
	def test_the_relance_email_carries_the_link_and_the_page_shows_what_is_owed(self):
		customer, address, (first, second), _token = self.debtor()
		other, _, (foreign,), _ = self.debtor(invoices=1)
		paid = make_invoice(customer, add_days(TODAY, -40), amount=100)
		pay(paid.name)
		run([first, second])
		flush_queue([first, second])
		mails = self.smtp.to(address)
		self.assertTrue(mails)
		for mail in mails:
			body = mail.body_text()
			self.assertIn("Voir vos factures, payer ou nous répondre", body)
			url, token = LINK.search(body).groups()
			self.assertIn("/relance/", url)
			access = debtor_access.resolve(token)
			self.assertEqual(
				(access.customer.name, access.company.name),
				(customer, frappe.db.get_value("Sales Invoice", first, "company")),
			)
		status, html = render_page(token)
		self.assertEqual(status, 200)
		for name in (first, second):
			self.assertIn(name, html)
		self.assertNotIn(foreign, html)  # no other customer
		self.assertNotIn(paid.name, html)  # open invoices only
		self.assertNotIn(other, html)
		self.assertNotIn("/app/", html)  # no link into the desk
		self.assertIn("Relance 1", html)  # the stage reached
		self.assertIn("Vos factures", html)  # the customer's language (French)
		self.assertIn('lang="fr"', html)
		self.assertIn("relance_app.portal.invoice_pdf", html)
		self.assertIn("relance_app.portal.statement_pdf", html)

	def test_an_english_customer_gets_the_page_in_english(self):
		_customer, _address, (invoice, _), token = self.debtor(language="en")
		status, html = render_page(token)
		self.assertEqual(status, 200)
		self.assertIn("Your invoices", html)
		self.assertIn("Promise a payment date", html)
		self.assertIn(invoice, html)

	def test_how_to_pay_the_payment_request_link_else_the_bank_details(self):
		_customer, _address, (with_request, without), token = self.debtor()
		company = frappe.db.get_value("Sales Invoice", with_request, "company")
		# the SWIFT code is unique per site: a rerun on the same site reuses the bank
		bank = (
			frappe.get_doc("Bank", frappe.db.get_value("Bank", {"swift_number": "AGRIFRPP"}))
			if frappe.db.exists("Bank", {"swift_number": "AGRIFRPP"})
			else frappe.get_doc(
				{"doctype": "Bank", "bank_name": unique("Banque"), "swift_number": "AGRIFRPP"}
			).insert()
		)
		frappe.get_doc(
			{
				"doctype": "Bank Account",
				"account_name": unique("Compte"),
				"bank": bank.name,
				"is_company_account": 1,
				"is_default": 1,
				"company": company,
				"iban": "FR7630006000011234567890189",
			}
		).insert()
		request = frappe.new_doc("Payment Request")
		request.update(
			{
				"name": unique("PR"),
				"payment_request_type": "Inward",
				"reference_doctype": "Sales Invoice",
				"reference_name": with_request,
				"status": "Requested",
				"payment_url": "https://pay.example/checkout/abc?x=1&y=2",
				"docstatus": 1,
			}
		)
		request.db_insert()
		frappe.local.relance_batch_cache = {}
		data = relance_page.page_context(token)
		links = {i["name"]: i["pay_link"] for i in data["invoices"]}
		self.assertEqual(links, {with_request: "https://pay.example/checkout/abc?x=1&y=2", without: ""})
		# a valid IBAN is printed in groups of four
		self.assertEqual((data["iban"], data["bic"]), ("FR76 3000 6000 0112 3456 7890 189", "AGRIFRPP"))
		frappe.local.relance_batch_cache = {}
		_status, html = render_page(token)
		self.assertIn('href="https://pay.example/checkout/abc?x=1&amp;y=2"', html)
		self.assertIn('rel="noopener noreferrer nofollow"', html)
		self.assertIn("FR76 3000 6000 0112 3456 7890 189", html)
		self.assertIn("la référence affichée avec chaque facture", html)  # the reference to quote

	def test_get_portal_link_for_accounts_users_only(self):
		customer, _address, (invoice, _), _token = self.debtor()
		link = api.get_portal_link(customer)
		token = link.rsplit("/relance/", 1)[1]
		self.assertEqual(debtor_access.resolve(token).customer.name, customer)
		company = frappe.db.get_value("Sales Invoice", invoice, "company")
		self.assertEqual(
			debtor_access.resolve(api.get_portal_link(customer, company).rsplit("/", 1)[1]).company.name,
			company,
		)
		clerk = make_user(f"{frappe.scrub(unique('clerk'))}@example.com", ["Accounts User"])
		outsider = make_user(f"{frappe.scrub(unique('outsider'))}@example.com", ["Blogger"])
		try:
			frappe.set_user(clerk)
			self.assertIn("/relance/", api.get_portal_link(customer))
			frappe.set_user(outsider)
			with self.assertRaises(frappe.PermissionError):
				api.get_portal_link(customer)
		finally:
			frappe.set_user("Administrator")

	def test_every_kind_of_bad_token_gets_the_same_page_and_changes_nothing(self):
		customer, _address, (invoice, _), good = self.debtor()
		expired = self.token(customer, issued=int(time.time()) - 61 * P.DAY_SECONDS)
		forged = P.sign_link(
			b"not the site key" * 2,
			customer,
			frappe.db.get_value("Sales Invoice", invoice, "company"),
			int(time.time()),
		)
		body, signature = good.split(".")
		altered = f"{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}"
		still_good = self.token(customer)
		self.assertEqual(render_page(still_good)[0], 200)
		api.revoke_portal_links(customer)  # every link issued before stops working
		revoked = still_good
		self.assertIsNone(debtor_access.resolve(revoked))
		self.assertIsNotNone(debtor_access.resolve(self.token(customer)))  # a link issued after works
		frappe.db.commit()  # nosemgrep: the answers below are refused before they write anything

		pages = {}
		for kind, token in (
			("forged", forged),
			("altered", altered),
			("expired", expired),
			("revoked", revoked),
			("junk", '"><script>alert(1)<\\script>'),  # no "/": a slash is another route
		):
			pages[kind] = render_page(token)
			before, hold = counts(), hold_of(invoice)
			with as_guest():
				for method, values in (
					(portal.promise, {"promised_date": str(add_days(TODAY, 5))}),
					(portal.dispute, {"reason": "Other", "comment": "x"}),
					(portal.already_paid, {"paid_on": str(TODAY), "reference": "VIR 1"}),
				):
					with self.assertRaises(InvalidLinkError) as refused:
						method(token=token, sales_invoice=invoice, **values)
					self.assertIn("no longer valid", str(refused.exception))
				for method in (portal.invoice_pdf, portal.statement_pdf):
					kwargs = {"sales_invoice": invoice} if method is portal.invoice_pdf else {}
					with self.assertRaises(InvalidLinkError):
						method(token=token, **kwargs)
			self.assertEqual(counts(), before, kind)
			self.assertEqual(hold_of(invoice), hold, kind)
		statuses = {status for status, _html in pages.values()}
		bodies = {re.sub(r'csrf_token = "[^"]*"', "", html) for _status, html in pages.values()}
		self.assertEqual(statuses, {404})
		self.assertEqual(len(bodies), 1, "each kind of bad token must get the very same page")
		[html] = bodies
		self.assertIn("This link is no longer valid", html)
		self.assertNotIn(invoice, html)
		self.assertNotIn("<script>alert(1)", html)
		self.assertNotIn("Traceback", html)

	def test_a_disabled_customer_or_a_page_turned_off_opens_nothing(self):
		customer, _address, (invoice, _), token = self.debtor()
		frappe.db.set_value("Customer", customer, "disabled", 1)
		self.assertIsNone(debtor_access.resolve(token))
		frappe.db.set_value("Customer", customer, "disabled", 0)
		self.assertIsNotNone(debtor_access.resolve(token))
		with settings_changed("Relance Settings", {"portal_enabled": 0}):
			self.assertIsNone(debtor_access.resolve(token))
			self.assertEqual(render_page(token)[0], 404)
			self.assertEqual(debtor_links.portal_url(customer, "x"), "")
		self.assertIn(invoice, render_page(token)[1])

	def test_an_unexpected_error_shows_the_plain_page_never_a_traceback(self):
		_customer, _address, (_invoice, _), token = self.debtor()
		original = relance_page.page_context
		relance_page.page_context = lambda token: 1 / 0
		try:
			status, html = render_page(token)
		finally:
			relance_page.page_context = original
		self.assertEqual(status, 404)
		self.assertIn("This link is no longer valid", html)
		self.assertNotIn("ZeroDivisionError", html)
		self.assertNotIn("Traceback", html)


class TestTemplatePatch(PortalCase):
	def test_shipped_templates_get_the_button_unless_rewritten(self):
		from relance_app.patches import debtor_page as patch
		from relance_app.setup.defaults import TEMPLATE_DIR, load_manifest

		changed = 0
		for entry in load_manifest():
			found = patch.portal_lines(entry)
			if not found or not frappe.db.exists("Email Template", entry["name"]):
				continue
			shipped = (TEMPLATE_DIR / entry["file"]).read_text()
			old = shipped.replace(found[0] + "\n", "")
			frappe.db.set_value("Email Template", entry["name"], "response_html", old)
			patch.execute()
			self.assertEqual(frappe.db.get_value("Email Template", entry["name"], "response_html"), shipped)
			frappe.db.set_value("Email Template", entry["name"], "response_html", "<p>{{ amount_due }}</p>")
			patch.execute()
			self.assertEqual(
				frappe.db.get_value("Email Template", entry["name"], "response_html"),
				"<p>{{ amount_due }}</p>",
			)
			changed += 1
		self.assertEqual(changed, 14)
		frappe.db.rollback()


GUEST_METHODS = ("promise", "dispute", "already_paid", "invoice_pdf", "statement_pdf")


class TestOverHttp(PortalCase):
	"""Through the running web server, as a guest with no session."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		import requests

		cls.url = (
			os.environ.get("RELANCE_REST_URL") or frappe.conf.host_name or "http://relance.test:8000"
		).rstrip("/")
		cls.http = requests.Session()
		try:
			cls.http.get(f"{cls.url}/api/method/ping", timeout=10)
		except requests.RequestException as e:
			raise AssertionError(f"the web server at {cls.url} does not answer: {e}") from e

	def setUp(self):
		super().setUp()
		reset_own_rate_limits(f"relance_app.portal.{m}" for m in GUEST_METHODS)

	def post(self, method, **data):
		return self.http.post(f"{self.url}/api/method/relance_app.portal.{method}", data=data, timeout=60)

	def test_page_pdf_and_answers_as_a_guest(self):
		customer, _address, (invoice, other), token = self.debtor()
		_o, _a, (foreign,), _t = self.debtor(invoices=1)
		frappe.db.commit()  # nosemgrep: the web server reads them
		page = self.http.get(f"{self.url}/relance/{token}", timeout=60)
		self.assertEqual(page.status_code, 200, page.text[:500])
		self.assertIn(invoice, page.text)
		self.assertNotIn(foreign, page.text)
		self.assertEqual(page.headers.get("X-From-Cache"), "False")
		pdf = self.http.get(
			f"{self.url}/api/method/relance_app.portal.invoice_pdf",
			params={"token": token, "sales_invoice": invoice},
			timeout=120,
		)
		self.assertEqual(pdf.status_code, 200, pdf.text[:300])
		self.assertTrue(pdf.content.startswith(b"%PDF"))
		self.assertIn("attachment", pdf.headers.get("Content-Disposition", ""))
		refused = self.http.get(
			f"{self.url}/api/method/relance_app.portal.invoice_pdf",
			params={"token": token, "sales_invoice": foreign},
			timeout=60,
		)
		self.assertEqual(refused.status_code, 417)
		self.assertNotIn("Traceback", refused.text)
		answer = self.post(
			"dispute", token=token, sales_invoice=other, reason="Other", comment="<script>alert(1)</script>"
		)
		self.assertEqual(answer.status_code, 200, answer.text[:500])
		self.assertTrue(answer.json()["message"]["ok"])
		frappe.db.rollback()  # see the web server's commit
		[log] = answers(other)
		self.assertEqual(log.remote_ip, "127.0.0.1")
		self.assertNotIn("<script", log.debtor_comment)
		page = self.http.get(f"{self.url}/relance/{token}", timeout=60)
		self.assertNotIn("<script>alert(1)</script>", page.text)

		bad = {}
		body, signature = token.split(".")
		for kind, t in (
			("forged", P.sign_link(b"x" * 32, customer, "C", int(time.time()))),
			("altered", f"{body}.{signature[:-1]}A" if signature[-1] != "A" else f"{body}.{signature[:-1]}B"),
			("junk", "abc"),
		):
			r = self.http.get(f"{self.url}/relance/{t}", timeout=60)
			bad[kind] = (r.status_code, re.sub(r'csrf_token = "[^"]*"', "", r.text))
			a = self.post("promise", token=t, sales_invoice=invoice, promised_date=str(add_days(TODAY, 3)))
			self.assertEqual(a.status_code, 403, a.text[:300])
			self.assertNotIn("Traceback", a.text)
		self.assertEqual(len(set(bad.values())), 1, {k: v[0] for k, v in bad.items()})
		self.assertEqual(next(iter(bad.values()))[0], 404)

	def test_answers_are_rate_limited_with_429(self):
		key = frappe.cache.make_key("rl:relance_app.portal.dispute:127.0.0.1")
		frappe.cache.delete(key)
		statuses = []
		try:
			for _ in range(debtor_answers.ANSWER_LIMIT + 2):
				statuses.append(
					self.post(
						"dispute", token="abc.def", sales_invoice="X", reason="Other", comment="x"
					).status_code
				)
		finally:
			frappe.cache.delete(key)  # other tests on this machine post from the same address
		self.assertEqual(set(statuses[: debtor_answers.ANSWER_LIMIT]), {403})
		self.assertEqual(statuses[debtor_answers.ANSWER_LIMIT :], [429, 429])
