"""Payment promises (kept, or broken with what was paid by the promised date), disputes and other holds,
each as a period read from the invoices' history (their Versions); with the debtor's answers and
replies (replies.py) they make the part "Payment promises, disputes and replies"."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import cint, getdate
from frappe.utils.data import get_user_date_format

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import Part, common_context, fdate, fmoney, render_html_part
from relance_app.collection_file.replies import portal_answers, reply_rows
from relance_app.constants import HOLD_FIELDS, PAYMENT_PROMISE
from relance_app.engine.models import ZERO
from relance_app.engine.penalties import to_decimal


def outstanding_on(invoice: str, day: date) -> Decimal:
	"""The invoice's outstanding at the end of `day`, from the Payment Ledger (account currency)."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	value = (
		frappe.qb.from_(ple)
		.select(Sum(ple.amount_in_account_currency))
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& (ple.against_voucher_no == invoice)
			& (ple.delinked == 0)
			& (ple.posting_date <= day)
		)
		.run()
	)
	return to_decimal(value[0][0] if value and value[0][0] is not None else 0)


def hold_events(invoices: list[str]) -> list[dict]:
	"""Changes of the hold fields, from the invoices' Versions (set_hold, release_hold, the portal)."""
	events = []
	for v in frappe.get_all(
		"Version",
		filters={"ref_doctype": "Sales Invoice", "docname": ("in", invoices)},
		fields=["docname", "data", "creation", "owner"],
		order_by="creation asc",
	):
		try:
			changed = {c[0]: c[2] for c in json.loads(v.data).get("changed", []) if c[0] in HOLD_FIELDS}
		except (ValueError, TypeError, IndexError):
			continue
		if changed:
			events.append({"invoice": v.docname, "on": v.creation, "by": v.owner, "changed": changed})
	return events


def version_date(value) -> date | None:
	"""A date as a Version keeps it: ISO, or formatted with the system's date format (dd/mm/yyyy)."""
	if not value:
		return None
	text = str(value).strip()
	if re.match(r"^\d{4}-\d{2}-\d{2}", text):
		return getdate(text[:10])
	day_first = get_user_date_format().lower().startswith("dd")
	return getdate(text, parse_day_first=day_first)


def period(invoice: str, reason: str, until, set_on, by: str) -> dict:
	return {"invoice": invoice, "reason": reason, "until": until, "set_on": set_on, "by": by, "ended": None}


def hold_periods(invoices: list[str]) -> list[dict]:
	"""Each hold from the day it was set to the day it ended (released, or its reason or date changed),
	from the Versions; a hold set without a trace there (a direct update) as it stands."""
	state: dict[str, dict] = {}
	periods: list[dict] = []
	for e in hold_events(invoices):
		current = state.setdefault(e["invoice"], {})
		open_period = current.get("period")
		values = {**current.get("values", {}), **e["changed"]}
		current["values"] = values
		on_hold = cint(values.get("relance_hold"))
		if open_period and (
			not on_hold or "relance_hold_reason" in e["changed"] or "relance_hold_until" in e["changed"]
		):
			open_period["ended"] = e["on"]
			current["period"] = None
		if on_hold and values.get("relance_hold_reason"):
			until = version_date(values.get("relance_hold_until"))
			current["period"] = period(e["invoice"], values["relance_hold_reason"], until, e["on"], e["by"])
			periods.append(current["period"])
	for si in frappe.get_all(
		"Sales Invoice",
		filters={"name": ("in", invoices), "relance_hold": 1},
		fields=["name", "relance_hold_reason", "relance_hold_until"],
	):
		if not (state.get(si.name) or {}).get("period") and si.relance_hold_reason:
			until = getdate(si.relance_hold_until) if si.relance_hold_until else None
			periods.append(period(si.name, si.relance_hold_reason, until, None, ""))
	return periods


def promise_outcome(p: dict, set_day: date | None, data: FileData) -> str:
	"""Kept (paid in full by the promised date), broken (with what was paid by then) or pending."""
	lang = data.language
	tolerance = data.policy.tolerance if data.policy else ZERO
	before = outstanding_on(p["invoice"], set_day or p["until"])
	after = outstanding_on(p["invoice"], p["until"])
	paid = max(ZERO, before - after)
	currency = frappe.db.get_value("Sales Invoice", p["invoice"], "currency")
	if after <= tolerance:
		return _("Kept: paid in full by {0}").format(fdate(p["until"], lang))
	if p["until"] < data.as_of:
		if paid > 0:
			return _("Broken: {0} paid by {1}, {2} still due").format(
				fmoney(paid, currency, lang), fdate(p["until"], lang), fmoney(after, currency, lang)
			)
		return _("Broken: nothing paid by {0}").format(fdate(p["until"], lang))
	return _("Pending")


def promise_rows(data: FileData) -> list[dict]:
	"""Each hold as a period: a promise (kept, broken or pending, with what was paid by its date), a
	dispute or another pause, from the day it was set to the day it ended."""
	lang = data.language
	rows = []
	for p in hold_periods(data.invoices):
		set_day = getdate(p["set_on"]) if p["set_on"] else None
		promise = p["reason"] == PAYMENT_PROMISE
		rows.append(
			{
				"invoice": p["invoice"],
				"kind": _("Payment promise") if promise else _(p["reason"]),
				"set_on": fdate(set_day, lang),
				"until": fdate(p["until"], lang),
				"ended": fdate(p["ended"], lang) if p["ended"] else "",
				"by": p["by"],
				"outcome": promise_outcome(p, set_day, data) if promise and p["until"] else "",
			}
		)
	return rows


def promises_part(data: FileData) -> Part:
	return render_html_part(
		"promises",
		_("Payment promises, disputes and replies"),
		_("Promises and disputes"),
		{
			**common_context(data),
			"holds": promise_rows(data),
			"answers": portal_answers(data),
			"replies": reply_rows(data),
		},
	)
