"""Stage Effectiveness: for each stage of each policy over a period, how many relances went out and how
many invoices were paid within 7, 14 and 30 days after them, against a baseline of overdue invoices
nobody chased in the period. The arithmetic (and the definitions) are in relance_app.engine.effectiveness;
this module only fetches rows, in a fixed number of set-based queries whatever the size of the book:

1. the companies the user may see (User Permissions on Company apply);
2. the policies of those companies, 3. their stages;
4. the relances queued or sent from the period's first day on (with their invoice's company);
5. the baseline candidates: invoices overdue in the period and unpaid at their reference date
   (aggregated on the payment ledger in the database), with the customer's policy and group;
6. the Payment Ledger Entries of the invoices reported on;
plus, for the policy each baseline customer falls under, the Relance Settings (cached) and the
customer-group tree when a policy targets a group.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import add_days, add_months, flt, getdate, today

from relance_app.analytics.register import company_currencies, date_filters
from relance_app.constants import DELIVERED_STATUSES, THANK_YOU_STAGE
from relance_app.data.invoices import PolicyInfo, PolicyResolver
from relance_app.engine import effectiveness as E
from relance_app.engine.models import Policy
from relance_app.engine.penalties import to_decimal

# log statuses that count as a relance made (the email queued or sent, the letter or task done)
SENT_STATUSES = tuple(sorted(DELIVERED_STATUSES))
# the chart shows the share paid within this many days
CHART_WINDOW = 14


def execute(filters=None):
	filters = parse_filters(filters)
	rows = get_rows(filters)
	return columns(), rows, message(), chart(rows)


# --- filters ----------------------------------------------------------------------------------------


def parse_filters(filters) -> frappe._dict:
	"""Dates parsed, defaults filled in: the last 12 months up to today."""
	filters = date_filters(filters, "from_date", "to_date")
	filters.as_of = getdate(today())
	filters.to_date = filters.get("to_date") or filters.as_of
	filters.from_date = filters.get("from_date") or getdate(add_days(add_months(filters.to_date, -12), 1))
	if filters.from_date > filters.to_date:
		frappe.throw(
			_("The period starts on {0}, after its end on {1}.").format(
				frappe.bold(filters.from_date), frappe.bold(filters.to_date)
			),
			frappe.ValidationError,
			title=_("Invalid Filter"),
		)
	return filters


def fetch_policies(companies) -> list[dict]:
	dp = frappe.qb.DocType("Dunning Policy")
	stage = frappe.qb.DocType("Dunning Policy Stage")
	policies = (
		frappe.qb.from_(dp)
		.select(dp.name, dp.company, dp.enabled, dp.is_default, dp.target_customer_group, dp.tolerance)
		.where(dp.company.isin(list(companies) or [""]))
		.orderby(dp.name)
		.run(as_dict=True)
	)
	stages = defaultdict(list)
	if policies:
		for s in (
			frappe.qb.from_(stage)
			.select(stage.parent, stage.stage_name, stage.offset_days, stage.idx)
			.where((stage.parenttype == "Dunning Policy") & stage.parent.isin([p.name for p in policies]))
			.orderby(stage.offset_days)
			.orderby(stage.idx)
			.run(as_dict=True)
		):
			stages[s.parent].append(((s.stage_name or "").strip(), int(s.offset_days or 0)))
	for p in policies:
		p.stages = tuple(stages[p.name])
	return policies


def fetch_relances(companies, from_date: date, as_of: date) -> list[tuple]:
	"""(invoice, policy, stage, relance_date) of every relance queued or sent from `from_date` on, on
	submitted invoices of the companies: those in the period are reported, the later ones end windows."""
	log = frappe.qb.DocType("Relance Log")
	si = frappe.qb.DocType("Sales Invoice")
	return (
		frappe.qb.from_(log)
		.join(si)
		.on(si.name == log.sales_invoice)
		.select(log.sales_invoice, log.dunning_policy, log.stage_name, log.relance_date)
		.where(
			log.status.isin(SENT_STATUSES)
			& (log.relance_date >= from_date)
			& (log.relance_date <= as_of)
			& (log.stage_name != THANK_YOU_STAGE)
			& (si.docstatus == 1)
			& si.company.isin(list(companies) or [""])
		)
		.run()
	)


def chased_in_period(from_date: date, to_date: date, policies=None):
	"""Subquery: the invoices with a relance queued or sent in the period (of `policies` if given)."""
	log = frappe.qb.DocType("Relance Log")
	criterion = (
		log.status.isin(SENT_STATUSES)
		& (log.relance_date >= from_date)
		& (log.relance_date <= to_date)
		& (log.stage_name != THANK_YOU_STAGE)
		& log.sales_invoice.isnotnull()
	)
	if policies is not None:
		criterion &= log.dunning_policy.isin(list(policies) or [""])
	return frappe.qb.from_(log).select(log.sales_invoice).distinct().where(criterion)


def fetch_overdue(companies, from_date: date, to_date: date) -> list[tuple]:
	"""(invoice, company, due_date, customer's policy, customer group) of the submitted invoices due
	before the period's last day, not chased in the period, whose outstanding was above zero the day
	before their reference date (the later of the day after the due date and the period's first day),
	summed on the payment ledger by the database. The engine applies the exact rules (tolerance)."""
	si = frappe.qb.DocType("Sales Invoice")
	c = frappe.qb.DocType("Customer")
	ple = frappe.qb.DocType("Payment Ledger Entry")
	return (
		frappe.qb.from_(si)
		.join(c)
		.on(c.name == si.customer)
		.join(ple)
		.on(
			(ple.against_voucher_type == "Sales Invoice")
			& (ple.against_voucher_no == si.name)
			& (ple.delinked == 0)
		)
		.select(si.name, si.company, si.due_date, c.dunning_policy, c.customer_group)
		.where(
			(si.docstatus == 1)
			& (si.is_return == 0)
			& si.company.isin(list(companies) or [""])
			& (si.due_date < to_date)
			& si.name.notin(chased_in_period(from_date, to_date))
			& ((ple.posting_date < from_date) | (ple.posting_date <= si.due_date))
		)
		.groupby(si.name, si.company, si.due_date, c.dunning_policy, c.customer_group)
		.having(Sum(ple.amount_in_account_currency) > 0)
		.run()
	)


def fetch_ledgers(filters, policies, baseline_invoices) -> dict[str, list[E.LedgerEntry]]:
	"""The Payment Ledger Entries, up to the as-of date, of the invoices chased in the period under
	`policies` and of the baseline invoices, as ERPNext keeps them: the invoice itself, payments,
	journal entries, credit notes; cancelled and unreconciled ones (delinked) left out."""
	ledgers: dict[str, list[E.LedgerEntry]] = defaultdict(list)
	ple = frappe.qb.DocType("Payment Ledger Entry")
	invoices = ple.against_voucher_no.isin(chased_in_period(filters.from_date, filters.to_date, policies))
	if baseline_invoices:
		invoices |= ple.against_voucher_no.isin(sorted(baseline_invoices))
	for invoice, posting_date, amount, amount_company, voucher_type, voucher_no in (
		frappe.qb.from_(ple)
		.select(
			ple.against_voucher_no,
			ple.posting_date,
			ple.amount_in_account_currency,
			ple.amount,
			ple.voucher_type,
			ple.voucher_no,
		)
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& invoices
			& (ple.delinked == 0)
			& (ple.posting_date <= filters.as_of)
		)
		.run()
	):
		ledgers[invoice].append(
			E.LedgerEntry(
				posting_date=posting_date,
				amount=to_decimal(amount),
				amount_company=to_decimal(amount_company),
				credit_note=voucher_type == "Sales Invoice" and voucher_no != invoice,
			)
		)
	return ledgers


# --- rows -------------------------------------------------------------------------------------------


def _date(value) -> date:
	return value if isinstance(value, date) else getdate(value)


def policy_resolver(policies) -> PolicyResolver:
	"""The run's own resolution (customer, customer group, company default) over the enabled policies."""
	return PolicyResolver(
		{
			p.name: PolicyInfo(
				name=p.name,
				company=p.company,
				customer_group=p.target_customer_group,
				is_default=bool(p.is_default),
				group_by_customer=False,
				policy=Policy(p.name, ()),
			)
			for p in policies
			if p.enabled
		}
	)


def get_rows(filters: frappe._dict) -> list[dict]:
	companies = company_currencies(filters.get("company"))
	if not companies:
		return []
	all_policies = fetch_policies(companies)
	wanted = filters.get("dunning_policy")
	if wanted and wanted not in {p.name for p in all_policies}:
		return []
	offsets = {(p.name, name): offset for p in all_policies for name, offset in p.stages}
	relances = [
		E.SentRelance(invoice, policy or "", stage or "", _date(day), offsets.get((policy, stage), 0))
		for invoice, policy, stage, day in fetch_relances(companies, filters.from_date, filters.as_of)
	]
	active = {r.policy for r in relances if filters.from_date <= r.relance_date <= filters.to_date}
	# the policies reported on: the one asked for, else every policy of the companies; a disabled one
	# only if it still had relances in the period
	specs = {
		p.name: E.PolicySpec(p.name, p.company, to_decimal(p.tolerance or 0), p.stages)
		for p in all_policies
		if (p.name == wanted or not wanted) and (p.enabled or p.name in active)
	}

	resolver = policy_resolver(all_policies)
	overdue = []
	for invoice, company, due_date, own, group in fetch_overdue(
		companies, filters.from_date, filters.to_date
	):
		info = resolver.resolve(company, own, group)
		policy = info.name if info else ""
		if (policy and policy in specs) or (not policy and not wanted):
			overdue.append(E.OverdueInvoice(invoice, _date(due_date), company, policy))

	ledgers = fetch_ledgers(filters, specs, {o.invoice for o in overdue})
	figures = E.measure(
		relances,
		ledgers,
		specs,
		overdue,
		from_date=filters.from_date,
		to_date=filters.to_date,
		as_of=filters.as_of,
	)
	return [to_row(f, companies) for f in figures]


def stage_label(f: E.StageFigures) -> str:
	if not f.baseline:
		return f.stage_name
	return _("Not chased in the period") if f.policy else _("Not chased, no policy")


def to_row(f: E.StageFigures, companies: dict[str, str]) -> dict:
	row = {
		"company": f.company,
		"dunning_policy": f.policy or None,
		"stage": stage_label(f),
		"stage_name": f.stage_name or None,
		"is_baseline": int(f.baseline),
		"offset_days": f.offset_days,
		"relances_sent": f.sent,
		"already_paid": f.already_paid,
		"median_days": None if f.median_days is None else flt(f.median_days, 1),
		"paid_total": f.paid_total,
		"amount_collected": flt(f.collected),
		"currency": companies.get(f.company),
		"awaiting": f.awaiting,
	}
	for n in E.WINDOWS:
		pct = f.pct_within.get(n)
		row[f"paid_{n}"] = f.paid_within.get(n, 0)
		row[f"paid_{n}_pct"] = None if pct is None else flt(pct, 1)
	return row


# --- presentation -----------------------------------------------------------------------------------


def columns() -> list[dict]:
	cols = [
		{
			"fieldname": "company",
			"label": _("Company"),
			"fieldtype": "Link",
			"options": "Company",
			"width": 150,
		},
		{
			"fieldname": "dunning_policy",
			"label": _("Dunning Policy"),
			"fieldtype": "Link",
			"options": "Dunning Policy",
			"width": 170,
		},
		{"fieldname": "stage", "label": _("Stage"), "fieldtype": "Data", "width": 190},
		{"fieldname": "offset_days", "label": _("Days After Due Date"), "fieldtype": "Int", "width": 100},
		{"fieldname": "relances_sent", "label": _("Relances Sent"), "fieldtype": "Int", "width": 110},
		{"fieldname": "already_paid", "label": _("Already Paid"), "fieldtype": "Int", "width": 100},
	]
	for n in E.WINDOWS:
		cols += [
			{
				"fieldname": f"paid_{n}",
				"label": _("Paid within {0} Days").format(n),
				"fieldtype": "Int",
				"width": 120,
			},
			{
				"fieldname": f"paid_{n}_pct",
				"label": _("Paid within {0} Days (%)").format(n),
				"fieldtype": "Percent",
				"width": 130,
			},
		]
	cols += [
		{
			"fieldname": "median_days",
			"label": _("Median Days to Payment"),
			"fieldtype": "Float",
			"width": 120,
		},
		{
			"fieldname": "amount_collected",
			"label": _("Amount Collected"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 140,
		},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"width": 80,
		},
		{"fieldname": "awaiting", "label": _("Awaiting Outcome"), "fieldtype": "Int", "width": 110},
	]
	return cols


def message() -> str:
	"""How to read the figures, shown above the table."""
	return "<br>".join(
		[
			_("A payment counts for the last relance sent before it, until the invoice's next relance."),
			_(
				"Paid: the outstanding fell to the policy's tolerance in ERPNext's payment ledger (payments, journal entries, credit notes)."
			),
			_("Percentages are of the relances on invoices still unpaid on the relance date."),
			_("Amount Collected: payments and journal entries, not credit notes, in the company's currency."),
			_("Not chased: invoices overdue during the period that got no relance in it."),
			_("Awaiting Outcome: relances of the last 30 days, still unpaid, with no later relance."),
		]
	)


def chart(rows: list[dict]) -> dict | None:
	# only the rows with something to measure: a policy with no relance in the period has no bar
	rows = [r for r in rows if r.get(f"paid_{CHART_WINDOW}_pct") is not None]
	if not rows:
		return None
	several = len({(r["company"], r["dunning_policy"]) for r in rows}) > 1
	labels = [f"{r['dunning_policy'] or r['company']}: {r['stage']}" if several else r["stage"] for r in rows]
	return {
		"data": {
			"labels": labels,
			"datasets": [
				{
					"name": _("Paid within {0} Days (%)").format(CHART_WINDOW),
					"values": [r[f"paid_{CHART_WINDOW}_pct"] or 0 for r in rows],
				}
			],
		},
		"type": "bar",
		"fieldtype": "Percent",
		"colors": ["#5e64ff"],
		"barOptions": {"spaceRatio": 0.4},
	}
