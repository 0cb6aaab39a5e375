"""The letter (the "Mise en demeure" print format): the Jinja method its template calls (the same
context as the emails) and the letter rendered for a given day.

The day and the language travel with the document: `letter_pdf` gives the Sales Invoice it prints the
plain attributes `relance_as_of` and `relance_language`, which `relance_letter_context(doc)` reads; a
print from the desk has none: dated today, in the language of the stage's template for the customer
(relance_app.documents.language), as the letter the run makes. The print format writes every word in
the context's `language`."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.common import cache
from relance_app.common.language import in_language
from relance_app.constants import LETTER_CHANNELS
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.message_data import message_context

# the attributes of the printed Sales Invoice that date its letter and give its language (not fields:
# never saved)
AS_OF_ATTRIBUTE = "relance_as_of"
LANGUAGE_ATTRIBUTE = "relance_language"


def letter_pdf(sales_invoice: str, print_format: str, as_of: date, language: str | None = None) -> bytes:
	"""The letter about `sales_invoice` in `print_format`, dated `as_of`, in `language` (else the
	letter stage's template language for the customer), as a PDF."""
	language = language or letter_language(sales_invoice, as_of)
	with in_language(language):
		return frappe.get_print(
			"Sales Invoice",
			sales_invoice,
			print_format,
			doc=dated_invoice(sales_invoice, as_of, language),
			as_pdf=True,
		)


def letter_html(sales_invoice: str, print_format: str, as_of: date, language: str | None = None) -> str:
	"""The same letter as HTML (the print view's page)."""
	language = language or letter_language(sales_invoice, as_of)
	with in_language(language):
		return frappe.get_print(
			"Sales Invoice", sales_invoice, print_format, doc=dated_invoice(sales_invoice, as_of, language)
		)


def dated_invoice(sales_invoice: str, as_of: date, language: str | None = None):
	"""The Sales Invoice to print, carrying the day and the language of its letter."""
	doc = frappe.get_doc("Sales Invoice", sales_invoice)
	setattr(doc, AS_OF_ATTRIBUTE, getdate(as_of))
	setattr(doc, LANGUAGE_ATTRIBUTE, language)
	return doc


def letter_language(sales_invoice: str, as_of: date) -> str:
	"""The language of the letter about `sales_invoice`: its context's."""
	return relance_letter_context(sales_invoice, as_of)["language_code"]


def relance_letter_context(doc, as_of: date | None = None) -> dict:
	"""Context for a letter about `doc` (a Sales Invoice or its name): its policy's formal (last
	letter) stage, in the language the document carries (`letter_pdf`), else the language of that
	stage's template for the customer, as of `as_of`, else the day the document carries, else today."""
	name = doc if isinstance(doc, str) else doc.name
	as_of = getdate(as_of or getattr(doc, AS_OF_ATTRIBUTE, None) or today())
	language = None if isinstance(doc, str) else getattr(doc, LANGUAGE_ATTRIBUTE, None)
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
	return message_context(stage, policy, policy_doc, [candidate], as_of, language=language)
