"""The parts put together: merged into one PDF (a bookmark per part) or zipped apart, saved as a private
File attached to the invoice (or the customer), and recorded on the timeline."""

from __future__ import annotations

import io
import re
import zipfile

import frappe
from frappe import _
from frappe.utils import escape_html

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import Part, fdate, join_pdfs


def merge_parts(parts: list[Part]) -> bytes:
	return join_pdfs([p.pdf for p in parts], [p.title for p in parts])


def safe_name(text: str) -> str:
	return re.sub(r"[\\/:*?\"<>|]+", "-", text).strip()


def zip_parts(parts: list[Part]) -> bytes:
	buf = io.BytesIO()
	with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
		for i, p in enumerate(parts, start=1):
			z.writestr(f"{i:02d} {safe_name(p.slug or p.title)}.pdf", p.pdf)
	return buf.getvalue()


def save_file(doctype: str, name: str, file_name: str, content: bytes):
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": safe_name(file_name),
			"attached_to_doctype": doctype,
			"attached_to_name": name,
			"is_private": 1,
			"content": content,
		}
	)
	file.flags.ignore_permissions = True
	file.insert()
	return file


def record(data: FileData, file, cover: dict) -> None:
	"""A Comment on the timeline of the invoice (or the customer and each of its invoices)."""
	totals = ", ".join(t["total"] for t in cover["totals"])
	link = f'<a href="{file.file_url}">{escape_html(file.file_name)}</a>'
	text = _("Collection file built on {0} by {1}: {2} (invoices {3}; total claimed {4}).").format(
		fdate(data.as_of, data.language),
		frappe.session.user,
		link,
		", ".join(data.invoices),
		totals,
	)
	reference = frappe.get_doc(data.reference_doctype, data.reference_name)
	reference.add_comment("Info", text)
	if data.reference_doctype == "Customer":
		for name in data.invoices:
			frappe.get_doc("Sales Invoice", name).add_comment("Info", text)
