"""Data for the credit hold's browser test (e2e/credit_hold_test.mjs): a customer of its own policy
(orders held from the Mise en demeure) whose invoice reached it, the hold noticed (its log and the
Customer's field), and a draft Sales Order to submit. Committed: the web server reads it.

bench --site SITE execute relance_app.tests.e2e_credit_hold.create
"""

import json

import frappe
from frappe.utils import add_days, getdate, today

from relance_app.records.credit_hold import sync_customer
from relance_app.tests.test_credit_hold import reach, sales_doc
from relance_app.tests.utils import make_customer, make_invoice, policy_copy, unique


def create() -> str:
	frappe.set_user("Administrator")
	as_of = getdate(today())
	customer = make_customer(unique("Client Bloqué"))
	policy_copy(customer, credit_hold_enabled=1, credit_hold_from_stage="Mise en demeure")
	invoices = [
		make_invoice(customer, add_days(as_of, -d), amount=amount).name
		for d, amount in ((52, 1840), (21, 960))
	]
	for k, stage in enumerate(("Relance 1", "Relance 2", "Relance 3", "Mise en demeure")):
		reach(invoices[0], stage, days_ago=42 - 11 * k)
	reach(invoices[1], "Relance 1", days_ago=12)
	sync_customer(customer)
	order = sales_doc("Sales Order", customer).name
	frappe.db.commit()  # nosemgrep: the web server reads these in its own transaction
	return json.dumps({"customer": customer, "invoices": invoices, "sales_order": order})
