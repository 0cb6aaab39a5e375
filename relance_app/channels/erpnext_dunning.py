"""ERPNext's own Dunning document (a draft) for a stage that asks for it, so fees and interest reach
the accounts."""

from __future__ import annotations

from datetime import date

import frappe
from frappe.utils import getdate

from relance_app.data.invoices import Candidate
from relance_app.documents.message_data import (
	invoice_penalties,
)
from relance_app.engine.models import Stage


def create_dunning(candidate: Candidate, stage: Stage, policy_doc, as_of: date | None = None) -> str | None:
	"""ERPNext's own Dunning (draft) so fees and interest reach the accounts."""
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import create_dunning as make_dunning

	row = policy_doc.get("stages", {"stage_name": stage.stage_name})
	dunning_type = row[0].dunning_type if row else None
	dunning = make_dunning(candidate.facts.name, ignore_permissions=True)
	if dunning_type:
		dunning.dunning_type = dunning_type
	# ERPNext's Dunning takes one rate: the one in force on the relance day (by semester on the legal basis)
	penalties = invoice_penalties(candidate.facts, candidate.policy.policy, as_of or getdate())[2]
	dunning.rate_of_interest = float(penalties.rate)
	dunning.flags.ignore_permissions = True
	dunning.insert()
	log = candidate.logs.get(stage.stage_name)
	if log:
		frappe.db.set_value("Relance Log", log.name, "dunning", dunning.name, update_modified=False)
	return dunning.name
