"""Selecting the invoices to look at, in a few set-based queries, and turning rows into engine facts.

Queries (whatever the number of invoices): open invoices joined with their customer; their payment
schedules; their relance logs; the enabled policies; their stages; the customer-group tree. No query
per invoice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import frappe
from frappe.desk.reportview import build_match_conditions
from frappe.query_builder import Criterion
from frappe.query_builder.functions import Coalesce
from frappe.utils import cint, getdate

from relance_app.common import args
from relance_app.constants import CLOSED_STATUSES, PAYMENT_FOUND, STATUS_PAYMENT_FOUND, THANK_YOU_STAGE
from relance_app.engine.models import (
	CONTRACTUAL_RATE,
	HistoryEntry,
	Instalment,
	InvoiceFacts,
	Policy,
	Stage,
)
from relance_app.engine.penalties import to_decimal

# relance_status values that mean "nothing more to do once paid"


@dataclass
class PolicyInfo:
	name: str
	company: str
	customer_group: str | None
	is_default: bool
	group_by_customer: bool
	policy: Policy
	stages_by_name: dict[str, Stage] = field(default_factory=dict)


@dataclass
class Candidate:
	row: dict  # the invoice and customer fields
	facts: InvoiceFacts
	policy: PolicyInfo | None
	logs: dict = field(default_factory=dict)  # stage name -> Relance Log row (name, status, attempts)


def resolvable_policies(own) -> list[str]:
	"""The enabled policies a PolicyResolver may answer for customers whose own policies are `own`: those,
	the ones targeting a customer group, the companies' defaults (flag or Relance Settings). A site
	with a policy per customer loads a handful instead of all of them."""
	dp = frappe.qb.DocType("Dunning Policy")
	names = (
		frappe.qb.from_(dp)
		.select(dp.name)
		.where(
			(dp.enabled == 1)
			& (
				dp.name.isin(sorted(o for o in own if o) or [""])
				| (dp.is_default == 1)
				| (Coalesce(dp.target_customer_group, "") != "")
			)
		)
		.run(pluck=True)
	)
	settings = frappe.get_cached_doc("Relance Settings")
	return sorted(set(names) | {row.dunning_policy for row in settings.get("default_policies") or []})


def load_policies(names=None) -> dict[str, PolicyInfo]:
	"""The enabled policies (of `names` when given) with their stages, as the engine reads them."""
	filters = {"enabled": 1}
	if names is not None:
		filters["name"] = ("in", sorted(names) or [""])
	rows = frappe.get_all(
		"Dunning Policy",
		filters=filters,
		fields=[
			"name",
			"company",
			"target_customer_group",
			"is_default",
			"group_by_customer",
			"min_days_between",
			"tolerance",
			"late_interest_rate",
			"interest_rate_basis",
			"fixed_indemnity",
			"indemnity_currency",
			"indemnity_b2b_only",
			"send_thank_you",
			"max_attempts",
			"wait_for_posting",
		],
	)
	if not rows:
		return {}
	stages = defaultdict(list)
	for s in frappe.get_all(
		"Dunning Policy Stage",
		filters={"parenttype": "Dunning Policy", "parent": ("in", [r.name for r in rows])},
		fields=[
			"parent",
			"idx",
			"stage_name",
			"offset_days",
			"channel",
			"email_template",
			"print_format",
			"requires_approval",
			"include_penalties",
			"create_dunning",
		],
		order_by="idx asc",
	):
		stages[s.parent].append(_stage(s))
	out = {}
	for r in rows:
		policy = Policy(
			name=r.name,
			stages=tuple(stages[r.name]),
			min_days_between=cint(r.min_days_between),
			tolerance=to_decimal(r.tolerance or 0),
			late_interest_rate=to_decimal(r.late_interest_rate or 0),
			interest_basis=r.interest_rate_basis or CONTRACTUAL_RATE,
			fixed_indemnity=to_decimal(r.fixed_indemnity or 0),
			indemnity_currency=r.indemnity_currency or "EUR",
			indemnity_b2b_only=bool(r.indemnity_b2b_only),
			send_thank_you=bool(r.send_thank_you),
			max_attempts=cint(r.max_attempts) or 3,
			wait_for_posting=bool(r.wait_for_posting),
		)
		out[r.name] = PolicyInfo(
			name=r.name,
			company=r.company,
			customer_group=r.target_customer_group,
			is_default=bool(r.is_default),
			group_by_customer=bool(r.group_by_customer),
			policy=policy,
			stages_by_name={s.stage_name: s for s in policy.stages},
		)
	return out


def _stage(s) -> Stage:
	return Stage(
		stage_name=(s.stage_name or "").strip(),
		offset_days=cint(s.offset_days),
		channel=s.channel or "Email",
		email_template=s.email_template,
		print_format=s.print_format,
		requires_approval=bool(s.requires_approval),
		include_penalties=bool(s.include_penalties),
		create_dunning=bool(s.create_dunning),
		idx=cint(s.idx),
	)


class PolicyResolver:
	"""Customer's own policy, else the nearest customer group's, else the company default; in memory."""

	def __init__(self, policies: dict[str, PolicyInfo]):
		self.policies = policies
		self.defaults: dict[str, str] = {}
		for p in sorted(policies.values(), key=lambda p: p.name):
			if p.is_default:
				self.defaults.setdefault(p.company, p.name)
		settings = frappe.get_cached_doc("Relance Settings")
		for row in settings.get("default_policies") or []:
			if row.dunning_policy in policies:
				self.defaults.setdefault(row.company, row.dunning_policy)
		self.group_policies: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
		self.groups: dict[str, tuple[int, int]] = {}
		if any(p.customer_group for p in policies.values()):
			for g in frappe.get_all("Customer Group", fields=["name", "lft", "rgt"]):
				self.groups[g.name] = (g.lft, g.rgt)
			for p in policies.values():
				if p.customer_group and p.customer_group in self.groups:
					lft, rgt = self.groups[p.customer_group]
					self.group_policies[p.company].append((lft, rgt, p.name))

	def resolve(self, company: str, own: str | None, customer_group: str | None) -> PolicyInfo | None:
		if own and own in self.policies and self.policies[own].company == company:
			return self.policies[own]
		if customer_group and self.group_policies.get(company) and customer_group in self.groups:
			lft, rgt = self.groups[customer_group]
			best = max(
				((gl, name) for gl, gr, name in self.group_policies[company] if gl <= lft and gr >= rgt),
				default=None,
			)
			if best:
				return self.policies[best[1]]
		name = self.defaults.get(company)
		return self.policies.get(name) if name else None


def is_open(si) -> Criterion:
	"""An open invoice, on the Sales Invoice table `si`: submitted, not a return, something still due."""
	return (si.docstatus == 1) & (si.is_return == 0) & (si.outstanding_amount > 0)


def open_and_overdue(si, as_of: date) -> Criterion:
	"""The one definition of an open, overdue invoice on `as_of`: open, and its due date before that
	day (due on `as_of` is not overdue yet)."""
	return is_open(si) & (si.due_date < as_of)


def latest_open_company(customer: str) -> str | None:
	"""The company of the customer's latest open invoice that the user may read, or None."""
	si = frappe.qb.DocType("Sales Invoice")
	where = is_open(si) & (si.customer == customer)
	can_read = readable("Sales Invoice")
	if can_read is not None:
		where &= can_read
	found = frappe.qb.from_(si).select(si.company).where(where).orderby(si.posting_date, order=frappe.qb.desc)
	rows = found.limit(1).run(pluck=True)
	return rows[0] if rows else None


class _Sql(Criterion):
	"""A condition Frappe wrote in SQL (its read conditions), as a criterion."""

	def __init__(self, sql: str):
		super().__init__()
		self.sql = sql

	def get_sql(self, **kwargs) -> str:
		return f"({self.sql})"


def readable(doctype: str) -> Criterion | None:
	"""What the user may read of `doctype`, as a criterion on its table: Frappe's own read conditions
	(User Permissions, the permission hooks of the apps, the documents shared with the user), None when
	nothing restricts. Refuses (PermissionError) a user whose roles do not read `doctype`: a document
	shared with them does not open a total."""
	args.require_read((doctype,))
	sql = build_match_conditions(doctype)
	return _Sql(sql) if sql else None


def invoice_tables():
	"""The Sales Invoice and Customer tables the loader joins; criteria for `load_invoices` use them."""
	return frappe.qb.DocType("Sales Invoice"), frappe.qb.DocType("Customer")


def invoices_query(where: Criterion, table=None, invoice_field=None):
	"""FROM the invoices matching `where` joined with their customer, or FROM `table` joined with them
	through `invoice_field` (the invoices' schedules, logs): select and aggregate on it."""
	si, c = invoice_tables()
	query = (
		frappe.qb.from_(si) if table is None else frappe.qb.from_(table).join(si).on(si.name == invoice_field)
	)
	return query.join(c).on(c.name == si.customer).where(where)


# the invoice and customer fields every reader of the loader gets
SI_COLUMNS = (
	"name",
	"customer",
	"company",
	"posting_date",
	"due_date",
	"outstanding_amount",
	"grand_total",
	"currency",
	"party_account_currency",
	"conversion_rate",
	"docstatus",
	"is_return",
	"relance_hold",
	"relance_hold_until",
	"relance_hold_reason",
	"relance_exclude",
)


def _customer_columns(c) -> list:
	return [
		c.customer_type,
		c.customer_group,
		c.disabled.as_("customer_disabled"),
		c.relance_exclude.as_("customer_exclude"),
		c.dunning_policy,
	]


@dataclass
class InvoiceSet:
	rows: list  # the invoice and customer fields, as dicts
	schedules: dict  # invoice -> its Payment Schedule rows (due_date, outstanding), by due date
	logs: dict  # invoice -> its Relance Log rows, as `log_row` tuples


def load_invoices(
	where: Criterion, extra=(), log_columns=(), log_row=tuple, schedules=True, ordered=False
) -> InvoiceSet:
	"""The one loader of invoices (the run's selection, the register, the cards): the invoices matching
	`where` (a criterion on `invoice_tables()`) with their customer's fields, `extra` columns, their
	payment schedules and their relance logs (`log_columns` of the Relance Log table, each row made
	into `log_row`). Three queries whatever the number of invoices; `ordered`: invoices by due date and
	name, logs by relance date and creation."""
	si, c = invoice_tables()
	query = invoices_query(where).select(*[si[f] for f in SI_COLUMNS], *_customer_columns(c), *extra)
	if ordered:
		query = query.orderby(si.due_date).orderby(si.name)
	rows = query.run(as_dict=True)
	if not rows:
		return InvoiceSet([], {}, {})

	by_invoice = defaultdict(list)
	if schedules:
		ps = frappe.qb.DocType("Payment Schedule")
		for r in (
			invoices_query(where & (ps.parenttype == "Sales Invoice"), ps, ps.parent)
			.select(ps.parent, ps.due_date, ps.outstanding)
			.orderby(ps.due_date)
			.run(as_dict=True)
		):
			by_invoice[r.parent].append(r)

	log = frappe.qb.DocType("Relance Log")
	logs = defaultdict(list)
	query = invoices_query(where, log, log.sales_invoice).select(log.sales_invoice, *log_columns)
	if ordered:
		query = query.orderby(log.relance_date).orderby(log.creation)
	# tuples, not dicts: the largest result (every log of every invoice loaded)
	for r in query.run():
		logs[r[0]].append(log_row(*r[1:]))
	return InvoiceSet(rows, by_invoice, logs)


def _selection_where(invoice_names=None, customer=None, companies=None, any_state=False) -> Criterion:
	si, _c = invoice_tables()
	conditions = [si.docstatus < 2] if any_state else [si.docstatus == 1, si.is_return == 0]
	if not any_state:
		# open invoices, and paid ones that were chased and are not closed yet (thank-you, status)
		conditions.append(
			is_open(si)
			| (
				si.relance_last_stage.isnotnull()
				& (si.relance_last_stage != "")
				& (si.relance_status.isnull() | si.relance_status.notin(CLOSED_STATUSES))
			)
			# held for a payment found in the bank, and paid since: its status follows
			| (si.relance_status == STATUS_PAYMENT_FOUND)
		)
	if invoice_names:
		conditions.append(si.name.isin(list(invoice_names)))
	if customer:
		conditions.append(si.customer == customer)
	if companies is not None:  # an empty set means no company works today
		conditions.append(si.company.isin(list(companies) or [""]))
	return Criterion.all(conditions)


def select_candidates(
	policies: dict[str, PolicyInfo], invoice_names=None, customer=None, companies=None, any_state=False
) -> list[Candidate]:
	si, c = invoice_tables()
	log = frappe.qb.DocType("Relance Log")
	# the run needs what decides; messages (a few invoices at a time) also need what they show
	detail = bool(invoice_names)
	extra = [si.relance_status, si.relance_last_stage, si.relance_next_date, si.relance_next_stage]
	if detail:
		extra += [
			si.contact_email,
			si.language,
			si.payment_terms_template,
			c.customer_name,
			c.language.as_("customer_language"),
			c.relance_register,
		]
	loaded = load_invoices(
		_selection_where(invoice_names, customer, companies, any_state),
		extra,
		log_columns=(
			log.stage_name,
			log.status,
			log.relance_date,
			log.attempts,
			log.name if detail else 0,
			log.posting_date,
			log.reason_code,
		),
		log_row=LogRow,
	)
	resolver = PolicyResolver(policies) if loaded.rows else None
	out = []
	for r in loaded.rows:
		info = resolver.resolve(r.company, r.dunning_policy, r.customer_group)
		rows_logs = loaded.logs.get(r.name, [])
		out.append(
			Candidate(
				row=r,
				facts=facts_from_row(r, loaded.schedules.get(r.name), rows_logs),
				policy=info,
				logs={x.stage_name: frappe._dict(x._asdict()) for x in rows_logs} if invoice_names else {},
			)
		)
	return out


class LogRow(NamedTuple):
	stage_name: str
	status: str
	relance_date: date
	attempts: int
	name: str
	posting_date: date | None = None
	reason_code: str | None = None


def _date(value) -> date:
	"""The database already returns dates; convert only what is not one."""
	return value if type(value) is date else getdate(value)


def invoice_outstanding(r) -> Decimal:
	"""What is still due, in the invoice's currency. ERPNext keeps `outstanding_amount` in the
	receivable account's currency; when that account is in the company's currency and the invoice in
	another, the relance states it as ERPNext's Payment Request does: outstanding / conversion rate
	(a USD 100 invoice at 0.9 on a EUR account: 90 EUR outstanding, USD 100 due)."""
	amount = to_decimal(r.outstanding_amount)
	account = r.get("party_account_currency")
	rate = to_decimal(r.get("conversion_rate") or 0)
	if account and account != r.currency and rate > 0:
		return (amount / rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
	return amount


def facts_from_row(r, schedule, logs) -> InvoiceFacts:
	return InvoiceFacts(
		name=r.name,
		due_date=_date(r.due_date or r.posting_date),
		outstanding=invoice_outstanding(r),
		currency=r.currency,
		customer=r.customer,
		customer_type=r.customer_type or "Company",
		grand_total=to_decimal(r.grand_total),
		posting_date=_date(r.posting_date),
		docstatus=cint(r.docstatus),
		is_return=bool(r.is_return),
		customer_disabled=bool(r.customer_disabled),
		excluded=bool(r.relance_exclude),
		customer_excluded=bool(r.customer_exclude),
		on_hold=bool(r.relance_hold),
		hold_until=_date(r.relance_hold_until) if r.relance_hold_until else None,
		hold_reason=r.relance_hold_reason,
		payment_schedule=tuple(Instalment(_date(s.due_date), to_decimal(s.outstanding)) for s in schedule)
		if schedule and len(schedule) > 1
		else (),
		history=tuple(
			HistoryEntry(
				x.stage_name,
				x.status,
				_date(x.relance_date),
				x.attempts or 1,
				# a letter's posting date (callers with their own log tuples may not have it)
				posted=_date(x.posting_date) if getattr(x, "posting_date", None) else None,
			)
			for x in logs
			# a stage held for a payment found in the bank is still to do
			if x.stage_name != THANK_YOU_STAGE and getattr(x, "reason_code", None) != PAYMENT_FOUND
		),
		thank_you_sent=any(x.stage_name == THANK_YOU_STAGE for x in logs),
	)
