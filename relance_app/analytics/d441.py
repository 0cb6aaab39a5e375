"""The payment-terms table of article D441-6 of the Code de commerce, in the layout of the official
model (annexe 4-1 to article A441-2, arrêté of 20 March 2017), for one company and one closing date.

Table I (D441 I.): the invoices received (1°) and issued (2°) unpaid at the closing date, by lateness
at that date; (A) number, amount, share of the year's purchases or turnover; (B) the invoices left
out as disputed (a relance hold for a dispute) or not booked (a purchase invoice on hold); (C) the
reference terms. Table II (D441 II.): the invoices paid during the year, by lateness on the day
they were settled, as a share of the year's invoices. Amounts in the company's currency, as the
ledger books them; excluding VAT in each invoice's own proportion. The figures: engine.payment_terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.constants import (
	CONTRACTUAL_TERMS,
	D441_TABLES,
	EXCLUDING_VAT,
	INCLUDING_VAT,
	LATENESS_BUCKETS,
	LEGAL_TERMS,
	REFERENCE_TERMS,
	TABLE_PAID_LATE,
	TABLE_UNPAID,
	VAT_BASES,
)
from relance_app.data import payment_terms as P
from relance_app.engine.payment_terms import (
	TOTAL,
	CapRule,
	Table,
	TableLine,
	balance_at,
	excluding_vat,
	reference_due_date,
	settlement_date,
	tabulate,
)

SOURCE = "Annexe 4-1 à l'article A441-2 du Code de commerce (arrêté du 20 mars 2017)"
COLUMNS = (*LATENESS_BUCKETS, TOTAL)
TOLERANCE = 0.005  # half a cent: what the ledger's rounding may leave on a paid invoice


@dataclass
class D441Filters:
	company: str
	closing: date
	start: date
	including_vat: bool
	legal: bool
	table: str
	rule: CapRule


def check_access(company: str | None) -> str:
	"""The company asked for (else the user's default), once the user may read it and the invoices."""
	company = company or frappe.defaults.get_user_default("Company")
	if not company or not frappe.db.exists("Company", company):
		frappe.throw(_("Choose a company."), title=_("Invalid Filter"))
	if not frappe.has_permission("Company", "read", doc=company):
		frappe.throw(
			_("You are not permitted to see the accounts of {0}.").format(frappe.bold(company)),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	for doctype in (P.SALES, P.PURCHASE):
		if not frappe.has_permission(doctype, "read"):
			frappe.throw(
				_("You are not permitted to read {0}.").format(_(doctype)),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
	return company


def parse_filters(filters) -> D441Filters:
	filters = frappe._dict(filters or {})
	company = check_access(filters.get("company"))
	closing = getdate(filters.get("closing_date") or today())
	for key, allowed in (("vat", VAT_BASES), ("reference_terms", REFERENCE_TERMS), ("table", D441_TABLES)):
		if filters.get(key) and filters[key] not in allowed:
			frappe.throw(_("Unknown value {0}.").format(frappe.bold(filters[key])), title=_("Invalid Filter"))
	return D441Filters(
		company=company,
		closing=closing,
		start=P.year_start(company, closing),
		including_vat=filters.get("vat") == INCLUDING_VAT,
		legal=filters.get("reference_terms") == LEGAL_TERMS,
		table=filters.get("table") or TABLE_UNPAID,
		rule=P.cap_rule(company) or CapRule(),
	)


# --- the figures ------------------------------------------------------------------------------------------


def amount_of(invoice: P.LedgerInvoice, including_tax_amount, f: D441Filters):
	if f.including_vat:
		return including_tax_amount
	return excluding_vat(including_tax_amount, invoice.net_total, invoice.grand_total)


def unpaid_lines(invoices: list[P.LedgerInvoice], f: D441Filters) -> list[TableLine]:
	"""Table I: what each invoice still owed at the closing date, its lateness at that date."""
	lines = []
	for invoice in invoices:
		if invoice.invoice_date > f.closing:
			continue
		owed = balance_at(invoice.entries, f.closing)
		if owed <= TOLERANCE:
			continue
		due = reference_due_date(invoice.invoice_date, invoice.due_date, f.legal, f.rule)
		lines.append(
			TableLine(invoice.name, amount_of(invoice, owed, f), (f.closing - due).days, invoice.excluded)
		)
	return lines


def paid_lines(invoices: list[P.LedgerInvoice], f: D441Filters) -> list[TableLine]:
	"""Table II: each invoice settled during the year, its lateness on the day it was settled."""
	lines = []
	for invoice in invoices:
		settled = settlement_date(invoice.entries, TOLERANCE)
		if settled is None or not f.start <= settled <= f.closing or invoice.booked <= TOLERANCE:
			continue
		due = reference_due_date(invoice.invoice_date, invoice.due_date, f.legal, f.rule)
		lines.append(
			TableLine(
				invoice.name, amount_of(invoice, invoice.booked, f), (settled - due).days, invoice.excluded
			)
		)
	return lines


def side_table(f: D441Filters, doctype: str) -> Table:
	invoices = P.ledger_invoices(f.company, doctype, f.start, f.closing)
	if f.table == TABLE_PAID_LATE:
		base = P.invoiced_total(f.company, doctype, f.start, f.closing, f.including_vat)
		table = tabulate(paid_lines(invoices, f), base)
		table.count_base = P.invoice_count(f.company, doctype, f.start, f.closing)
		return table
	if doctype == P.SALES:
		base = P.turnover(f.company, f.start, f.closing, f.including_vat)
	else:
		base = P.purchases(f.company, f.start, f.closing, f.including_vat)
	return tabulate(unpaid_lines(invoices, f), base)


def d441_tables(filters) -> tuple[D441Filters, dict[str, Table]]:
	"""(the filters read, {Purchase Invoice: received, Sales Invoice: issued})."""
	f = parse_filters(filters)
	return f, {doctype: side_table(f, doctype) for doctype in (P.PURCHASE, P.SALES)}


# --- the rows: one per line of the official model, one column per lateness ---------------------------------


def vat_label(f: D441Filters) -> str:
	return _(INCLUDING_VAT) if f.including_vat else _(EXCLUDING_VAT)


def reference_label(f: D441Filters) -> str:
	if f.legal:
		return _("Legal terms: {0}").format(_(f.rule.method))
	return _(CONTRACTUAL_TERMS)


def side_rows(f: D441Filters, doctype: str, table: Table) -> list[dict]:
	received = doctype == P.PURCHASE
	unpaid = f.table == TABLE_UNPAID
	if unpaid:
		side = (
			_("Invoices received unpaid at the closing date")
			if received
			else _("Invoices issued unpaid at the closing date")
		)
		share = _("Share of the year's purchases") if received else _("Share of the year's turnover")
	else:
		side = (
			_("Invoices received paid late during the year")
			if received
			else _("Invoices issued paid late during the year")
		)
		share = (
			_("Share of the year's invoices received")
			if received
			else _("Share of the year's invoices issued")
		)
	vat = vat_label(f)

	def row(key, label, values, indent=1, fieldtype="Float"):
		out = {
			"side": side,
			"doctype": doctype,
			"line": key,
			"label": label,
			"indent": indent,
			"fieldtype": fieldtype,
		}
		out.update(values)
		return out

	def per_column(get):
		return {f"c_{column}": get(column) for column in COLUMNS}

	rows = [
		row("side", side, {}, indent=0),
		row("count", _("(A) Number of invoices"), per_column(lambda c: table.counts[c]), fieldtype="Int"),
		row("amount", _("(A) Total amount ({0})").format(vat), per_column(lambda c: float(table.amounts[c]))),
		row(
			"percent",
			_("(A) {0} ({1}), %").format(share, vat),
			per_column(lambda c: None if table.percent(c) is None else float(table.percent(c))),
			fieldtype="Percent",
		),
	]
	if not unpaid:
		rows.append(
			row(
				"count_percent",
				_("(A) Share of the number of the year's invoices, %"),
				per_column(lambda c: count_share(table, c)),
				fieldtype="Percent",
			)
		)
	return [
		*rows,
		row(
			"excluded_count",
			_("(B) Number of invoices excluded (disputed or not booked)"),
			{f"c_{TOTAL}": table.excluded_count},
			fieldtype="Int",
		),
		row(
			"excluded_amount",
			_("(B) Amount of the invoices excluded ({0})").format(vat),
			{f"c_{TOTAL}": float(table.excluded_amount)},
		),
		row("reference", _("(C) Reference terms: {0}").format(reference_label(f)), {}, fieldtype="Data"),
	]


def count_share(table: Table, column: str) -> float | None:
	if not table.count_base:
		return None
	return round(table.counts[column] * 100 / table.count_base, 2)


def report_rows(filters) -> tuple[D441Filters, list[dict]]:
	f, tables = d441_tables(filters)
	rows = []
	for doctype, table in tables.items():
		rows += side_rows(f, doctype, table)
	return f, rows


def report_message(f: D441Filters) -> str:
	table = (
		_("Table I: invoices unpaid at the closing date whose term has passed")
		if f.table == TABLE_UNPAID
		else _("Table II: invoices paid late during the year")
	)
	return _("{0}, from {1} to {2}; amounts {3}, in {4}; {5}. Layout of {6}.").format(
		table,
		frappe.format(f.start, "Date"),
		frappe.format(f.closing, "Date"),
		vat_label(f),
		frappe.get_cached_value("Company", f.company, "default_currency"),
		reference_label(f),
		SOURCE,
	)
