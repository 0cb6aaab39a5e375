"""The phone channel: a ToDo to call the customer."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import now_datetime

from relance_app.constants import (
	SENT,
)
from relance_app.engine.decide import effective_due
from relance_app.records.relance_log import insert_log
from relance_app.records.todos import ensure_todo


def phone_task(acting, policy_doc, as_of: date, approved: dict | None = None) -> str:
	for candidate, s in acting:
		facts = candidate.facts
		due, amount = effective_due(facts, as_of)
		todo = ensure_todo(
			candidate,
			_("Call {0} about invoice {1}: {2} {3} due on {4}, {5} days late. Contact: {6}").format(
				candidate.row.customer_name,
				facts.name,
				amount,
				facts.currency,
				frappe.format(due, "Date"),
				max(0, (as_of - due).days),
				candidate.row.contact_email or "-",
			),
			key=f"phone:{s.stage_name}",
		)
		insert_log(
			candidate,
			s,
			as_of,
			SENT,
			todo=todo,
			reason=_("Phone call assigned."),
			sent_on=now_datetime(),
			**(approved or {}),
		)
	return "sent"
