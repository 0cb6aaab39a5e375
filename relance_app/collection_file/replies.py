"""What the customer said: the answers on the debtor page (promises, disputes, "already paid", with the
time, the IP address and the debtor's own words) and the emails received about the invoices."""

from __future__ import annotations

import html

import frappe
from frappe import _
from frappe.utils import strip_html

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import fdate, format_datetime, shorten
from relance_app.constants import ANSWERED

ANSWER_FIELDS = (
	"sales_invoice",
	"answer",
	"promised_date",
	"dispute_reason",
	"paid_on",
	"payment_reference",
	"answered_at",
	"remote_ip",
	"debtor_comment",
)


def received_emails(invoices: list[str]) -> list[dict]:
	"""Received Communications about these invoices (their reference, or a link to one), oldest first."""
	comm = frappe.qb.DocType("Communication")
	link = frappe.qb.DocType("Communication Link")
	linked = (
		frappe.qb.from_(link)
		.select(link.parent)
		.where((link.link_doctype == "Sales Invoice") & link.link_name.isin(invoices))
	)
	return (
		frappe.qb.from_(comm)
		.select(
			comm.name,
			comm.communication_date,
			comm.sender,
			comm.subject,
			comm.content,
			comm.reference_name,
		)
		.where(
			(comm.sent_or_received == "Received")
			& (comm.communication_type == "Communication")
			& (
				((comm.reference_doctype == "Sales Invoice") & comm.reference_name.isin(invoices))
				| comm.name.isin(linked)
			)
		)
		.orderby(comm.communication_date)
		.run(as_dict=True)
	)


def reply_rows(data: FileData) -> list[dict]:
	"""The customer's emails about these invoices."""
	return [
		{
			"date": format_datetime(r.communication_date, data.language),
			"sender": r.sender or "",
			"subject": r.subject or "",
			"excerpt": shorten(strip_html(r.content or ""), 600),
			"invoice": r.reference_name or "",
		}
		for r in received_emails(data.invoices)
	]


def answer_details(r, lang: str) -> str:
	details = []
	if r.promised_date:
		details.append(_("promised for {0}").format(fdate(r.promised_date, lang)))
	if r.dispute_reason:
		details.append(_(r.dispute_reason))
	if r.paid_on:
		details.append(_("paid on {0}").format(fdate(r.paid_on, lang)))
	if r.payment_reference:
		details.append(html.unescape(r.payment_reference))
	return ", ".join(details)


def portal_answers(data: FileData) -> list[dict]:
	"""What the debtor answered on the debtor page (Relance Logs "Answered")."""
	if not frappe.get_meta("Relance Log").has_field("answer"):
		return []
	lang = data.language
	rows = frappe.get_all(
		"Relance Log",
		filters={"sales_invoice": ("in", data.invoices), "status": ANSWERED},
		fields=list(ANSWER_FIELDS),
		order_by="answered_at asc, creation asc",
	)
	return [
		{
			"invoice": r.sales_invoice,
			"date": format_datetime(r.answered_at, lang),
			"answer": _(r.answer or ""),
			"details": answer_details(r, lang),
			"comment": shorten(html.unescape(r.debtor_comment or ""), 600),
			"ip": r.remote_ip or "",
		}
		for r in rows
	]
