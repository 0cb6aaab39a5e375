"""doc_events of the credit hold (relance_app.records.credit_hold, relance_app.engine.credit_hold).

Quotation, Sales Order, Delivery Note, Sales Invoice: `before_submit` refuses the document of a held
customer (CreditHoldError naming the overdue invoices) or warns, as the customer's policy says; a
bypass recorded for the document lets it through once. `validate` of a draft warns when the policy
says Warn. Payment Entry and Sales Invoice (credit note, cancel): the customer's hold is looked at
again, so a payment lifts it at once and the log says so.

A customer with no overdue invoice costs one indexed query (relance_app.data.credit_hold.hold_of).
"""

import frappe
from frappe.utils import flt

from relance_app.constants import HOLD_REFUSE, HOLD_WARN
from relance_app.data.credit_hold import customer_of, hold_of
from relance_app.exceptions import CreditHoldError
from relance_app.records import credit_hold as records


def never_held(doc) -> bool:
	"""A credit note, a return, an invoice paid on the spot: nothing to hold."""
	if doc.get("is_return"):
		return True
	return doc.doctype == "Sales Invoice" and doc.get("is_pos") and flt(doc.get("outstanding_amount")) <= 0


def hold_for(doc):
	"""The hold of the document's customer with its company; None for a document nothing holds."""
	customer = customer_of(doc)
	if not customer or not doc.get("company") or never_held(doc):
		return None
	return hold_of(customer, doc.company)


def warn(found, doctype: str) -> None:
	frappe.msgprint(
		records.message(found, doctype),
		title=records.warn_or_refuse_title(HOLD_WARN),
		indicator="orange",
		wide=True,
	)


def before_submit(doc, method=None):
	found = hold_for(doc)
	action = found.hold.action(doc.doctype) if found else None
	if action == HOLD_REFUSE and not records.bypassed(doc.doctype, doc.name):
		frappe.throw(
			records.message(found, doc.doctype),
			CreditHoldError,
			title=records.warn_or_refuse_title(action),
			wide=True,
			primary_action=records.refusal_action(doc.doctype, doc.name),
		)
	elif action == HOLD_WARN:
		warn(found, doc.doctype)


def validate(doc, method=None):
	"""A draft saved: the warning, when the policy warns for this doctype (the submit checks again)."""
	found = hold_for(doc) if doc.docstatus == 0 else None
	if found and found.hold.action(doc.doctype) == HOLD_WARN:
		warn(found, doc.doctype)


def payment_changed(doc, method=None):
	"""Payment Entry submitted or cancelled: the customer's hold may lift (or come back)."""
	if doc.get("party_type") == "Customer" and doc.get("party"):
		records.sync_customer(doc.party)


def invoice_changed(doc, method=None):
	"""Sales Invoice: a credit note submitted, or an invoice cancelled, changes what is overdue."""
	if doc.get("customer") and (doc.get("is_return") or method == "on_cancel"):
		records.sync_customer(doc.customer)
