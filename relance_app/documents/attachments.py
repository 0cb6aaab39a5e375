"""What a relance attaches: the invoice PDF (rendered when the queue sends) and the statement of
account; the print format an invoice is printed with when the stage names none."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import cint, getdate
from frappe.utils.pdf import get_pdf

from relance_app.common import cache
from relance_app.data.invoices import Candidate, is_open
from relance_app.engine.message import format_date, format_money
from relance_app.engine.penalties import to_decimal


def default_print_format() -> str:
	return cache.memo("default_print_format", _default_print_format)


def _default_print_format() -> str:
	return (
		frappe.db.get_value(
			"Property Setter", {"doc_type": "Sales Invoice", "property": "default_print_format"}, "value"
		)
		or "Standard"
	)


def invoice_attachment(name: str, print_format: str, language: str, letter_head: str | None = None) -> dict:
	"""The invoice PDF, rendered when the queue sends (deferred), or now when Print Settings would
	otherwise send HTML."""
	if cint(frappe.db.get_single_value("Print Settings", "send_print_as_pdf")):
		return {
			"print_format_attachment": 1,
			"doctype": "Sales Invoice",
			"name": name,
			"print_format": print_format,
			"lang": language,
			"print_letterhead": True,
			**({"letterhead": letter_head} if letter_head else {}),
		}
	pdf = frappe.get_print("Sales Invoice", name, print_format, as_pdf=True, letterhead=letter_head)
	return {"fname": f"{name}.pdf", "fcontent": pdf}


def statement_attachment(candidate: Candidate, as_of: date, language: str) -> dict:
	"""The customer's open invoices as a PDF statement."""
	si = frappe.qb.DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(si)
		.select(si.name, si.posting_date, si.due_date, si.grand_total, si.outstanding_amount, si.currency)
		.where(
			is_open(si) & (si.customer == candidate.facts.customer) & (si.company == candidate.row.company)
		)
		.orderby(si.due_date)
		.run(as_dict=True)
	)
	for row in rows:  # dates and amounts as the document's language writes them
		row.posting_date = format_date(getdate(row.posting_date), language) if row.posting_date else ""
		row.due_date = format_date(getdate(row.due_date), language) if row.due_date else ""
		row.grand_total = format_money(to_decimal(row.grand_total), row.currency, language)
		row.outstanding_amount = format_money(to_decimal(row.outstanding_amount), row.currency, language)
	html = frappe.render_template(
		"relance_app/templates/relance_statement.html",
		{
			"rows": rows,
			"as_of_formatted": format_date(getdate(as_of), language),
			"customer": candidate.row.customer_name,
			"company": candidate.row.company,
			"as_of": as_of,
			"_": _,
		},
	)
	return {"fname": f"{_('Statement')}-{candidate.facts.customer}-{as_of}.pdf", "fcontent": get_pdf(html)}
