"""The letter (the "Mise en demeure" print format): the Jinja method its template calls (the same
context as the emails) and the letter rendered for a given day.

The day travels with the document: `letter_pdf` gives the Sales Invoice it prints the plain attribute
`relance_as_of`, which `relance_letter_context(doc)` reads; a print from the desk has none and is
dated today."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.common import cache
from relance_app.constants import LETTER_CHANNELS
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.message_data import message_context

# the attribute of the printed Sales Invoice that dates its letter (not a field: never saved)
AS_OF_ATTRIBUTE = "relance_as_of"


def letter_pdf(sales_invoice: str, print_format: str, as_of: date) -> bytes:
	"""The letter about `sales_invoice` in `print_format`, dated `as_of`, as a PDF."""
	return frappe.get_print(
		"Sales Invoice",
		sales_invoice,
		print_format,
		doc=dated_invoice(sales_invoice, as_of),
		as_pdf=True,
	)


def letter_html(sales_invoice: str, print_format: str, as_of: date) -> str:
	"""The same letter as HTML (the print view's page)."""
	return frappe.get_print(
		"Sales Invoice", sales_invoice, print_format, doc=dated_invoice(sales_invoice, as_of)
	)


def dated_invoice(sales_invoice: str, as_of: date):
	"""The Sales Invoice to print, carrying the day of its letter."""
	doc = frappe.get_doc("Sales Invoice", sales_invoice)
	setattr(doc, AS_OF_ATTRIBUTE, getdate(as_of))
	return doc


def relance_letter_context(doc, as_of: date | None = None) -> dict:
	"""Context for a letter about `doc` (a Sales Invoice or its name): its policy's formal (last
	letter) stage, in the customer's language, as of `as_of`, else the day the document carries
	(`letter_pdf`), else today."""
	name = doc if isinstance(doc, str) else doc.name
	as_of = getdate(as_of or getattr(doc, AS_OF_ATTRIBUTE, None) or today())
	cache.clear()
	candidates = select_candidates(load_policies(), invoice_names=[name], any_state=True)
	if not candidates or not candidates[0].policy:
		frappe.throw(
			_("No Dunning Policy applies to Sales Invoice {0}.").format(name), title=_("No Dunning Policy")
		)
	candidate = candidates[0]
	policy = candidate.policy.policy
	stages = policy.ordered_stages()
	letters = [s for s in stages if s.channel in LETTER_CHANNELS]
	stage = letters[-1] if letters else stages[-1]
	policy_doc = frappe.get_cached_doc("Dunning Policy", candidate.policy.name)
	return message_context(stage, policy, policy_doc, [candidate], as_of)
