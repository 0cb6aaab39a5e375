"""Data for the browser test (e2e/browser_test.mjs): a customer with two invoices and relances, and
the default policy (the Stage Effectiveness screenshot shows it).

bench --site SITE execute relance_app.tests.e2e_fixtures.create
"""

import json

import frappe
from frappe.utils import add_days, getdate, today

from relance_app.relance.run import run_dunning
from relance_app.tests.utils import make_customer, make_invoice, unique


def create() -> str:
	frappe.set_user("Administrator")
	frappe.db.set_single_value("Relance Settings", {"test_mode": 0, "business_days_only": 0})
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

	out = {"customer": customer, "invoices": names, "policy": default_policy()}
	print(json.dumps(out))
	return json.dumps(out)
