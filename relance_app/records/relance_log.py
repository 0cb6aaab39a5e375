"""Relance Log rows, written once per (invoice, stage): the invoices' lock, the insert guarded by the
unique key (or the takeover of a Failed row, or of the row awaiting approval when it is approved), and
the Failed rows of a unit that was rolled back."""

from __future__ import annotations

import traceback
from datetime import date

import frappe
from frappe import _
from frappe.utils import cint

from relance_app.common import cache
from relance_app.constants import (
	AWAITING_APPROVAL,
	FAILED,
	PAYMENT_FOUND,
	QUEUED,
	SENT,
	THANK_YOU_STAGE,
)
from relance_app.data.invoices import Candidate, load_policies, select_candidates
from relance_app.documents.message_data import (
	invoice_penalties,
)
from relance_app.engine.models import Stage


def lock_invoices(names: list[str]) -> None:
	si = frappe.qb.DocType("Sales Invoice")
	frappe.qb.from_(si).select(si.name).where(si.name.isin(names)).orderby(si.name).for_update().run()


def insert_log(candidate: Candidate, stage: Stage | None, as_of: date, status: str, **values):
	"""Insert the log of (invoice, stage), or take over its Failed row (a retry). Any other existing
	row means the stage was already acted on: DuplicateEntryError, the unit is rolled back."""
	facts = candidate.facts
	stage_name = stage.stage_name if stage else THANK_YOU_STAGE
	with_penalties = bool(stage and stage.include_penalties)
	due, amount, penalties = invoice_penalties(facts, candidate.policy.policy, as_of, with_penalties)
	data = {
		"sales_invoice": facts.name,
		"customer": facts.customer,
		"company": candidate.row.company,
		"dunning_policy": candidate.policy.name,
		"stage_name": stage_name,
		"channel": stage.channel if stage else "Email",
		"status": status,
		"relance_date": as_of,
		"due_date": due,
		"days_late": max(0, (as_of - due).days),
		"currency": facts.currency,
		"outstanding_amount": facts.outstanding,
		"amount_due": amount,
		"late_interest": penalties.interest if with_penalties else 0,
		"fixed_indemnity": penalties.indemnity if with_penalties else 0,
		"indemnity_currency": penalties.indemnity_currency,
		"test_mode": cint(frappe.db.get_single_value("Relance Settings", "test_mode")),
	}
	data.update(values)
	# the logs were read under the invoice lock; the unique key guards against anything else
	current = candidate.logs.get(stage_name)
	if current:
		# a retry takes over its Failed row; the approval (values carry approved_by) the row awaiting it
		takeover = (FAILED, AWAITING_APPROVAL) if values.get("approved_by") else (FAILED,)
		# a stage held for a payment found in the bank is the stage's own, whenever it goes
		held = current.get("reason_code") == PAYMENT_FOUND
		if current.status not in takeover and not held:
			raise frappe.DuplicateEntryError("Relance Log", current.name)
		data["attempts"] = cint(current.attempts) + (1 if status == FAILED else 0)
		if held:
			data["attempts"] = 1 if status in (FAILED, QUEUED, SENT, AWAITING_APPROVAL) else 0
		data["error"] = values.get("error") or ""
		data["reason_code"] = values.get("reason_code") or ""
		data.setdefault("reason", "")
		frappe.db.set_value("Relance Log", current.name, data, update_modified=True)
		candidate.logs[stage_name] = frappe._dict(current, status=status, reason_code=data["reason_code"])
		return current.name
	log = frappe.get_doc({"doctype": "Relance Log", "customer_name": candidate.row.customer_name, **data})
	log.attempts = 1 if status in (FAILED, QUEUED, SENT, AWAITING_APPROVAL) else 0
	log.flags.ignore_permissions = True
	log.flags.ignore_links = True  # every link was just read from the database
	log.insert()
	candidate.logs[stage_name] = frappe._dict(name=log.name, status=status, attempts=log.attempts)
	return log.name


def record_failure(unit: dict, as_of: date, error: str) -> None:
	"""After a rollback: the unit's stages are logged Failed (attempts counted) for a later retry."""
	try:
		policies = cache.memo("policies", load_policies)
		for c in select_candidates(policies, invoice_names=list(unit["invoices"])):
			stage_name = unit.get("stages", {}).get(c.facts.name)
			stage = c.policy.stages_by_name.get(stage_name) if c.policy and stage_name else None
			if not stage and unit["kind"] != "thank_you":
				continue
			insert_log(
				c,
				stage,
				as_of,
				FAILED,
				reason=_("Failed: {0}").format(error.strip().splitlines()[-1]),
				error=error,
			)
		frappe.log_error(title=_("Relance failed"), message=error, reference_doctype="Sales Invoice")
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title=_("Relance failure could not be logged"), message=traceback.format_exc())
