"""Data for the browser test (e2e/browser_test.mjs): a customer with two invoices and relances, the
default policy (the Stage Effectiveness screenshot shows it), and the debtor page's link as the
queued relance email carries it.

bench --site SITE execute relance_app.tests.e2e_fixtures.create
"""

import email
import email.policy
import json
import re

import frappe
from frappe.utils import add_days, getdate, today

from relance_app.run.daily import run_dunning
from relance_app.tests.utils import make_customer, make_invoice, unique


def create() -> str:
	frappe.set_user("Administrator")
	frappe.db.set_single_value(
		"Relance Settings", {"test_mode": 0, "business_days_only": 0, "portal_enabled": 1}
	)
	if not frappe.db.get_value("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
		from relance_app.tests.utils import SMTPCapture, setup_email_account

		# Frappe checks the SMTP connection when the account is saved: a server listens meanwhile, then
		# nothing does, and the emails stay queued, which is all the UI needs
		capture = SMTPCapture().start()
		try:
			setup_email_account(capture.port)
		finally:
			capture.stop()
	customer = make_customer(unique("Client Navigateur"), "navigateur@client.example")
	as_of = getdate(today())
	invoices = [make_invoice(customer, add_days(as_of, -d), amount=500 + d * 10) for d in (40, 12)]
	names = [si.name for si in invoices]
	run_dunning(as_of=add_days(as_of, -24), invoice_names=names, enqueue=False)
	run_dunning(as_of=as_of, invoice_names=names, enqueue=False)
	frappe.db.commit()
	from relance_app.tests.utils import default_policy

	out = {
		"customer": customer,
		"invoices": names,
		"policy": default_policy(),
		"portal_url": portal_url_in_queued_email(names),
	}
	print(json.dumps(out))
	return json.dumps(out)


def portal_url_in_queued_email(invoices: list[str]) -> str | None:
	"""The debtor page's link in the latest relance email queued for these invoices, read from the
	queued MIME message as the customer's mail client will get it."""
	link = re.compile(r'href="([^"]+/relance/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"')
	for raw in frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Sales Invoice", "reference_name": ("in", invoices)},
		pluck="message",
		order_by="creation desc",
	):
		message = email.message_from_string(raw or "", policy=email.policy.default)
		part = message.get_body(preferencelist=("html", "plain"))
		found = link.search(part.get_content() if part else "")
		if found:
			return found.group(1)
	return None
