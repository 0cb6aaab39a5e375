"""The rows behind the Relance Register, Overdue by Stage and the workspace cards.

A fixed number of set-based queries whatever the number of invoices: the companies the user may see,
the invoices with their customers, their payment schedules, their relance logs, the policies (and the
customer-group tree when a policy targets a group). The next relance comes from the engine's decision
and the company's sending calendar, the same as the run's; the procedure and the ageing bucket from
relance_app.engine.register.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import frappe
from frappe import _
from frappe.query_builder import Criterion
from frappe.utils import cint, flt, getdate, today

from relance_app.common import cache
from relance_app.constants import ANSWERED, AWAITING_APPROVAL, DELIVERED_STATUSES, LAST_STATUSES
from relance_app.data.bank import load_deposits, open_invoice
from relance_app.data.calendar import shift_to_business_day
from relance_app.data.credit_hold import holds_of
from relance_app.data.invoices import (
	THANK_YOU_STAGE,
	PolicyResolver,
	facts_from_row,
	invoice_tables,
	is_open,
	load_invoices,
	load_policies,
	readable,
)
from relance_app.engine import reasons as R
from relance_app.engine import register as G
from relance_app.engine.bank_match import match_deposits
from relance_app.engine.decide import decide, hold_active
from relance_app.engine.penalties import to_decimal
from relance_app.records.credit_hold import headline

# the stage filter's value for "no relance yet"
NO_RELANCE = "-"
# log statuses that count as a relance made (the email is queued or sent, the letter or task done)
SENT_STATUSES = tuple(sorted(DELIVERED_STATUSES))
# log statuses shown as the invoice's last relance


def procedure_labels() -> dict[str, str]:
	return {
		G.EXCLUDED: _("Excluded"),
		G.PAID: _("Paid"),
		G.PAYMENT_FOUND: _("Payment found, to reconcile"),
		G.ON_HOLD: _("On Hold"),
		G.PROMISE: _("Payment Promise"),
		G.AWAITING_APPROVAL: _("Awaiting Approval"),
		G.DUNNING_CREATED: _("ERPNext Dunning Created"),
		G.FORMAL_NOTICE: _("Formal Notice Sent"),
		G.SCHEDULED: _("Scheduled"),
		G.COMPLETED: _("Stages Completed"),
		G.NO_POLICY: _("No Policy"),
	}


def bucket_label(key: str) -> str:
	return _("Not due") if key == G.NOT_DUE else _("{0} days").format(key)


def date_filters(filters, *keys: str) -> frappe._dict:
	"""The report's filters as a dict (the desk sends JSON), the given keys parsed as dates."""
	filters = frappe._dict(frappe.parse_json(filters) if isinstance(filters, str) else (filters or {}))
	for key in keys:
		if filters.get(key):
			try:
				filters[key] = getdate(filters[key])
			except Exception:
				frappe.throw(
					_("{0} is not a valid date.").format(frappe.bold(filters[key])),
					frappe.ValidationError,
					title=_("Invalid Filter"),
				)
	return filters


def parse_filters(filters) -> frappe._dict:
	filters = date_filters(filters, "from_due_date", "to_due_date", "as_of", "closed_since")
	for key in ("days_late_from", "days_late_to"):
		if filters.get(key) not in (None, ""):
			filters[key] = cint(filters[key])
		else:
			filters[key] = None
	if filters.get("ageing") and filters.ageing not in G.BUCKET_KEYS:
		frappe.throw(
			_("Unknown ageing bucket {0}.").format(frappe.bold(filters.ageing)), title=_("Invalid Filter")
		)
	if filters.get("procedure") and filters.procedure not in G.PROCEDURES:
		frappe.throw(
			_("Unknown procedure {0}.").format(frappe.bold(filters.procedure)), title=_("Invalid Filter")
		)
	return filters


def allowed_companies(company: str | None = None) -> list[str]:
	"""The companies the user may see (User Permissions on Company apply), or the one asked for."""
	return list(company_currencies(company))


def company_currencies(company: str | None = None) -> dict[str, str]:
	"""{company: its currency} for the companies the user may see (User Permissions on Company
	apply), or just the one asked for; another one is refused."""
	allowed = {
		c.name: c.default_currency
		for c in frappe.get_list("Company", fields=["name", "default_currency"], order_by="name")
	}
	if company:
		if company not in allowed:
			frappe.throw(
				_("You are not permitted to see the relances of {0}.").format(frappe.bold(company)),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
		return {company: allowed[company]}
	return allowed


def _customer_groups(group: str) -> list[str]:
	return [group, *frappe.db.get_descendants("Customer Group", group)]


def _where(filters: frappe._dict, companies: list[str], as_of: date):
	si, c = invoice_tables()
	conditions = [si.docstatus == 1, si.is_return == 0, si.company.isin(companies or [""])]
	seen = readable("Sales Invoice")
	if seen is not None:
		conditions.append(seen)
	open_ = is_open(si)
	if filters.get("include_closed"):
		ple = frappe.qb.DocType("Payment Ledger Entry")
		since = filters.get("closed_since") or as_of - timedelta(days=30)
		closed_recently = (
			frappe.qb.from_(ple)
			.select(ple.against_voucher_no)
			.where(
				(ple.against_voucher_type == "Sales Invoice")
				& (ple.voucher_no != ple.against_voucher_no)
				& (ple.delinked == 0)
				& (ple.posting_date >= since)
				& (ple.posting_date <= as_of)
			)
		)
		conditions.append(open_ | ((si.outstanding_amount <= 0) & si.name.isin(closed_recently)))
	else:
		conditions.append(open_)
	if filters.get("customer"):
		conditions.append(si.customer == filters.customer)
	if filters.get("sales_invoice"):
		conditions.append(si.name == filters.sales_invoice)
	if filters.get("customer_group"):
		conditions.append(c.customer_group.isin(_customer_groups(filters.customer_group)))
	if filters.get("currency"):
		conditions.append(si.currency == filters.currency)
	if filters.get("account_currency"):
		conditions.append(si.party_account_currency == filters.account_currency)
	if filters.get("from_due_date"):
		conditions.append(si.due_date >= filters.from_due_date)
	if filters.get("to_due_date"):
		conditions.append(si.due_date <= filters.to_due_date)
	# days late d = as_of - due_date: d >= n  <=>  due_date <= as_of - n
	low, high = filters.get("days_late_from"), filters.get("days_late_to")
	if filters.get("ageing"):
		first, last = G.bucket_bounds(filters.ageing)
		low = first if low is None or (first is not None and first > low) else low
		high = last if high is None or (last is not None and last < high) else high
	if low is not None:
		conditions.append(si.due_date <= as_of - timedelta(days=low))
	if high is not None:
		conditions.append(si.due_date >= as_of - timedelta(days=high))
	return Criterion.all(conditions)


def register_rows(filters=None, with_next: bool = True) -> list[frappe._dict]:
	"""One row per invoice: amounts, days late, last and next relance, procedure, relances sent."""
	filters = parse_filters(filters)
	as_of = filters.get("as_of") or getdate(today())
	companies = allowed_companies(filters.get("company"))
	if not companies:
		return []
	si, _c = invoice_tables()
	log = frappe.qb.DocType("Relance Log")
	loaded = load_invoices(
		_where(filters, companies, as_of),
		[si.customer_name],
		log_columns=[getattr(log, f) for f in RegisterLog._fields],
		log_row=RegisterLog,
		schedules=with_next,
		ordered=True,
	)
	rows, schedules, logs = loaded.rows, loaded.schedules, loaded.logs
	if not rows:
		return []
	answers = debtor_answers(logs)

	cache.clear()
	policies = load_policies()
	resolver = PolicyResolver(policies)
	labels = procedure_labels()
	found = bank_found(rows, companies)
	out = []
	for r in rows:
		info = resolver.resolve(r.company, r.dunning_policy, r.customer_group)
		all_logs = logs.get(r.name, ())
		row_logs = [x for x in all_logs if x.stage_name != THANK_YOU_STAGE]
		row = _register_row(
			r, info, row_logs, all_logs, schedules.get(r.name), as_of, with_next, found.get(r.name, ())
		)
		row.procedure_label = labels.get(row.procedure, row.procedure)
		row.debtor_answer = answers.get(r.name)
		out.append(row)

	stage, proc, policy = filters.get("stage"), filters.get("procedure"), filters.get("dunning_policy")
	if stage:
		out = [x for x in out if (x.last_stage or NO_RELANCE) == stage]
	if proc:
		out = [x for x in out if x.procedure == proc]
	if policy:
		out = [x for x in out if x.dunning_policy == policy]
	return out


def bank_found(rows, companies) -> dict:
	"""The open invoices of the register an unreconciled deposit pays (the run's rule, one query)."""
	deposits = load_deposits(companies)
	if not deposits:
		return {}
	return match_deposits(deposits, [open_invoice(r) for r in rows if flt(r.outstanding_amount) > 0])


def _register_row(
	r, info, row_logs, all_logs, schedule, as_of: date, with_next: bool, found=()
) -> frappe._dict:
	tolerance = info.policy.tolerance if info else to_decimal(0)
	outstanding = flt(r.outstanding_amount)
	late = G.days_late(getdate(r.due_date) if r.due_date else None, as_of)
	last = next((x for x in reversed(row_logs) if x.status in LAST_STATUSES), None)
	sent = [x for x in row_logs if x.status in SENT_STATUSES]
	stages = info.stages_by_name if info else {}
	formal = any(
		G.is_formal_notice(x.channel, getattr(stages.get(x.stage_name), "create_dunning", False))
		for x in sent
	)
	facts = facts_from_row(r, schedule, all_logs)
	decision = decide(info.policy, facts, as_of) if info and with_next else None
	state = G.InvoiceState(
		open=to_decimal(outstanding) > tolerance,
		excluded=bool(r.relance_exclude or r.customer_exclude or r.customer_disabled),
		hold_active=hold_active(facts, as_of),
		hold_reason=r.relance_hold_reason,
		has_policy=info is not None,
		awaiting_approval=any(x.status == AWAITING_APPROVAL for x in row_logs),
		dunning_created=any(x.dunning for x in row_logs),
		formal_notice_sent=formal,
		decision_reason=decision.reason if decision else None,
		payment_found=bool(found),
	)
	code = G.procedure(state)
	next_stage = next_date = None
	if decision and code in (G.SCHEDULED, G.FORMAL_NOTICE, G.DUNNING_CREATED, G.ON_HOLD, G.PROMISE):
		when = as_of
		if decision.reason == R.ON_HOLD and decision.next_date:
			# a hold with an end: what the run will do once it is over
			when = decision.next_date
			decision = decide(info.policy, facts, when)
		if decision.stage:
			next_stage, next_date = decision.stage.stage_name, shift_to_business_day(r.company, when)
		elif decision.next_stage:
			next_stage = decision.next_stage.stage_name
			next_date = shift_to_business_day(r.company, decision.next_date)
	detail = ", ".join(sorted({m.deposit for m in found})) if code == G.PAYMENT_FOUND else ""
	if code in (G.ON_HOLD, G.PROMISE):
		reason = _(r.relance_hold_reason or "Other")
		detail = (
			_("{0} until {1}").format(reason, frappe.format(r.relance_hold_until, "Date"))
			if r.relance_hold_until
			else reason
		)
	return frappe._dict(
		sales_invoice=r.name,
		customer=r.customer,
		customer_name=r.customer_name,
		company=r.company,
		posting_date=r.posting_date,
		due_date=r.due_date,
		currency=r.currency,
		# ERPNext keeps the outstanding in the receivable account's currency
		party_account_currency=r.party_account_currency or r.currency,
		conversion_rate=flt(r.conversion_rate) or 1,
		grand_total=flt(r.grand_total),
		outstanding_amount=outstanding,
		days_late=late,
		ageing=G.ageing_bucket(late),
		last_stage=last.stage_name if last else None,
		last_date=last.relance_date if last else None,
		last_channel=last.channel if last else None,
		last_status=last.status if last else None,
		next_stage=next_stage,
		next_date=next_date,
		procedure=code,
		procedure_detail=detail,
		hold_until=r.relance_hold_until if state.hold_active else None,
		relances_sent=len(sent),
		dunning_policy=info.name if info else None,
	)


def add_credit_holds(rows: list, filters=None) -> list:
	"""The register's Credit Hold column and filter: the hold of each row's customer with its company,
	from all its overdue invoices whatever the other filters (relance_app.data.credit_hold, the rule
	the hooks and the forms use)."""
	filters = parse_filters(filters)
	found = holds_of({(r.customer, r.company) for r in rows}, filters.get("as_of") or getdate(today()))
	for r in rows:
		f = found.get((r.customer, r.company))
		r.credit_held = 1 if f and f.hold.held else 0
		r.credit_hold = headline(f) if f else ""
	if cint(filters.get("credit_hold")):
		rows = [r for r in rows if r.credit_held]
	return rows


class RegisterLog(NamedTuple):
	stage_name: str
	status: str
	relance_date: date
	attempts: int
	channel: str | None
	dunning: str | None
	reason: str | None
	answered_at: object
	creation: object


def debtor_answers(logs: dict) -> dict[str, str]:
	"""The latest answer of the debtor from the debtor page (relance_app.debtor_page), per invoice."""
	out = {}
	for invoice, rows in logs.items():
		answered = [x for x in rows if x.status == ANSWERED]
		if answered:
			x = max(answered, key=lambda x: x.creation)
			out[invoice] = (
				_("{0} ({1})").format(x.reason, frappe.format(x.answered_at, "Date"))
				if x.answered_at
				else x.reason
			)
	return out


def stage_order(policies=None) -> dict[str, tuple[int, int]]:
	"""Stage name -> (offset, index) across the enabled policies, to list stages in their order."""
	order: dict[str, tuple[int, int]] = {}
	for p in (policies or load_policies()).values():
		for s in p.policy.stages:
			key = (s.offset_days, s.idx)
			order[s.stage_name] = min(order.get(s.stage_name, key), key)
	return order
