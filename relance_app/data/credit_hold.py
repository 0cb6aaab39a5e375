"""What the credit-hold rule reads, and its decision for customers (relance_app.engine.credit_hold).

`holds_of(pairs)` decides for many (customer, company) pairs in five set-based queries whatever their
number: the overdue invoices of the customers (the Sales Invoice `customer` index), the stages they
reached (Relance Log), the enabled policies with their credit-hold section, the customer-group tree
when a policy targets a group, the manual releases still valid. `hold_of(customer, company)` is the
same for one pair and stops after the first query when the customer owes nothing overdue: what the
doc_events hooks cost on a customer who pays on time.

The hooks, the forms, the Relance Register, the workspace card and the daily transitions all come
here, so they see the same invoices and ask the same rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import frappe
from frappe.utils import cint, getdate, today

from relance_app.constants import (
	CREDIT_CONTROLLER_FALLBACK,
	CREDIT_HOLD_DOCTYPES,
	DELIVERED_STATUSES,
	HOLD_RELEASED,
)
from relance_app.data.invoices import PolicyResolver, load_policies, open_and_overdue, resolvable_policies
from relance_app.engine.credit_hold import (
	NOT_HELD,
	CreditHold,
	CreditHoldRule,
	OpenInvoice,
	Release,
	credit_hold,
)
from relance_app.engine.penalties import to_decimal

LOG = "Relance Credit Hold Log"
RULE_FIELDS = (
	"credit_hold_from_stage",
	"credit_hold_days_late",
	"credit_hold_amount",
	"credit_hold_grace_promise",
	"credit_hold_grace_dispute",
	*(field for field, _default in CREDIT_HOLD_DOCTYPES.values()),
)


@dataclass(frozen=True)
class Found:
	"""The decision for one customer and company, with the policy that decided."""

	customer: str
	company: str
	hold: CreditHold
	policy: str | None = None


def rule_from(values, stages: tuple[str, ...]) -> CreditHoldRule:
	"""A policy's credit-hold section (a document or a row of its fields) as the engine's rule;
	`stages`: its post-due stage names in order."""
	return CreditHoldRule(
		stages=stages,
		from_stage=(values.get("credit_hold_from_stage") or "").strip() or None,
		from_days_late=cint(values.get("credit_hold_days_late")),
		from_amount=to_decimal(values.get("credit_hold_amount") or 0),
		actions=tuple(
			(doctype, values.get(field) or default)
			for doctype, (field, default) in CREDIT_HOLD_DOCTYPES.items()
		),
		grace_promise=bool(cint(values.get("credit_hold_grace_promise"))),
		grace_dispute=bool(cint(values.get("credit_hold_grace_dispute"))),
	)


def load_rules(own=None) -> tuple[PolicyResolver | None, dict[str, CreditHoldRule]]:
	"""The policy resolver and the credit-hold rule of each enabled policy that has one; with `own`
	(the customers' own policies), only the policies that may be resolved for those customers."""
	rows = frappe.get_all(
		"Dunning Policy", filters={"enabled": 1, "credit_hold_enabled": 1}, fields=["name", *RULE_FIELDS]
	)
	if not rows:
		return None, {}
	policies = load_policies(resolvable_policies(own) if own is not None else None)
	rules = {}
	for row in rows:
		info = policies.get(row.name)
		if info:
			stages = tuple(s.stage_name for s in info.policy.ordered_stages() if not s.is_pre_due)
			rules[row.name] = rule_from(row, stages)
	return PolicyResolver(policies), rules


def _company_currencies() -> dict[str, str]:
	return dict(frappe.get_all("Company", fields=["name", "default_currency"], as_list=True))


def overdue_invoices(customers, company: str | None, as_of: date) -> list:
	"""The open invoices of `customers` (None: every customer) past their due date on `as_of` (with `company` if given), with
	the customer's policy fields; indexed on the invoice's customer."""
	si, c = frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Customer")
	where = open_and_overdue(si, as_of)
	if customers is not None:
		where &= si.customer.isin(list(customers))
	if company:
		where &= si.company == company
	return (
		frappe.qb.from_(si)
		.join(c)
		.on(c.name == si.customer)
		.select(
			si.name,
			si.customer,
			si.company,
			si.due_date,
			si.outstanding_amount,
			si.party_account_currency,
			si.conversion_rate,
			si.relance_hold,
			si.relance_hold_reason,
			si.relance_hold_until,
			c.dunning_policy,
			c.customer_group,
		)
		.where(where)
		.run(as_dict=True)
	)


def _stages_reached(invoices: list[str]) -> dict[str, list[tuple[str, date]]]:
	"""Invoice -> the (stage, date) of every relance that reached the customer."""
	if not invoices:
		return {}
	log = frappe.qb.DocType("Relance Log")
	out = defaultdict(list)
	for invoice, stage, day in (
		frappe.qb.from_(log)
		.select(log.sales_invoice, log.stage_name, log.relance_date)
		.where(log.sales_invoice.isin(invoices) & log.status.isin(sorted(DELIVERED_STATUSES)))
		.run()
	):
		out[invoice].append((stage, getdate(day)))
	return out


def valid_releases(customers, as_of: date) -> dict[tuple[str, str], Release]:
	"""(customer, company) -> the latest manual release still valid on `as_of`."""
	out = {}
	for row in frappe.get_all(
		LOG,
		filters={"event": HOLD_RELEASED, "customer": ("in", list(customers)), "valid_until": (">=", as_of)},
		fields=["customer", "company", "valid_until", "invoices", "reason"],
		order_by="creation desc",
	):
		out.setdefault(
			(row.customer, row.company),
			Release(
				until=getdate(row.valid_until),
				invoices=frozenset(n for n in (row.invoices or "").split() if n),
				reason=row.reason or "",
			),
		)
	return out


def _open_invoice(row, rule: CreditHoldRule, reached, currency: str) -> OpenInvoice:
	amount = to_decimal(row.outstanding_amount)
	if row.party_account_currency and row.party_account_currency != currency:
		amount = amount * to_decimal(row.conversion_rate or 1)
	ranked = [(rule.stages.index(s), d, s) for s, d in reached if s in rule.stages]
	furthest = max(ranked) if ranked else None
	return OpenInvoice(
		name=row.name,
		due_date=getdate(row.due_date),
		outstanding=amount,
		stage=furthest[2] if furthest else None,
		stage_date=furthest[1] if furthest else None,
		on_hold=bool(row.relance_hold),
		hold_reason=row.relance_hold_reason,
		hold_until=getdate(row.relance_hold_until) if row.relance_hold_until else None,
	)


def decide_rows(rows: list, as_of: date, pairs=None) -> dict[tuple[str, str], Found]:
	"""The decision for each (customer, company) of `rows` (overdue_invoices), and for `pairs` that
	have none (not held)."""
	out = {pair: Found(pair[0], pair[1], NOT_HELD) for pair in pairs or ()}
	if not rows:
		return out
	resolver, rules = load_rules(own={r.dunning_policy for r in rows})
	if not rules:
		return out | {(r.customer, r.company): Found(r.customer, r.company, NOT_HELD) for r in rows}
	grouped = defaultdict(list)
	for row in rows:
		grouped[(row.customer, row.company)].append(row)
	reached = _stages_reached([r.name for r in rows])
	releases = valid_releases({r.customer for r in rows}, as_of)
	currencies = _company_currencies()
	for (customer, company), invoices in grouped.items():
		first = invoices[0]
		info = resolver.resolve(company, first.dunning_policy, first.customer_group)
		rule = rules.get(info.name) if info else None
		facts = (
			[_open_invoice(r, rule, reached.get(r.name, ()), currencies.get(company)) for r in invoices]
			if rule
			else []
		)
		hold = credit_hold(rule, facts, as_of, releases.get((customer, company)))
		out[(customer, company)] = Found(customer, company, hold, info.name if info and rule else None)
	return out


def holds_of(pairs, as_of: date | None = None) -> dict[tuple[str, str], Found]:
	"""The decision for each (customer, company) pair."""
	pairs = set(pairs)
	as_of = getdate(as_of or today())
	if not pairs:
		return {}
	customers = {customer for customer, _company in pairs}
	rows = [r for r in overdue_invoices(customers, None, as_of) if (r.customer, r.company) in pairs]
	return decide_rows(rows, as_of, pairs)


def hold_of(customer: str, company: str, as_of: date | None = None) -> Found:
	"""The decision for one customer with one company. A customer with nothing overdue costs one
	indexed query."""
	as_of = getdate(as_of or today())
	rows = overdue_invoices((customer,), company, as_of)
	if not rows:
		return Found(customer, company, NOT_HELD)
	return decide_rows(rows, as_of)[(customer, company)]


def customer_holds(customer: str, as_of: date | None = None) -> list[Found]:
	"""The decision for the customer with each company it owes overdue invoices to."""
	as_of = getdate(as_of or today())
	rows = overdue_invoices((customer,), None, as_of)
	return sorted(decide_rows(rows, as_of).values(), key=lambda f: f.company) if rows else []


def all_holds(companies=None, as_of: date | None = None) -> dict[tuple[str, str], Found]:
	"""The decision for every customer with an overdue invoice (of `companies` if given)."""
	as_of = getdate(as_of or today())
	if not frappe.db.exists("Dunning Policy", {"enabled": 1, "credit_hold_enabled": 1}):
		return {}
	rows = overdue_invoices(None, None, as_of)
	if companies is not None:
		rows = [r for r in rows if r.company in companies]
	return decide_rows(rows, as_of)


def customer_of(doc) -> str | None:
	"""The customer of a Quotation, Sales Order, Delivery Note or Sales Invoice (None: a lead's quote)."""
	if doc.doctype == "Quotation":
		return doc.party_name if doc.get("quotation_to") == "Customer" else None
	return doc.get("customer")


def controller_role() -> str:
	"""Who may bypass and release a credit hold: the Credit Controller of Accounts Settings, else
	the Accounts Manager."""
	return frappe.db.get_single_value("Accounts Settings", "credit_controller") or CREDIT_CONTROLLER_FALLBACK


def may_release(user: str | None = None) -> bool:
	roles = frappe.get_roles(user)
	return controller_role() in roles or "System Manager" in roles


def controllers() -> list[str]:
	"""The enabled users who may bypass and release (their full names), for the refusal message."""
	from frappe.utils.user import get_users_with_role

	users = [u for u in get_users_with_role(controller_role()) if u not in ("Administrator", "Guest")]
	if not users:
		return []
	return [
		r.full_name or r.name
		for r in frappe.get_all(
			"User", filters={"name": ("in", users), "enabled": 1}, fields=["name", "full_name"]
		)
	]
