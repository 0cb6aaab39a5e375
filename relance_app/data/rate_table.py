"""The reference rates by semester (DocType Relance Legal Rate) for the engine, the legal floor of a
contractual rate, and the reminder to enter the rates of a semester that has none."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.common import cache
from relance_app.engine.models import SemesterRate
from relance_app.engine.penalties import (
	RateTable,
	contractual_floor,
	next_semester_start,
	semester_start,
	to_decimal,
)

DOCTYPE = "Relance Legal Rate"
MANAGER = "Accounts Manager"
REMIND_DAYS_AHEAD = 30


def rate_table() -> RateTable:
	"""Every semester's rates, read once per batch."""
	return cache.memo("legal_rates", load_rate_table)


def load_rate_table() -> RateTable:
	rows = frappe.get_all(DOCTYPE, fields=["semester_start", "ecb_rate", "legal_interest_rate"])
	return RateTable(
		SemesterRate(
			getdate(r.semester_start),
			to_decimal(r.ecb_rate or 0),
			to_decimal(r.legal_interest_rate) if r.legal_interest_rate else None,
		)
		for r in rows
	)


def legal_floor(day: date | None = None, table: RateTable | None = None):
	"""(lowest contractual rate, the semester it comes from, whether that semester is an earlier one
	because `day`'s has no legal interest rate yet), or None when no legal interest rate is known."""
	day = getdate(day or today())
	row, assumed = (table or load_rate_table()).legal_interest_for(day)
	if row is None:
		return None
	return contractual_floor(row.legal_interest_rate), row, assumed


# --- reminder -----------------------------------------------------------------------------------


def semesters_to_remind(day: date) -> list[date]:
	"""The current semester, and the next one once it starts within REMIND_DAYS_AHEAD days."""
	out = [semester_start(day)]
	upcoming = next_semester_start(day)
	if (upcoming - day).days <= REMIND_DAYS_AHEAD:
		out.append(upcoming)
	return out


def reminder_users() -> list[str]:
	"""Enabled desk users with the Accounts Manager role (Administrator when there is none)."""
	has_role = frappe.qb.DocType("Has Role")
	user = frappe.qb.DocType("User")
	users = (
		frappe.qb.from_(has_role)
		.join(user)
		.on(user.name == has_role.parent)
		.select(user.name)
		.distinct()
		.where(
			(has_role.role == MANAGER)
			& (has_role.parenttype == "User")
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& (user.name.notin(("Guest",)))
		)
		.run(pluck=True)
	)
	return sorted(users) or ["Administrator"]


def remind_missing_rates(day=None) -> list[str]:
	"""Daily: a ToDo for each Accounts Manager when the current semester, or the next one starting
	within 30 days, has no rates; once per semester and user (the ToDo's date is the semester's first
	day), whatever its status later. Entering the rates closes the open ones."""
	day = getdate(day or today())
	existing = set(frappe.get_all(DOCTYPE, pluck="name"))
	created = []
	for start in semesters_to_remind(day):
		if start.isoformat() in existing:
			continue
		for user in reminder_users():
			if frappe.db.exists("ToDo", {"reference_type": DOCTYPE, "date": start, "allocated_to": user}):
				continue
			todo = frappe.get_doc(
				{
					"doctype": "ToDo",
					"allocated_to": user,
					"assigned_by": "Administrator",
					"reference_type": DOCTYPE,
					"date": start,
					"priority": "Medium",
					"description": _(
						"Enter the late-payment reference rates of the semester starting on {0}: the ECB main refinancing rate in force that day and the taux de l'intérêt légal for professional creditors, each with its source (Relance Legal Rate). Until then, relances on the legal basis use the latest known rate."
					).format(frappe.format(start, "Date")),
				}
			)
			todo.flags.ignore_permissions = True
			todo.insert()
			created.append(todo.name)
	return created


def close_reminders(name: str) -> None:
	"""The rates of semester `name` (its first day, ISO) were entered: its reminders are done."""
	todo = frappe.qb.DocType("ToDo")
	(
		frappe.qb.update(todo)
		.set(todo.status, "Closed")
		.where((todo.reference_type == DOCTYPE) & (todo.date == name) & (todo.status == "Open"))
		.run()
	)
