"""Every relance as sent: one row per message (a grouped email once) with its date, channel,
recipients, subject, the body from its Communication, the delivery status from the Email Queue (per
recipient) and, for a letter or a phone call, the task given."""

from __future__ import annotations

from collections import defaultdict

import frappe
from frappe import _
from frappe.utils import strip_html

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import (
	Part,
	common_context,
	fdate,
	fmoney,
	format_datetime,
	render_html_part,
)
from relance_app.constants import DELIVERED_STATUSES, EMAIL_CHANNELS, LETTER, PHONE, THANK_YOU_STAGE

LOG_FIELDS = (
	"name",
	"sales_invoice",
	"stage_name",
	"channel",
	"status",
	"relance_date",
	"sent_on",
	"recipients",
	"cc",
	"subject",
	"communication",
	"email_queue",
	"test_mode",
	"todo",
	"reason",
	"late_interest",
	"fixed_indemnity",
	"amount_due",
	"currency",
)


def delivered_logs(invoices: list[str]) -> list[dict]:
	"""The relances that reached the customer (not the thank-you), oldest first."""
	return frappe.get_all(
		"Relance Log",
		filters={
			"sales_invoice": ("in", invoices),
			"status": ("in", list(DELIVERED_STATUSES)),
			"stage_name": ("!=", THANK_YOU_STAGE),
		},
		fields=list(LOG_FIELDS),
		order_by="relance_date asc, creation asc",
	)


def by_name(doctype: str, names: list[str], fields: list[str]) -> dict:
	return {
		r.name: r
		for r in frappe.get_all(doctype, filters={"name": ("in", names or [""])}, fields=["name", *fields])
	}


def linked_records(logs: list[dict]) -> tuple[dict, dict, dict, dict]:
	"""The logs' Communications, Email Queues, queue recipients (per queue) and ToDos, by name."""
	comms = by_name(
		"Communication",
		[x.communication for x in logs if x.communication],
		["content", "delivery_status", "communication_date", "sender", "subject"],
	)
	queues = by_name(
		"Email Queue",
		[x.email_queue for x in logs if x.email_queue],
		["status", "error", "modified", "creation"],
	)
	recipients = defaultdict(list)
	for r in frappe.get_all(
		"Email Queue Recipient",
		filters={"parent": ("in", list(queues) or [""]), "parenttype": "Email Queue"},
		fields=["parent", "recipient", "status", "error"],
		order_by="idx asc",
	):
		recipients[r.parent].append(r)
	todos = by_name(
		"ToDo",
		[x.todo for x in logs if x.todo],
		["status", "description", "date", "allocated_to", "modified"],
	)
	return comms, queues, recipients, todos


def relance_rows(data: FileData) -> list[dict]:
	"""Every relance that reached the customer (one row per message: a grouped email once), with its
	Communication and Email Queue."""
	logs = delivered_logs(data.invoices)
	comms, queues, recipients, todos = linked_records(logs)
	lang = data.language
	rows: list[dict] = []
	by_message: dict[str, dict] = {}
	for log in logs:
		key = log.communication or log.name
		if key in by_message:
			by_message[key]["invoices"].append(log.sales_invoice)
			continue
		comm = comms.get(log.communication) if log.communication else None
		queue = queues.get(log.email_queue) if log.email_queue else None
		row = {
			"date": fdate(log.relance_date, lang),
			"sent_on": format_datetime(log.sent_on, lang),
			"stage": log.stage_name,
			"channel": _(log.channel or ""),
			"invoices": [log.sales_invoice],
			"recipients": log.recipients or "",
			"cc": log.cc or "",
			"subject": (comm.subject if comm else None) or log.subject or "",
			"body": comm.content if comm else "",
			"test_mode": bool(log.test_mode),
			"status": _(log.status),
			"delivery": delivery_status(log, comm, queue, recipients.get(log.email_queue, []), lang),
			"task": task_text(log, todos.get(log.todo)),
			"penalties": fmoney(log.late_interest, log.currency, lang) if log.late_interest else "",
			"indemnity": fmoney(log.fixed_indemnity, "EUR", lang) if log.fixed_indemnity else "",
		}
		by_message[key] = row
		rows.append(row)
	return rows


def delivery_status(log, comm, queue, recipients, language: str) -> str:
	"""What the Email Queue says of the message (per recipient), else the Communication's status."""
	if log.channel not in EMAIL_CHANNELS:
		return ""
	if queue:
		text = _("Email queue: {0}").format(_(queue.status))
		if queue.status == "Sent":
			text += " " + _("on {0}").format(format_datetime(queue.modified, language))
		per = [f"{r.recipient}: {_(r.status or '')}" for r in recipients if r.recipient]
		if per:
			text += " (" + ", ".join(per) + ")"
		if queue.error:
			text += " – " + strip_html(queue.error).strip().splitlines()[-1][:200]
		return text
	if log.email_queue:
		text = _("Email queue entry {0} purged by the site").format(log.email_queue)
		return text + (f" – {_(comm.delivery_status)}" if comm and comm.delivery_status else "")
	return _(comm.delivery_status) if comm and comm.delivery_status else ""


def task_text(log, todo) -> str:
	if log.channel == PHONE:
		if not todo:
			return _("Phone call assigned.")
		return _("Phone call assigned to {0} ({1}).").format(todo.allocated_to, _(todo.status))
	if log.channel == LETTER and todo:
		return _("Letter to post assigned to {0} ({1}).").format(todo.allocated_to, _(todo.status))
	return ""


def relances_part(data: FileData) -> Part:
	return render_html_part(
		"relances",
		_("Relances as sent"),
		_("Relances"),
		{**common_context(data), "rows": relance_rows(data)},
	)
