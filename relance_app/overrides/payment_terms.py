"""doc_events: payment terms past the legal cap (Code de commerce L441-10).

A Sales or Purchase Invoice whose due date (its last payment-schedule date) is past its company's
cap gets a warning when saved, or is refused where the company asks for it (Relance Settings). A
Payment Terms Template belongs to no company: a term that can give a due date past the cap of a
French company gets a warning naming the companies and the worst case, never a refusal (the
invoices made from it are checked)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint, getdate

from relance_app.data.payment_terms import cap_rule, french_companies
from relance_app.engine.payment_terms import cap_date, days_beyond_cap, worst_term_excess
from relance_app.exceptions import PaymentTermsBeyondCapError


def invoice_dates(doc):
	"""(issue date, latest due date) of an invoice, or None when it has no due date."""
	issued = (
		getdate(doc.get("bill_date") or doc.posting_date)
		if doc.doctype == "Purchase Invoice"
		else getdate(doc.posting_date)
	)
	dues = [getdate(row.due_date) for row in doc.get("payment_schedule") or [] if row.due_date]
	if doc.get("due_date"):
		dues.append(getdate(doc.due_date))
	return (issued, max(dues)) if dues and issued else None


def validate_invoice(doc, method=None):
	if doc.get("is_return") or not doc.get("company"):
		return
	rule = cap_rule(doc.company)
	dates = invoice_dates(doc)
	if rule is None or dates is None:
		return
	issued, due = dates
	excess = days_beyond_cap(issued, due, rule)
	if not excess:
		return
	message = _(
		"The due date {0} is {1} days past the legal cap of payment terms for an invoice dated {2}: {3} ({4}, Code de commerce L441-10)."
	).format(
		frappe.format(due, "Date"),
		excess,
		frappe.format(issued, "Date"),
		frappe.format(cap_date(issued, rule), "Date"),
		_(rule.method),
	)
	if rule.refuse:
		frappe.throw(
			message
			+ " "
			+ _("{0} refuses invoices beyond the cap (Relance Settings).").format(frappe.bold(doc.company)),
			PaymentTermsBeyondCapError,
			title=_("Payment Terms Beyond the Legal Cap"),
		)
	frappe.msgprint(message, title=_("Payment Terms Beyond the Legal Cap"), indicator="orange")


def validate_template(doc, method=None):
	rules = {}
	for company in french_companies():
		rule = cap_rule(company)
		rules.setdefault(rule, []).append(company)
	lines = []
	for row in doc.get("terms") or []:
		for rule, companies in rules.items():
			days, first = worst_term_excess(
				row.due_date_based_on, cint(row.credit_days), cint(row.credit_months), rule
			)
			if days:
				lines.append(
					_(
						"Row {0}: up to {1} days past the cap of {2} ({3}), e.g. for an invoice dated {4}."
					).format(
						row.idx, days, ", ".join(companies), _(rule.method), frappe.format(first, "Date")
					)
				)
	if lines:
		frappe.msgprint(
			lines, title=_("Payment Terms Beyond the Legal Cap"), indicator="orange", as_list=True
		)
