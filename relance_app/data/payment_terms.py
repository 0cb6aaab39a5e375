"""What the payment-terms rules read from ERPNext: each company's legal cap (Relance Settings), the
invoices of a year as the ledger books them (Payment Ledger Entry, company currency), and the
year's turnover, purchases and invoiced totals (General Ledger).

- A French company (country France) not listed in Relance Settings caps at 60 days, warns only and
  grants no early-payment discount; a company of another country has no cap unless listed.
- An invoice's entries are its Payment Ledger Entries up to the closing date (not delinked), the
  entries of its credit notes (returns against it) included: a credit note reduces the invoice it
  returns against, whether it updates its own outstanding or the invoice's.
- The issue date of a received invoice is the supplier's bill date, else its posting date (as
  ERPNext counts its due date).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import frappe
from frappe.query_builder.functions import Max, Sum
from frappe.utils import getdate

from relance_app.common import cache
from relance_app.constants import CAP_METHODS, DEFAULT_CAP_METHOD, DISPUTE, FRANCE
from relance_app.engine.payment_terms import CapRule
from relance_app.engine.penalties import to_decimal

SETTINGS = "Relance Settings"
SALES = "Sales Invoice"
PURCHASE = "Purchase Invoice"
PARTY = {SALES: ("Customer", "customer", "Receivable"), PURCHASE: ("Supplier", "supplier", "Payable")}


# --- each company's cap ------------------------------------------------------------------------------


def company_rows() -> dict[str, dict]:
	"""Relance Settings' rows by company, read once per request."""

	def load():
		rows = frappe.get_all(
			"Relance Payment Terms",
			filters={"parenttype": SETTINGS, "parent": SETTINGS},
			fields=["company", "cap_method", "override_days", "refuse_beyond_cap", "early_payment_discount"],
		)
		return {r.company: r for r in rows}

	return cache.memo("payment_terms_rows", load)


def is_french(company: str) -> bool:
	return frappe.get_cached_value("Company", company, "country") == FRANCE


def cap_rule(company: str) -> CapRule | None:
	"""The company's cap; None for a company outside France that set none."""
	row = company_rows().get(company)
	if row:
		method = row.cap_method if row.cap_method in CAP_METHODS else DEFAULT_CAP_METHOD
		return CapRule(method, int(row.override_days or 0), bool(row.refuse_beyond_cap))
	return CapRule() if is_french(company) else None


def early_payment_discount(company: str) -> Decimal:
	row = company_rows().get(company)
	return to_decimal(row.early_payment_discount or 0) if row else Decimal(0)


def french_companies() -> list[str]:
	return frappe.get_all("Company", filters={"country": FRANCE}, pluck="name", order_by="name")


# --- the year -----------------------------------------------------------------------------------------


def year_start(company: str, closing: date) -> date:
	"""The first day of the fiscal year that ends (or runs) on the closing date; a year before it
	when no fiscal year holds it."""
	from erpnext.accounts.utils import FiscalYearError, get_fiscal_year

	try:
		return getdate(get_fiscal_year(closing, company=company)[1])
	except FiscalYearError:
		return date(closing.year - 1, closing.month, closing.day) + timedelta(days=1)


# --- the invoices as the ledger books them ------------------------------------------------------------


@dataclass
class LedgerInvoice:
	doctype: str
	name: str
	party: str
	invoice_date: date
	due_date: date | None
	net_total: Decimal
	grand_total: Decimal
	excluded: bool = False
	# (posting date, amount in company currency): + what the party owes, - what settles it
	entries: list[tuple[date, Decimal]] = field(default_factory=list)
	booked: Decimal = Decimal(0)  # the invoice and its credit notes, as booked


def ledger_invoices(company: str, doctype: str, start: date, closing: date) -> list[LedgerInvoice]:
	"""The submitted invoices of `doctype` posted up to `closing` that still owed something at the
	closing date or had an entry during the year [start, closing], with their entries up to closing."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	base = (ple.company == company) & (ple.against_voucher_type == doctype) & (ple.delinked == 0)
	base &= (ple.posting_date <= closing) & (ple.account_type == PARTY[doctype][2])
	groups = (
		frappe.qb.from_(ple)
		.select(ple.against_voucher_no, Sum(ple.amount).as_("balance"), Max(ple.posting_date).as_("last"))
		.where(base)
		.groupby(ple.against_voucher_no)
		.run(as_dict=True)
	)
	wanted = {g.against_voucher_no for g in groups if g.balance or getdate(g.last) >= start}
	if not wanted:
		return []
	docs = invoice_docs(doctype, wanted)
	# a credit note counts for the invoice it returns against (load that invoice too)
	originals = {d.return_against for d in docs.values() if d.is_return and d.return_against}
	docs.update(invoice_docs(doctype, originals - set(docs)))
	owner = {n: (d.return_against if d.is_return and d.return_against else n) for n, d in docs.items()}
	rows = (
		frappe.qb.from_(ple)
		.select(ple.against_voucher_no, ple.voucher_type, ple.voucher_no, ple.posting_date, ple.amount)
		.where(base & ple.against_voucher_no.isin(list(owner)))
		.orderby(ple.posting_date)
		.run(as_dict=True)
	)
	out: dict[str, LedgerInvoice] = {}
	for row in rows:
		name = owner.get(row.against_voucher_no)
		doc = docs.get(name)
		if doc is None or doc.is_return:
			continue  # a credit note against nothing: no unpaid invoice
		invoice = out.get(name) or out.setdefault(name, as_ledger_invoice(doctype, doc, closing))
		amount = to_decimal(row.amount)
		invoice.entries.append((getdate(row.posting_date), amount))
		if row.voucher_type == doctype and owner.get(row.voucher_no) == name:
			invoice.booked += amount
	return list(out.values())


def invoice_docs(doctype: str, names) -> dict:
	if not names:
		return {}
	fields = ["name", "posting_date", "due_date", "is_return", "return_against", "base_net_total"]
	fields += ["base_grand_total", PARTY[doctype][1]]
	if doctype == SALES:
		fields += ["relance_hold", "relance_hold_reason"]
	else:
		fields += ["bill_date", "on_hold", "release_date"]
	rows = frappe.get_all(doctype, filters={"name": ("in", list(names)), "docstatus": 1}, fields=fields)
	return {r.name: r for r in rows}


def as_ledger_invoice(doctype: str, doc, closing: date) -> LedgerInvoice:
	if doctype == SALES:
		excluded = bool(doc.relance_hold) and doc.relance_hold_reason == DISPUTE
		invoice_date = getdate(doc.posting_date)
	else:
		excluded = bool(doc.on_hold) and (not doc.release_date or getdate(doc.release_date) > closing)
		invoice_date = getdate(doc.bill_date or doc.posting_date)
	return LedgerInvoice(
		doctype=doctype,
		name=doc.name,
		party=doc.get(PARTY[doctype][1]),
		invoice_date=invoice_date,
		due_date=getdate(doc.due_date) if doc.due_date else None,
		net_total=to_decimal(doc.base_net_total),
		grand_total=to_decimal(doc.base_grand_total),
		excluded=excluded,
	)


# --- the year's totals from the General Ledger -----------------------------------------------------------


def _gl_sum(company: str, start: date, end: date, condition, credit_side: bool) -> Decimal:
	gle = frappe.qb.DocType("GL Entry")
	account = frappe.qb.DocType("Account")
	amount = (gle.credit - gle.debit) if credit_side else (gle.debit - gle.credit)
	query = (
		frappe.qb.from_(gle)
		.join(account)
		.on(account.name == gle.account)
		.select(Sum(amount))
		.where(
			(gle.company == company)
			& (gle.is_cancelled == 0)
			& (gle.posting_date >= start)
			& (gle.posting_date <= end)
			& (gle.voucher_type != "Period Closing Voucher")
			& condition(gle, account)
		)
	)
	value = query.run()[0][0]
	return to_decimal(value or 0)


def invoiced_total(company: str, doctype: str, start: date, end: date, including_vat: bool) -> Decimal:
	"""The year's invoices of `doctype` as the ledger books them, credit notes deducted: the party's
	lines (including VAT), less their tax lines (excluding VAT)."""
	sales = doctype == SALES
	party_type = PARTY[doctype][0]
	total = _gl_sum(
		company,
		start,
		end,
		lambda g, a: (g.voucher_type == doctype) & (g.party_type == party_type),
		credit_side=not sales,
	)
	if including_vat:
		return total
	return total - tax_lines(company, doctype, start, end)


def tax_lines(company: str, doctype: str, start: date, end: date) -> Decimal:
	return _gl_sum(
		company,
		start,
		end,
		lambda g, a: (g.voucher_type == doctype) & (a.account_type == "Tax"),
		credit_side=doctype == SALES,
	)


def turnover(company: str, start: date, end: date, including_vat: bool) -> Decimal:
	"""The year's turnover: the income accounts' credits less debits (every voucher but the closing
	one); including VAT, plus the VAT of the year's Sales Invoices."""
	income = _gl_sum(company, start, end, lambda g, a: a.root_type == "Income", credit_side=True)
	return income + tax_lines(company, SALES, start, end) if including_vat else income


def purchases(company: str, start: date, end: date, including_vat: bool) -> Decimal:
	"""The year's purchases: the Purchase Invoices as booked (every line but the taxes, excluding VAT)."""
	return invoiced_total(company, PURCHASE, start, end, including_vat)


def invoice_count(company: str, doctype: str, start: date, end: date) -> int:
	"""The year's submitted invoices of `doctype` (credit notes aside)."""
	return frappe.db.count(
		doctype,
		{"company": company, "docstatus": 1, "is_return": 0, "posting_date": ("between", [start, end])},
	)
