"""The debtor page's PDFs: the invoice and the statement of account, as the relance attached them."""

from __future__ import annotations

from types import SimpleNamespace

import frappe
from frappe.utils import cint, getdate, today

from relance_app.common.language import in_language
from relance_app.data.invoices import PolicyResolver, load_policies
from relance_app.debtor_page.access import (
	own_invoice,
	require_access,
)
from relance_app.documents.attachments import default_print_format, statement_attachment


def print_settings(access, invoice) -> tuple[str, str | None]:
	"""The relance's print format and letter head: the stage of the invoice's last relance, else the
	policy's first stage that attaches the invoice, else the site's default print format."""

	info = PolicyResolver(load_policies()).resolve(
		access.company.name, access.customer.dunning_policy, access.customer.customer_group
	)
	rows = frappe.get_cached_doc("Dunning Policy", info.name).stages if info else []
	row = next((r for r in rows if r.stage_name == invoice.relance_last_stage), None) or next(
		(r for r in rows if cint(r.attach_invoice)), None
	)
	return (row and row.print_format) or default_print_format(), (row.get("letter_head") if row else None)


def as_guest_print(render_fn, language: str):
	"""Render as the email queue does for attachments: print permissions waived for this document
	only (the token was checked), in the customer's language."""
	frappe.flags.ignore_print_permissions = True
	try:
		with in_language(language):
			return render_fn()
	finally:
		frappe.flags.ignore_print_permissions = False


def _download(filename: str, content: bytes):
	frappe.local.response.filename = filename
	frappe.local.response.filecontent = content
	frappe.local.response.type = "download"
	frappe.local.response.content_type = "application/pdf"


def invoice_download(token, sales_invoice) -> None:
	"""The invoice's PDF, in the print format, letter head and language of the relance attachments."""
	access = require_access(token)
	invoice = own_invoice(access, sales_invoice, open_only=False)
	print_format, letter_head = print_settings(access, invoice)
	pdf = as_guest_print(
		lambda: frappe.get_print(
			"Sales Invoice", invoice.name, print_format, as_pdf=True, letterhead=letter_head
		),
		access.language,
	)
	_download(f"{invoice.name}.pdf", pdf)


def statement_download(token) -> None:
	"""The customer's statement of account for the token's company (the relance attachment's)."""
	access = require_access(token)
	candidate = SimpleNamespace(
		facts=SimpleNamespace(customer=access.customer.name),
		row=frappe._dict(company=access.company.name, customer_name=access.customer.customer_name),
	)
	out = as_guest_print(
		lambda: statement_attachment(candidate, getdate(today()), access.language), access.language
	)
	_download(out["fname"], out["fcontent"])
