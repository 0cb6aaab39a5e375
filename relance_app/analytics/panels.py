"""What the forms show: the invoice's relance status line and summary, the Customer's relance panel.
Read-only."""

from __future__ import annotations

from collections import Counter

import frappe
from frappe import _
from frappe.utils import add_days, flt, formatdate, getdate, today

from relance_app.analytics.timeline import get_timeline
from relance_app.constants import (
	CUSTOMER_REPLIED,
	DISPUTE,
	PAYMENT_PROMISE,
	STATUS_AWAITING_APPROVAL,
	STATUS_AWAITING_POSTING,
	STATUS_NO_RECIPIENT,
	STATUS_THANKED,
)
from relance_app.data.invoices import is_open, readable
from relance_app.documents.message_data import invoice_payments_query
from relance_app.engine.message import PaymentRecord, payment_behaviour


def hold_label(reason: str | None) -> str:
	"""The status line of a hold, in the reader's language (translated when asked, not at import)."""
	return {
		DISPUTE: _("On hold: dispute"),
		PAYMENT_PROMISE: _("Promise to pay on {0}"),
		CUSTOMER_REPLIED: _("On hold: the customer replied"),
	}.get(reason, _("On hold"))


def _d(value) -> str:
	return formatdate(value, "dd/MM") if value else ""


def status_line(si) -> tuple[str, str]:
	"""(text, indicator colour) for an invoice: "Relance 2 sent on 12/03 – next: Relance 3 on 27/03"."""
	if si.relance_exclude:
		return _("Excluded from relances"), "gray"
	if si.relance_hold:
		label = hold_label(si.relance_hold_reason)
		text = label.format(_d(si.relance_hold_until)) if si.relance_hold_reason == PAYMENT_PROMISE else label
		if si.relance_hold_until and si.relance_hold_reason != PAYMENT_PROMISE:
			text += " " + _("until {0}").format(_d(si.relance_hold_until))
		return text, "orange"
	if si.relance_status == STATUS_THANKED:
		return _("Paid – thank-you sent"), "green"
	if flt(si.outstanding_amount) <= 0:
		return _("Paid"), "green"
	if si.relance_status == STATUS_AWAITING_APPROVAL:
		return _("{0} awaiting approval").format(si.relance_last_stage), "purple"
	if si.relance_status == STATUS_NO_RECIPIENT:
		return _("{0} not sent: no recipient").format(si.relance_last_stage), "red"
	if si.relance_status == STATUS_AWAITING_POSTING:
		return _("{0} sent on {1} – next: {2} once the letter's posting date is entered").format(
			si.relance_last_stage, _d(si.relance_last_date), si.relance_next_stage or "-"
		), "orange"
	parts = []
	if si.relance_last_stage:
		parts.append(_("{0} sent on {1}").format(si.relance_last_stage, _d(si.relance_last_date)))
	if si.relance_next_stage and si.relance_next_date:
		parts.append(_("next: {0} on {1}").format(si.relance_next_stage, _d(si.relance_next_date)))
	if not parts:
		return _("No relance yet"), "blue"
	colour = "red" if si.relance_last_stage else "blue"
	return " – ".join(parts), colour


INVOICE_FIELDS = [
	"name",
	"customer",
	"outstanding_amount",
	"due_date",
	"docstatus",
	"relance_status",
	"relance_last_stage",
	"relance_last_date",
	"relance_next_stage",
	"relance_next_date",
	"relance_hold",
	"relance_hold_reason",
	"relance_hold_until",
	"relance_exclude",
]


def invoice_summary(sales_invoice: str) -> dict:
	si = frappe.db.get_value("Sales Invoice", sales_invoice, INVOICE_FIELDS, as_dict=True)
	text, colour = status_line(si)
	return {
		"status": text,
		"indicator": colour,
		"fields": si,
		"timeline": get_timeline(sales_invoice=sales_invoice),
		"can_manage": bool(set(frappe.get_roles()) & {"Accounts Manager", "Accounts User", "System Manager"})
		and frappe.has_permission("Sales Invoice", "write", sales_invoice),
	}


def customer_panel(customer: str, start: int = 0, page_length: int = 200) -> dict:
	"""Two queries: the customer's invoices (open, or due in the last 12 months, with their last
	payment date) and one page of relance logs."""
	as_of = getdate(today())
	query, si = invoice_payments_query(
		customer,
		"grand_total",
		"currency",
		"relance_last_stage",
		"relance_hold",
		"relance_hold_reason",
		"relance_hold_until",
	)
	seen = readable("Sales Invoice")  # User Permissions (company...) apply to the figures
	if seen is not None:
		query = query.where(seen)
	invoices = query.where(is_open(si) | (si.due_date >= add_days(as_of, -365))).run(as_dict=True)
	open_invoices = [r for r in invoices if flt(r.outstanding_amount) > 0]
	overdue = [r for r in open_invoices if r.due_date and getdate(r.due_date) < as_of]
	per_stage = Counter(r.relance_last_stage or _("No relance yet") for r in open_invoices)
	holds = [r for r in open_invoices if r.relance_hold and r.relance_hold_reason != PAYMENT_PROMISE]
	promises = [r for r in open_invoices if r.relance_hold and r.relance_hold_reason == PAYMENT_PROMISE]
	records = [
		PaymentRecord(
			getdate(r.due_date), getdate(r.paid_on) if flt(r.outstanding_amount) <= 0 and r.paid_on else None
		)
		for r in invoices
		if r.due_date
	]
	avg_late, late_count = payment_behaviour(records, as_of)
	currency = invoices[0].currency if invoices else frappe.db.get_default("currency")
	logs = get_timeline(customer=customer, start=start, page_length=page_length)
	by_invoice: dict[str, list] = {}
	for log in logs:
		by_invoice.setdefault(log.sales_invoice, []).append(log)
	return {
		"summary": {
			"total_overdue": sum(flt(r.outstanding_amount) for r in overdue),
			"overdue_count": len(overdue),
			"open_count": len(open_invoices),
			"currency": currency,
			"per_stage": dict(per_stage),
			"holds": len(holds),
			"promises": [{"sales_invoice": r.name, "until": r.relance_hold_until} for r in promises],
			"avg_days_late": avg_late,
			"late_invoices": late_count,
		},
		"invoices": [
			{"sales_invoice": name, "logs": rows}
			for name, rows in sorted(by_invoice.items(), key=lambda kv: kv[1][0].relance_date, reverse=True)
		],
		"start": start,
		"page_length": page_length,
		"has_more": len(logs) >= page_length,
	}
