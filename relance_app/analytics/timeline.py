"""Relance history for the Customer and Sales Invoice forms, and for the standard form timeline."""

from __future__ import annotations

import frappe
from frappe.query_builder import Criterion

from relance_app.constants import ANSWERED

FIELDS = (
	"name",
	"sales_invoice",
	"customer",
	"stage_name",
	"channel",
	"status",
	"reason",
	"relance_date",
	"days_late",
	"currency",
	"amount_due",
	"late_interest",
	"fixed_indemnity",
	"recipients",
	"subject",
	"communication",
	"email_queue",
	"test_mode",
	"group_id",
	"answered_at",
	"remote_ip",
)


def get_timeline(customer=None, sales_invoice=None, start: int = 0, page_length: int = 500) -> list[dict]:
	log = frappe.qb.DocType("Relance Log")
	conditions = []
	if sales_invoice:
		conditions.append(log.sales_invoice == sales_invoice)
	if customer:
		conditions.append(log.customer == customer)
	query = (
		frappe.qb.from_(log)
		.select(*[log[f] for f in FIELDS])
		.where(Criterion.all(conditions))
		.orderby(log.relance_date, order=frappe.qb.desc)
		.orderby(log.creation, order=frappe.qb.desc)
		.limit(page_length)
		.offset(start)
	)
	rows = query.run(as_dict=True)
	if not sales_invoice and rows:
		# user permissions (company, customer...) apply: keep only invoices the user may read
		allowed = set(
			frappe.get_list(
				"Sales Invoice",
				filters={"name": ("in", list({r.sales_invoice for r in rows}))},
				pluck="name",
				limit_page_length=0,
			)
		)
		rows = [r for r in rows if r.sales_invoice in allowed]
	return rows


def timeline_content(doctype, docname) -> list[dict]:
	"""`additional_timeline_content` hook: relance logs in the standard form timeline."""
	filters = {"sales_invoice": docname} if doctype == "Sales Invoice" else {"customer": docname}
	out = []
	for r in frappe.get_all(
		"Relance Log",
		filters=filters,
		fields=[
			"name",
			"stage_name",
			"status",
			"relance_date",
			"creation",
			"sales_invoice",
			"channel",
			"reason",
			"answered_at",
			"remote_ip",
		],
		order_by="creation desc",
		limit=200,
	):
		if r.status == ANSWERED:
			out.append(answer_content(doctype, r))
			continue
		content = frappe._("Relance {0} ({1}): {2}").format(
			frappe.bold(r.stage_name), r.channel or "", frappe._(r.status)
		)
		if doctype == "Customer":
			content += " – " + frappe.utils.get_link_to_form("Sales Invoice", r.sales_invoice)
		if r.reason:
			content += f" – {frappe.utils.escape_html(r.reason)}"
		out.append(
			{
				"icon": "mail",
				"is_card": False,
				"creation": r.creation,
				"template": "timeline_message_box",
				"template_data": {"content": content, "relance_log": r.name},
				"content": content,
			}
		)
	return out


def answer_content(doctype, r) -> dict:
	"""A debtor's answer from the debtor page (relance_app.debtor_page): what, when, from which address."""
	content = frappe._("From the debtor page: {0}").format(frappe.utils.escape_html(r.reason or ""))
	content += " – " + frappe._("{0}, IP address {1}").format(
		frappe.format(r.answered_at, "Datetime"), frappe.utils.escape_html(r.remote_ip or "?")
	)
	if doctype == "Customer":
		content += " – " + frappe.utils.get_link_to_form("Sales Invoice", r.sales_invoice)
	return {
		"icon": "reply",
		"is_card": False,
		"creation": r.answered_at or r.creation,
		"template": "timeline_message_box",
		"template_data": {"content": content, "relance_log": r.name},
		"content": content,
	}
