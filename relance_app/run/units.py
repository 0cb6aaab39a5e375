"""Acting on planned relances, exactly once.

A unit is one message (one invoice, or several of one customer when the policy groups them). Each
unit runs in its own transaction: lock the invoices, decide again on fresh data, write the Relance
Log rows (unique key per invoice and stage), render, queue the email with its Communication, commit.
A crash before the commit leaves nothing behind, so the next run does it; a concurrent run waits on
the lock and then finds the stage already acted on. A failure is rolled back and logged as Failed.
"""

from __future__ import annotations

import traceback
from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, now_datetime

from relance_app.channels.email import send_email
from relance_app.channels.erpnext_dunning import create_dunning
from relance_app.channels.letter import make_letters
from relance_app.channels.phone import phone_task
from relance_app.channels.thank_you import send_thank_you
from relance_app.common import cache
from relance_app.constants import LETTER_CHANNELS, NO_RECIPIENT, STATUS_AWAITING_APPROVAL, STATUS_SENT
from relance_app.data.invoices import Candidate, load_policies, select_candidates
from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.models import (
	AWAITING_APPROVAL,
	CANCELLED,
	EMAIL_CHANNELS,
	PHONE,
	SKIPPED,
	Stage,
)
from relance_app.pdf import delivery
from relance_app.records.bank_hold import hold_paid
from relance_app.records.invoice_status import refresh_invoice_status, set_invoice_fields, update_next
from relance_app.records.relance_log import insert_log, lock_invoices, record_failure


def process_units(units: list[dict], as_of: str, run_id: str | None = None) -> dict:
	"""Background job: each unit in its own transaction; one failure never stops the others.

	A unit is one message: {"kind": "stage" | "thank_you" | "skip", "customer", "policy",
	"invoices": [names], "stages": {invoice: stage name}}, JSON-serialisable for the queue."""
	as_of = getdate(as_of)
	counts: dict[str, int] = {}
	cache.clear()
	with delivery.batch():  # the emails this batch commits are delivered by jobs queued at its end
		for unit in units:
			try:
				outcome = process_unit(unit, as_of, run_id)
				frappe.db.commit()  # nosemgrep: one transaction per unit, by design
			except (frappe.DuplicateEntryError, frappe.UniqueValidationError):
				# another run acted on this (invoice, stage) first: nothing to do, nothing to log
				frappe.db.rollback()
				outcome = "duplicate"
			except Exception:
				frappe.db.rollback()
				outcome = "failed"
				record_failure(unit, as_of, traceback.format_exc())
				frappe.db.commit()  # nosemgrep
			counts[outcome] = counts.get(outcome, 0) + 1
	return counts


def process_unit(unit: dict, as_of: date, run_id: str | None = None) -> str:
	names = list(unit["invoices"])
	lock_invoices(names)
	policies = cache.memo("policies", load_policies)
	# read again under the lock: paid a second ago, put on hold, or acted on by another run
	fresh = {c.facts.name: c for c in select_candidates(policies, invoice_names=names)}

	if unit["kind"] == "thank_you":
		return send_thank_you(fresh.get(names[0]), as_of, run_id)

	acting: list[tuple[Candidate, Stage]] = []
	for name in names:
		candidate = fresh.get(name)
		if not candidate or not candidate.policy:
			continue
		decision = decide(candidate.policy.policy, candidate.facts, as_of, early=bool(unit.get("manual")))
		for stage in decision.skipped:
			insert_log(candidate, stage, as_of, SKIPPED, reason=_("Reminder before the due date, now past."))
		stage = decision.stage  # early (on the user's demand) still keeps the gap and every rule
		if stage is not None and stage.stage_name == unit["stages"].get(name):
			acting.append((candidate, stage))
		else:
			refresh_invoice_status(candidate, decision, as_of)
	if not acting:
		return "skipped" if unit["kind"] == "skip" else "nothing"
	acting = hold_paid(acting, as_of)  # the bank read again: money in, not reconciled, holds it
	if not acting:
		return "payment_found"

	policy_doc = frappe.get_cached_doc("Dunning Policy", acting[0][0].policy.name)
	if any(s.requires_approval for _c, s in acting):
		for candidate, s in acting:
			insert_log(
				candidate, s, as_of, AWAITING_APPROVAL, reason=_("Waiting for the accountant's approval.")
			)
			set_invoice_fields(
				candidate.facts.name,
				status=STATUS_AWAITING_APPROVAL,
				last_stage=s.stage_name,
				last_date=as_of,
			)
		return "awaiting_approval"
	return act(acting, policy_doc, as_of, run_id)


def act(acting, policy_doc, as_of: date, run_id: str | None = None, approved: dict | None = None) -> str:
	"""Send, post or call for the (invoice, stage) pairs of one message."""
	# the message follows the most advanced stage among the grouped invoices
	stage = max((s for _c, s in acting), key=lambda s: (s.offset_days, s.idx))
	if stage.channel == PHONE:
		outcome = phone_task(acting, policy_doc, as_of, approved=approved)
	else:
		outcome = "sent"
		if stage.channel in EMAIL_CHANNELS:
			outcome = send_email(acting, stage, policy_doc, as_of, run_id, approved=approved)
		if stage.channel in LETTER_CHANNELS and outcome != NO_RECIPIENT:
			make_letters(
				acting,
				stage,
				policy_doc,
				as_of,
				email_sent=stage.channel in EMAIL_CHANNELS,
				approved=approved,
			)
			outcome = "sent"
	if outcome != NO_RECIPIENT:
		for candidate, s in acting:
			if s.create_dunning:
				create_dunning(candidate, s, policy_doc, as_of)
			update_next(candidate, s, as_of, status=STATUS_SENT)
	return outcome


def approve_log(log_name: str, as_of: date) -> str:
	"""Send a stage that waited for approval (same exactly-once path: lock, re-check, log, queue)."""
	invoice, stage_name = frappe.db.get_value("Relance Log", log_name, ["sales_invoice", "stage_name"])
	lock_invoices([invoice])
	status = frappe.db.get_value("Relance Log", log_name, "status", for_update=True)
	if status != AWAITING_APPROVAL:
		return "nothing"
	candidates = select_candidates(cache.memo("policies", load_policies), invoice_names=[invoice])
	candidate = candidates[0] if candidates else None
	decision = (
		decide(candidate.policy.policy, candidate.facts, as_of) if candidate and candidate.policy else None
	)
	if not decision or decision.reason != R.AWAITING_APPROVAL:
		why = decision.reason if decision else R.PAID
		frappe.db.set_value(
			"Relance Log",
			log_name,
			{
				"status": CANCELLED,
				"reason": _("Not sent: the invoice is no longer due for it ({0}).").format(why),
			},
		)
		return "cancelled"
	stage = candidate.policy.stages_by_name[stage_name]
	policy_doc = frappe.get_cached_doc("Dunning Policy", candidate.policy.name)
	approved = {"approved_by": frappe.session.user, "approved_on": now_datetime()}
	if not hold_paid([(candidate, stage)], as_of, approved):
		return "payment_found"
	return act([(candidate, stage)], policy_doc, as_of, approved=approved)
