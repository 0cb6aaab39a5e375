"""The letters (the mise en demeure), each as: a tracking page (sending method, registered-mail number,
posting and acknowledgement dates), the letter as it was produced (rendered again as of its date when
its PDF is gone) and the scanned acknowledgement of receipt."""

from __future__ import annotations

import base64

import frappe
from frappe import _
from frappe.utils import getdate

from relance_app.channels.letter import letter_logs
from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import (
	Part,
	common_context,
	fdate,
	html_to_pdf,
	join_pdfs,
	pdf_part,
	render_html_part,
	render_template,
)
from relance_app.constants import MISE_EN_DEMEURE, RECEIVED, RETURNED
from relance_app.documents.letter_print import letter_pdf

IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif"}


def letter_file(log) -> bytes | None:
	"""The letter PDF the run saved on the invoice when it produced the letter (channels.letter's
	make_letters names it stage-invoice-date.pdf)."""
	fname = f"{log.stage_name}-{log.sales_invoice}-{getdate(log.relance_date)}.pdf".replace(" ", "_")
	name = frappe.db.get_value(
		"File",
		{"attached_to_doctype": "Sales Invoice", "attached_to_name": log.sales_invoice, "file_name": fname},
		"name",
		order_by="creation asc",
	)
	if not name:
		return None
	try:
		return frappe.get_doc("File", name).get_content()
	except Exception:
		return None


def letter_print_format(log) -> str:
	"""The print format of the log's stage in its policy, else the shipped Mise en demeure."""
	policy = frappe.db.get_value("Relance Log", log.name, "dunning_policy")
	if not policy:
		return MISE_EN_DEMEURE
	row = frappe.db.get_value(
		"Dunning Policy Stage",
		{"parent": policy, "parenttype": "Dunning Policy", "stage_name": log.stage_name},
		"letter_print_format",
	)
	return row or MISE_EN_DEMEURE


def regenerate_letter(log) -> bytes:
	"""A letter whose PDF is gone: rendered again as of its relance date."""
	return letter_pdf(
		log.sales_invoice, letter_print_format(log), getdate(log.relance_date), log.get("language") or None
	)


def scan_pdf(url: str | None) -> tuple[bytes | None, str]:
	"""The scanned acknowledgement: a PDF as it is, an image on a page of its own."""
	if not url:
		return None, ""
	name = frappe.db.get_value("File", {"file_url": url}, "name")
	if not name:
		return None, ""
	file = frappe.get_doc("File", name)
	try:
		content = file.get_content()
	except Exception:
		return None, file.file_name
	if isinstance(content, str):
		content = content.encode()
	if content.startswith(b"%PDF"):
		return content, file.file_name
	mime = IMAGE_TYPES.get((file.file_name or "").rsplit(".", 1)[-1].lower())
	if not mime:
		return None, file.file_name
	html = render_template(
		"scan",
		{
			"file_name": file.file_name,
			"data_uri": f"data:{mime};base64,{base64.b64encode(content).decode()}",
		},
	)
	return html_to_pdf(html), file.file_name


def acknowledgement_text(log, lang: str) -> str:
	if log.acknowledgement == RECEIVED:
		return _("Received on {0}").format(fdate(log.acknowledgement_date, lang))
	if log.acknowledgement == RETURNED:
		return _("Returned, not collected, on {0}").format(fdate(log.acknowledgement_date, lang))
	return _("Awaited") if log.posting_date else ""


def tracking_part(data: FileData, log, scan_name: str, scan_included: bool, regenerated: bool) -> Part:
	"""The page that says how the letter went and what came back."""
	lang = data.language
	return render_html_part(
		"letter",
		"",
		"",
		{
			**common_context(data),
			"stage": log.stage_name,
			"invoice": log.sales_invoice,
			"letter_date": fdate(log.relance_date, lang),
			"sending_method": _(log.sending_method) if log.sending_method else _("Not recorded"),
			"registered_number": log.registered_number or "",
			"posting_date": fdate(log.posting_date, lang) or _("Not recorded"),
			"acknowledgement": acknowledgement_text(log, lang),
			"scan": scan_name,
			"scan_included": scan_included,
			"regenerated": regenerated,
		},
	)


def letter_parts(data: FileData) -> list[Part]:
	"""Per letter: its tracking page, the letter as produced, the scanned acknowledgement."""
	out = []
	for log in letter_logs(data.invoices):
		letter = letter_file(log)
		regenerated = letter is None
		if regenerated:
			letter = regenerate_letter(log)
		scan, scan_name = scan_pdf(log.acknowledgement_scan)
		tracking = tracking_part(data, log, scan_name, bool(scan), regenerated)
		pdf = join_pdfs([p for p in (tracking.pdf, letter, scan) if p])
		title = f"{log.stage_name} – {log.sales_invoice}"
		out.append(pdf_part("letter", title, title, pdf))
	return out
