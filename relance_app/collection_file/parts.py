"""A part of the collection file (one document: its title, its name in the ZIP, its PDF and pages),
rendered from its HTML template; and what every part shares: the header's context, dates, times and
money in the file's language."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import frappe
from frappe import _
from frappe.utils import get_datetime, getdate
from frappe.utils.pdf import get_pdf
from pypdf import PdfReader, PdfWriter

from relance_app.collection_file.loading import FileData
from relance_app.engine.message import format_date, format_money
from relance_app.engine.penalties import to_decimal

TEMPLATES = "relance_app/templates/collection_file/"


@dataclass
class Part:
	"""One document of the file: its title, its file name in the ZIP and its PDF."""

	key: str
	title: str
	slug: str
	pdf: bytes
	pages: int = 0
	first_page: int = 0


def pdf_pages(pdf: bytes) -> int:
	return len(PdfReader(io.BytesIO(pdf)).pages)


def html_to_pdf(html: str) -> bytes:
	return get_pdf(html)


def join_pdfs(pdfs: list[bytes], titles: list[str] | None = None) -> bytes:
	"""One PDF of these, in order (with a bookmark per document when `titles` are given)."""
	writer = PdfWriter()
	for i, pdf in enumerate(pdfs):
		writer.append(io.BytesIO(pdf), outline_item=titles[i] if titles else None)
	buf = io.BytesIO()
	writer.write(buf)
	return buf.getvalue()


def render_template(key: str, context: dict) -> str:
	return frappe.render_template(f"{TEMPLATES}{key}.html", {**context, "_": _})


def render_html_part(key: str, title: str, slug: str, context: dict) -> Part:
	pdf = html_to_pdf(render_template(key, {**context, "part_title": title}))
	return Part(key, title, slug, pdf, pdf_pages(pdf))


def pdf_part(key: str, title: str, slug: str, pdf: bytes) -> Part:
	return Part(key, title, slug, pdf, pdf_pages(pdf))


def common_context(data: FileData) -> dict:
	"""What the header of every part shows."""
	return {
		"company_name": frappe.get_cached_value("Company", data.company, "company_name") or data.company,
		"customer_name": frappe.db.get_value("Customer", data.customer, "customer_name") or data.customer,
		"as_of": fdate(data.as_of, data.language),
		"invoice_numbers": ", ".join(data.invoices),
	}


def fdate(day, language: str) -> str:
	return format_date(getdate(day), language) if day else ""


def fmoney(amount, currency: str, language: str) -> str:
	return format_money(to_decimal(amount), currency or "EUR", language)


def format_datetime(value, language: str) -> str:
	if not value:
		return ""
	value = get_datetime(value)
	return f"{format_date(value.date(), language)} {value.strftime('%H:%M')}"


def shorten(text: str, limit: int) -> str:
	text = re.sub(r"\s+", " ", text).strip()
	return text if len(text) <= limit else text[: limit - 1] + "…"
