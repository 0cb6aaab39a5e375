"""ToDos for the accountant: one open ToDo per invoice and purpose, never one a day."""

from __future__ import annotations

import frappe
from frappe.utils import getdate

from relance_app.data.invoices import Candidate


def ensure_todo(candidate: Candidate, description: str, key: str, assign_to: str | None = None) -> str:
	"""One open ToDo per invoice and purpose, never one a day."""
	marker = f"[relance:{key}]"
	existing = frappe.db.get_value(
		"ToDo",
		{
			"reference_type": "Sales Invoice",
			"reference_name": candidate.facts.name,
			"status": "Open",
			"description": ("like", f"%{marker}%"),
		},
		"name",
	)
	if existing:
		return existing
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": assign_to or accountant_for(candidate),
			"reference_type": "Sales Invoice",
			"reference_name": candidate.facts.name,
			"description": f"{description} {marker}",
			"priority": "High",
			"date": getdate(),
		}
	)
	todo.flags.ignore_permissions = True
	todo.insert()
	return todo.name


def accountant_for(candidate: Candidate) -> str:
	"""The policy's owner if still an active user, else Administrator."""
	owner = frappe.db.get_value("Dunning Policy", candidate.policy.name, "owner")
	if owner and owner != "Guest" and frappe.db.get_value("User", owner, "enabled"):
		return owner
	return "Administrator"
