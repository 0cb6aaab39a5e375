"""What the forms show: invoice summary, customer panel, preview, simulation. Read-only."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import add_days, flt, formatdate, getdate, today

from relance_app.analytics.timeline import get_timeline
from relance_app.common import cache
from relance_app.data.calendar import company_calendar, is_business_day, shift_to_business_day
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.message_data import invoice_payments_query
from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.forecast import simulate as engine_simulate
from relance_app.engine.message import PaymentRecord, payment_behaviour

HOLD_LABELS = {
	"Dispute": _("On hold: dispute"),
	"Payment Promise": _("Promise to pay on {0}"),
	"Customer Replied": _("On hold: the customer replied"),
	"Other": _("On hold"),
}


def _d(value) -> str:
	return formatdate(value, "dd/MM") if value else ""


def status_line(si) -> tuple[str, str]:
	"""(text, indicator colour) for an invoice: "Relance 2 sent on 12/03 – next: Relance 3 on 27/03"."""
	if si.relance_exclude:
		return _("Excluded from relances"), "gray"
	if si.relance_hold:
		label = HOLD_LABELS.get(si.relance_hold_reason or "Other", _("On hold"))
		text = (
			label.format(_d(si.relance_hold_until)) if si.relance_hold_reason == "Payment Promise" else label
		)
		if si.relance_hold_until and si.relance_hold_reason != "Payment Promise":
			text += " " + _("until {0}").format(_d(si.relance_hold_until))
		return text, "orange"
	if si.relance_status == "Thanked":
		return _("Paid – thank-you sent"), "green"
	if flt(si.outstanding_amount) <= 0:
		return _("Paid"), "green"
	if si.relance_status == "Awaiting Approval":
		return _("{0} awaiting approval").format(si.relance_last_stage), "purple"
	if si.relance_status == "No Recipient":
		return _("{0} not sent: no recipient").format(si.relance_last_stage), "red"
	if si.relance_status == "Awaiting Posting":
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
	invoices = query.where((si.outstanding_amount > 0) | (si.due_date >= add_days(as_of, -365))).run(
		as_dict=True
	)
	open_invoices = [r for r in invoices if flt(r.outstanding_amount) > 0]
	overdue = [r for r in open_invoices if r.due_date and getdate(r.due_date) < as_of]
	per_stage = Counter(r.relance_last_stage or _("No relance yet") for r in open_invoices)
	holds = [r for r in open_invoices if r.relance_hold and r.relance_hold_reason != "Payment Promise"]
	promises = [r for r in open_invoices if r.relance_hold and r.relance_hold_reason == "Payment Promise"]
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


def _candidate(sales_invoice: str):
	cache.clear()
	candidates = select_candidates(load_policies(), invoice_names=[sales_invoice])
	return candidates[0] if candidates and candidates[0].policy else None


def next_unit(sales_invoice: str, today_only: bool = True):
	"""The unit the run would act on for this invoice today (or its next stage, sent early on demand)."""
	as_of = getdate(today())
	candidate = _candidate(sales_invoice)
	if not candidate:
		return None, as_of
	decision = decide(candidate.policy.policy, candidate.facts, as_of)
	stage = decision.stage
	manual = False
	if stage is None and not today_only and decision.reason == R.NOT_YET:
		stage, manual = decide(candidate.policy.policy, candidate.facts, as_of, early=True).stage, True
	if stage is None:
		return None, as_of
	unit = {
		"kind": "stage",
		"invoices": [sales_invoice],
		"stages": {sales_invoice: stage.stage_name},
		"customer": candidate.facts.customer,
		"policy": candidate.policy.name,
		"manual": manual,
	}
	return unit, as_of


def preview_next(sales_invoice: str) -> dict:
	from relance_app.run.units import email_parts, recipients_for

	candidate = _candidate(sales_invoice)
	if not candidate:
		return {"message": _("No relance applies to this invoice (paid, returned, or no policy).")}
	as_of = getdate(today())
	decision = decide(candidate.policy.policy, candidate.facts, as_of)
	stage = decision.stage or decision.next_stage
	if not stage:
		return {"message": _("No further relance is planned ({0}).").format(decision.reason)}
	when = shift_to_business_day(candidate.row.company, as_of if decision.stage else decision.next_date)
	policy_doc = frappe.get_cached_doc("Dunning Policy", candidate.policy.name)
	out = {
		"stage": stage.stage_name,
		"date": when,
		"channel": stage.channel,
		"requires_approval": stage.requires_approval,
	}
	if stage.include_penalties:
		out["penalties"] = penalties_summary(candidate, getdate(when or as_of))
	if stage.channel in ("Email", "Email and Letter"):
		parts = email_parts([(candidate, stage)], stage, policy_doc, getdate(when or as_of), preview=True)
		out.update(
			{
				"subject": parts["subject"],
				"body": parts["body"],
				"template": parts["template"],
				"language": parts["language"],
				"tone": parts["tone"],
				"recipients": recipients_for([candidate]),
				"attachments": [a.get("name") or a.get("fname") for a in parts["attachments"]],
			}
		)
	return out


def penalties_summary(candidate, as_of) -> dict:
	"""The interest of the invoice on `as_of`, with the rate of every period, for the preview."""
	from relance_app.documents.message_data import invoice_penalties
	from relance_app.engine.message import rates_text

	_due, _amount, p = invoice_penalties(candidate.facts, candidate.policy.policy, as_of)
	out = {
		"interest": float(p.interest),
		"indemnity": float(p.indemnity),
		"currency": p.currency,
		"basis": p.basis,
		"rates": rates_text(p, frappe.local.lang or "en", p.currency),
		"lines": [
			{
				"from": str(line.start),
				"to": str(line.end),
				"days": line.days,
				"base": float(line.base),
				"rate": float(line.rate),
				"amount": float(line.amount),
				"assumed": line.assumed,
			}
			for line in p.lines
		],
	}
	if p.assumed:
		out["warning"] = _(
			"A semester of this period has no legal rate yet: the latest known rate was used. Enter it in Relance Legal Rate."
		)
	return out


def simulate(dunning_policy: str, days: int = 60) -> dict:
	as_of = getdate(today())
	policies = load_policies()
	if dunning_policy not in policies:
		frappe.throw(
			_("Dunning Policy {0} is disabled or does not exist.").format(dunning_policy),
			title=_("Simulation"),
		)
	candidates = [c for c in select_candidates(policies) if c.policy and c.policy.name == dunning_policy]
	policy = policies[dunning_policy].policy
	today_actions, calendar = [], Counter()
	events = []
	for c in candidates:
		d = decide(policy, c.facts, as_of)
		if is_business_day(c.row.company, as_of) and (d.stage or d.skipped or d.thank_you):
			today_actions.append(
				{
					"sales_invoice": c.facts.name,
					"customer": c.facts.customer,
					"stage": d.stage.stage_name if d.stage else None,
					"skipped": [s.stage_name for s in d.skipped],
					"thank_you": d.thank_you,
					"days_late": d.days_late,
					"amount_due": float(d.amount_due),
				}
			)
		calendar_of = company_calendar(c.row.company)
		for e in engine_simulate(policy, c.facts, as_of, as_of + timedelta(days=days), *calendar_of):
			if e.status != "Skipped":
				calendar[(str(e.date), e.stage_name)] += 1
				if len(events) < 500:
					events.append(
						{
							"date": str(e.date),
							"sales_invoice": e.invoice,
							"stage": e.stage_name,
							"status": e.status,
						}
					)
	return {
		"as_of": str(as_of),
		"invoices": len(candidates),
		"today": today_actions,
		"calendar": [{"date": k[0], "stage": k[1], "count": v} for k, v in sorted(calendar.items())],
		"events": events,
	}
