"""The Sales Invoice's relance fields (status, last and next stage and date) that the form, the list
view and its filters show, kept in step with every decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import frappe
from frappe.utils import getdate

from relance_app.constants import (
	SENT,
	STATUS_AWAITING_APPROVAL,
	STATUS_AWAITING_POSTING,
	STATUS_COMPLETED,
	STATUS_EXCLUDED,
	STATUS_NO_RECIPIENT,
	STATUS_ON_HOLD,
	STATUS_PAID,
	STATUS_PAYMENT_FOUND,
	STATUS_SCHEDULED,
	STATUS_SENT,
	STATUS_THANKED,
)
from relance_app.data.calendar import company_calendar, shift_to_business_day
from relance_app.data.invoices import Candidate
from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.forecast import next_relance_date
from relance_app.engine.models import HistoryEntry, Stage


def set_invoice_fields(
	invoice: str,
	status=None,
	last_stage=None,
	last_date=None,
	next_stage=None,
	next_date=None,
	clear_next=False,
):
	values = {}
	if status is not None:
		values["relance_status"] = status
	if last_stage is not None:
		values["relance_last_stage"] = last_stage
	if last_date is not None:
		values["relance_last_date"] = last_date
	if next_stage is not None or clear_next:
		values["relance_next_stage"] = next_stage
	if next_date is not None or clear_next:
		values["relance_next_date"] = next_date
	if values:
		frappe.db.set_value("Sales Invoice", invoice, values, update_modified=False)


STATUS_OF_REASON = {
	R.PAID: STATUS_PAID,
	R.ON_HOLD: STATUS_ON_HOLD,
	R.EXCLUDED: STATUS_EXCLUDED,
	R.COMPLETED: STATUS_COMPLETED,
	R.AWAITING_APPROVAL: STATUS_AWAITING_APPROVAL,
	R.CUSTOMER_DISABLED: STATUS_EXCLUDED,
	R.AWAITING_POSTING: STATUS_AWAITING_POSTING,
}


def refresh_invoice_status(candidate: Candidate, decision, as_of: date, payment_found: bool = False) -> None:
	"""Keep the invoice's relance fields (list view, filters) in step with the decision; an open
	invoice an unreconciled deposit pays shows "Payment found, to reconcile"."""
	row = candidate.row
	status = STATUS_OF_REASON.get(decision.reason)
	if decision.reason == R.PAID and row.relance_status == STATUS_THANKED:
		status = STATUS_THANKED
	if payment_found and status not in (STATUS_PAID, STATUS_THANKED, STATUS_EXCLUDED):
		status = STATUS_PAYMENT_FOUND
	next_stage = decision.next_stage.stage_name if decision.next_stage else None
	next_date = shift_to_business_day(row.company, decision.next_date) if next_stage else None
	if status in (STATUS_PAID, STATUS_COMPLETED, STATUS_EXCLUDED, STATUS_THANKED):
		next_stage, next_date = None, None
	current_status = row.relance_status
	if status is None:
		status = current_status if current_status in (STATUS_SENT, STATUS_NO_RECIPIENT) else STATUS_SCHEDULED
		if current_status == STATUS_AWAITING_POSTING:  # the letter's posting date was entered
			status = STATUS_SENT
	changed = (
		status != current_status
		or (next_stage or None) != (row.relance_next_stage or None)
		or (getdate(next_date) if next_date else None)
		!= (getdate(row.relance_next_date) if row.relance_next_date else None)
	)
	if changed:
		set_invoice_fields(
			row.name, status=status, next_stage=next_stage, next_date=next_date, clear_next=not next_stage
		)


def update_next(candidate: Candidate, stage: Stage, as_of: date, status: str = STATUS_SENT) -> None:
	"""After a stage is acted on, one update of the invoice's relance fields: status, last stage and
	when and which stage comes next (for the form, the list and its filters)."""
	facts = candidate.facts
	# the stage's own earlier entry (awaiting approval, a failure) is replaced by this one
	earlier = (h for h in facts.history if h.stage_name != stage.stage_name)
	history = (*earlier, HistoryEntry(stage.stage_name, SENT, as_of))
	policy = candidate.policy.policy
	after = replace(facts, history=history)
	waiting = decide(policy, after, as_of + timedelta(days=1)) if policy.wait_for_posting else None
	if waiting and waiting.reason == R.AWAITING_POSTING:
		# a letter: nothing more until its posting date is entered on the log
		status, next_date, next_stage = STATUS_AWAITING_POSTING, None, waiting.next_stage.stage_name
	else:
		next_date, next_stage = next_relance_date(
			policy, after, as_of + timedelta(days=1), *company_calendar(candidate.row.company)
		)
	set_invoice_fields(
		facts.name,
		status=status,
		last_stage=stage.stage_name,
		last_date=as_of,
		next_stage=next_stage,
		next_date=next_date,
		clear_next=not next_stage,
	)
