"""What the collection file is about (FileData) and the queries that choose and load it: the overdue
invoices of a customer with a company, their candidates (facts, payments, logs) and their policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import frappe

from relance_app.common import cache
from relance_app.constants import LEGAL_RATE
from relance_app.data.invoices import Candidate, load_policies, open_and_overdue, select_candidates
from relance_app.engine.models import Policy


@dataclass
class FileData:
	company: str
	customer: str
	invoices: list[str]
	as_of: date
	language: str
	reference_doctype: str
	reference_name: str
	candidates: list[Candidate] = field(default_factory=list)
	policy: Policy | None = None
	policy_doc: object = None


def overdue_invoices(customer: str, company: str, as_of: date) -> list[str]:
	si = frappe.qb.DocType("Sales Invoice")
	return (
		frappe.qb.from_(si)
		.select(si.name)
		.where(open_and_overdue(si, as_of) & (si.customer == customer) & (si.company == company))
		.orderby(si.due_date)
		.orderby(si.name)
		.run(pluck=True)
	)


def overdue_companies(customer: str, as_of: date) -> list[str]:
	si = frappe.qb.DocType("Sales Invoice")
	return sorted(
		frappe.qb.from_(si)
		.select(si.company)
		.distinct()
		.where(open_and_overdue(si, as_of) & (si.customer == customer))
		.run(pluck=True)
	)


def load(data: FileData) -> None:
	"""The invoices' candidates (in the file's order) and the policy of the first that has one."""
	cache.clear()
	policies = load_policies()
	candidates = {
		c.facts.name: c for c in select_candidates(policies, invoice_names=data.invoices, any_state=True)
	}
	data.candidates = [candidates[n] for n in data.invoices if n in candidates]
	with_policy = [c for c in data.candidates if c.policy]
	if with_policy:
		data.policy = with_policy[0].policy.policy
		data.policy_doc = frappe.get_cached_doc("Dunning Policy", with_policy[0].policy.name)
	else:  # no policy: the statutory rules (L441-10 legal rate, 40 EUR indemnity)
		data.policy = Policy("", (), interest_basis=LEGAL_RATE)
