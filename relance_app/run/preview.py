"""What the next relance of an invoice would be, before the run: the unit "Send Next Relance Now"
acts on, the rendered email of the preview (nothing sent), and a policy's simulation over the next
days. Read-only."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.channels.email import email_parts
from relance_app.channels.recipients import recipients_for
from relance_app.common import cache
from relance_app.constants import EMAIL_CHANNELS, SKIPPED
from relance_app.data.calendar import company_calendar, is_business_day, shift_to_business_day
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.message_data import invoice_penalties
from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.forecast import simulate as engine_simulate
from relance_app.engine.message import rates_text


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
	if stage.channel in EMAIL_CHANNELS:
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
			if e.status != SKIPPED:
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
