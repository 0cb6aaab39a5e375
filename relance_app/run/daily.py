"""The daily dunning run: select, decide (pure engine), then act in chunks of background jobs."""

from __future__ import annotations

from collections import Counter
from datetime import date

import frappe
from frappe.utils import cint, getdate, now_datetime, today

from relance_app.common import cache
from relance_app.common.settings import field_default
from relance_app.constants import PHONE
from relance_app.data.bank import candidate_matches, load_deposits
from relance_app.data.calendar import business_days_only, is_business_day
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.records.invoice_status import refresh_invoice_status
from relance_app.run import email_status
from relance_app.run.units import process_units

JOB = "relance_app.run.units.process_units"


def business_companies(as_of: date) -> set[str] | None:
	"""Companies for which `as_of` is a business day, or None when every day is one."""
	if not business_days_only():
		return None
	return {c for c in frappe.get_all("Company", pluck="name") if is_business_day(c, as_of)}


def plan(as_of: date, invoice_names=None, customer=None, companies=None, found=None):
	"""Decisions for every candidate invoice, and the units of work they make. `found` (a dict) is
	given the invoices an unreconciled deposit pays (the bank read once): their stage is a unit of its
	own, held under the unit's lock (relance_app.records.bank_hold)."""
	policies = load_policies()
	candidates = select_candidates(
		policies, invoice_names=invoice_names, customer=customer, companies=companies
	)
	found = {} if found is None else found
	found.update(candidate_matches(candidates, load_deposits(companies)) if candidates else {})
	decisions = []
	units: list[dict] = []
	grouped: dict[tuple, dict] = {}
	for c in candidates:
		if not c.policy:
			decisions.append((c, None))
			continue
		d = decide(c.policy.policy, c.facts, as_of)
		decisions.append((c, d))
		if d.thank_you:
			units.append(
				{"kind": "thank_you", "invoices": [c.facts.name], "stages": {}, "customer": c.facts.customer}
			)
		elif d.stage is not None:
			stage = d.stage
			paid = c.facts.name in found  # never grouped with invoices that go
			if (
				c.policy.group_by_customer
				and not stage.requires_approval
				and stage.channel != PHONE
				and not paid
			):
				key = (c.facts.customer, c.policy.name, c.row.company)
				unit = grouped.get(key)
				if unit is None:
					unit = grouped[key] = {
						"kind": "stage",
						"invoices": [],
						"stages": {},
						"customer": c.facts.customer,
						"policy": c.policy.name,
					}
					units.append(unit)
				unit["invoices"].append(c.facts.name)
				unit["stages"][c.facts.name] = stage.stage_name
			else:
				units.append(
					{
						"kind": "stage",
						"invoices": [c.facts.name],
						"stages": {c.facts.name: stage.stage_name},
						"customer": c.facts.customer,
						"policy": c.policy.name,
					}
				)
		elif d.skipped:
			units.append(
				{"kind": "skip", "invoices": [c.facts.name], "stages": {}, "customer": c.facts.customer}
			)
	return decisions, units


def run_dunning(
	as_of=None, dry_run: bool = False, invoice_names=None, customer=None, enqueue: bool = True
) -> dict:
	"""Run the dunning for `as_of` (default today). Dry run changes nothing and returns the plan."""
	as_of = getdate(as_of or today())
	cache.clear()  # a run reads settings, calendars and senders afresh
	companies = business_companies(as_of)  # None when Relance Settings sends every day
	found: dict = {}
	decisions, units = plan(
		as_of, invoice_names=invoice_names, customer=customer, companies=companies, found=found
	)
	counts = Counter(d.reason if d else R.NO_POLICY for _c, d in decisions)
	held = sum(1 for c, d in decisions if d and d.stage and c.facts.name in found)
	if held:
		counts[R.PAYMENT_FOUND] = held  # stages due, not sent: the money is in the bank
	result = {
		"as_of": str(as_of),
		"dry_run": bool(dry_run),
		"invoices": len(decisions),
		"counts": dict(counts),
		"stages_due": sum(1 for _c, d in decisions if d and d.stage),
		"thank_you": sum(1 for _c, d in decisions if d and d.thank_you),
		"skipped_stages": sum(len(d.skipped) for _c, d in decisions if d),
		"units": len(units),
		"payment_found": held,
	}
	if companies is not None:
		result["non_business_day_companies"] = sorted(
			set(frappe.get_all("Company", pluck="name")) - companies
		)
	if dry_run:
		result["actions"] = [
			planned_action(c, d, found) for c, d in decisions if d and (d.stage or d.skipped or d.thank_you)
		]
		return result

	sync_email_statuses()
	# status fields of invoices with nothing to do today (paid, on hold...): set-based, only changes
	for c, d in decisions:
		if d and not d.stage and not d.skipped and not d.thank_you:
			refresh_invoice_status(c, d, as_of, payment_found=c.facts.name in found)
	frappe.db.commit()  # nosemgrep

	chunk = max(
		1, cint(frappe.db.get_single_value("Relance Settings", "chunk_size")) or field_default("chunk_size")
	)
	outcomes: Counter = Counter()
	run_id = frappe.generate_hash(length=10)
	for i in range(0, len(units), chunk):
		batch = units[i : i + chunk]
		if enqueue and not frappe.flags.in_test:
			frappe.enqueue(
				JOB,
				queue="long",
				timeout=3600,
				units=batch,
				as_of=str(as_of),
				run_id=run_id,
				job_id=f"relance::{as_of}::{run_id}::{i // chunk}",
			)
			outcomes["enqueued"] += len(batch)
			outcomes["jobs"] += 1
		else:
			outcomes.update(process_units(batch, str(as_of), run_id))
	result["outcomes"] = dict(outcomes)
	result["run_id"] = run_id
	return result


def planned_action(c, d, found: dict) -> dict:
	"""One line of a dry run's plan."""
	return {
		"sales_invoice": c.facts.name,
		"customer": c.facts.customer,
		"policy": c.policy.name if c.policy else None,
		"stage": d.stage.stage_name if d and d.stage else None,
		"skipped": [s.stage_name for s in d.skipped] if d else [],
		"thank_you": bool(d and d.thank_you),
		"requires_approval": bool(d and d.stage and d.stage.requires_approval),
		"channel": d.stage.channel if d and d.stage else None,
		"days_late": d.days_late if d else 0,
		"amount_due": float(d.amount_due) if d else 0,
		"reason": d.reason if d else R.NO_POLICY,
		"next_date": str(d.next_date) if d and d.next_date else None,
		"payment_found": sorted({m.deposit for m in found.get(c.facts.name, ())}),
	}


def scheduled_run():
	"""Hourly scheduler entry: runs once a day, from the run hour of Relance Settings on."""
	settings = frappe.get_single("Relance Settings")
	if not cint(settings.enabled):
		return
	now = now_datetime()
	if now.hour < cint(settings.run_hour):
		return
	if settings.last_run_on and getdate(settings.last_run_on) == now.date():
		return
	frappe.db.set_single_value("Relance Settings", "last_run_on", now)
	frappe.db.commit()  # nosemgrep: mark the day first, so a slow run is not started twice
	run_dunning(now.date())


def sync_email_statuses() -> int:
	"""Queued logs follow their Email Queue: Sent when it went out, Failed on error (then retried by
	the next run, a bounded number of times). Hourly and before each run, the safety net of
	relance_app.run.email_status, which does it the moment each email is delivered."""
	return email_status.follow()
