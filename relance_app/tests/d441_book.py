"""A real book for the D441-6 table: sales and purchase invoices of one financial year with VAT at
20 %, partial and late payments, a payment after the closing date, a credit note, a dispute, a
purchase invoice on hold, a USD invoice. `build(year)` makes it (no commit); `BOOK` says what each
document is, so the tests' hand computations read next to it. `remove(book)` cancels and deletes it
(for a book a script committed, e.g. for the screenshots)."""

from __future__ import annotations

from datetime import date

import frappe
from frappe.utils import flt, getdate

from relance_app.tests.utils import (
	CREATED_INVOICES,
	company,
	ensure_fiscal_year,
	make_customer,
	make_item,
	pay,
	unique,
)

VAT_ACCOUNT = "TVA collectée D441"
VAT_RATE = 20


def vat_account() -> str:
	abbr = frappe.get_cached_value("Company", company(), "abbr")
	name = f"{VAT_ACCOUNT} - {abbr}"
	if not frappe.db.exists("Account", name):
		parent = frappe.db.get_value(
			"Account", {"company": company(), "account_type": "Tax", "is_group": 1}, "name"
		) or frappe.db.get_value("Account", {"company": company(), "root_type": "Liability", "is_group": 1})
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": VAT_ACCOUNT,
				"company": company(),
				"parent_account": parent,
				"account_type": "Tax",
				"tax_rate": VAT_RATE,
			}
		).insert(ignore_permissions=True)
	return name


def usd_receivable() -> str:
	"""A receivable account in USD, and the rate of the year (no rate asked of the internet)."""
	abbr = frappe.get_cached_value("Company", company(), "abbr")
	name = f"Debtors USD D441 - {abbr}"
	if not frappe.db.exists("Account", name):
		debtors = frappe.get_cached_value("Company", company(), "default_receivable_account")
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "Debtors USD D441",
				"company": company(),
				"parent_account": frappe.db.get_value("Account", debtors, "parent_account"),
				"account_type": "Receivable",
				"account_currency": "USD",
			}
		).insert(ignore_permissions=True)
	return name


def ensure_rate(year: int, rate: float) -> None:
	if not frappe.db.exists(
		"Currency Exchange", {"from_currency": "USD", "to_currency": "EUR", "date": f"{year}-01-01"}
	):
		frappe.get_doc(
			{
				"doctype": "Currency Exchange",
				"date": f"{year}-01-01",
				"from_currency": "USD",
				"to_currency": "EUR",
				"exchange_rate": rate,
				"for_buying": 1,
				"for_selling": 1,
			}
		).insert(ignore_permissions=True)


def make_supplier(name: str) -> str:
	if not frappe.db.exists("Supplier", name):
		frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": name,
				"supplier_group": frappe.db.get_value("Supplier Group", {"is_group": 0}, "name"),
			}
		).insert(ignore_permissions=True)
	return name


def sales(customer, posting, due, qty=1, rate=1000.0, currency="EUR", conversion=1.0, submit=True):
	si = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": company(),
			"customer": customer,
			"set_posting_time": 1,
			"posting_date": getdate(posting),
			"due_date": getdate(due),
			"currency": currency,
			"conversion_rate": conversion,
			"plc_conversion_rate": 1.0,
			"disable_rounded_total": 1,
			"items": [{"item_code": make_item(), "qty": qty, "rate": flt(rate)}],
			"taxes": [
				{
					"charge_type": "On Net Total",
					"account_head": vat_account(),
					"description": "TVA 20 %",
					"rate": VAT_RATE,
				}
			],
		}
	)
	si.insert(ignore_permissions=True)
	CREATED_INVOICES.add(si.name)
	if submit:
		si.submit()
	return si


def purchase(supplier, bill_date, posting, due, rate, on_hold=False, submit=True):
	pi = frappe.get_doc(
		{
			"doctype": "Purchase Invoice",
			"company": company(),
			"supplier": supplier,
			"set_posting_time": 1,
			"posting_date": getdate(posting),
			"bill_no": unique("F"),
			"bill_date": getdate(bill_date),
			"due_date": getdate(due),
			"disable_rounded_total": 1,
			"on_hold": int(on_hold),
			"items": [{"item_code": make_item(), "qty": 1, "rate": flt(rate)}],
			"taxes": [
				{
					"category": "Total",
					"add_deduct_tax": "Add",
					"charge_type": "On Net Total",
					"account_head": vat_account(),
					"description": "TVA 20 %",
					"rate": VAT_RATE,
				}
			],
		}
	)
	pi.insert(ignore_permissions=True)
	if submit:
		pi.submit()
	return pi


def credit_note(invoice: str, qty: int, posting):
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	cn = make_sales_return(invoice)
	cn.set_posting_time = 1
	cn.posting_date = cn.due_date = getdate(posting)
	cn.items[0].qty = -abs(qty)
	cn.insert(ignore_permissions=True)
	cn.submit()
	CREATED_INVOICES.add(cn.name)
	return cn


def build(year: int) -> dict:
	"""The book of financial year `year` (closing on 31 December); returns {key: document name} and
	the list of every document made, in the order made."""

	def d(month, day, y=year):
		return date(y, month, day)

	for y in (year, year + 1):
		ensure_fiscal_year(y)
	made = []
	client = make_customer(unique("D441 Client"))
	ensure_rate(year, 0.9)
	client_usd = make_customer(
		unique("D441 Client USD"),
		default_currency="USD",
		accounts=[{"company": company(), "account": usd_receivable()}],
	)
	supplier = make_supplier(unique("D441 Fournisseur"))
	book = {"customers": [client, client_usd], "suppliers": [supplier], "documents": made}

	def keep(key, doc):
		book[key] = doc.name
		made.append((doc.doctype, doc.name))
		return doc

	# issued
	keep("S1", sales(client, d(3, 1), d(3, 31), rate=1000))
	keep("S1_paid", pay(book["S1"], 1200, d(5, 15)))
	keep("S2", sales(client, d(9, 1), d(10, 1), rate=2000))
	keep("S2_part", pay(book["S2"], 600, d(11, 1)))
	keep("S3", sales(client, d(11, 15), d(12, 15), rate=500))
	keep("S3_paid_after_closing", pay(book["S3"], 600, d(1, 10, year + 1)))
	keep("S4", sales(client, d(10, 1), d(11, 10), qty=3, rate=1000))
	keep("S4_credit_note", credit_note(book["S4"], 1, d(11, 20)))
	keep("S5", sales(client, d(8, 1), d(8, 31), rate=800))
	frappe.db.set_value("Sales Invoice", book["S5"], {"relance_hold": 1, "relance_hold_reason": "Dispute"})
	keep("S6", sales(client_usd, d(10, 15), d(11, 14), rate=1000, currency="USD", conversion=0.9))
	keep("S6_part", pay(book["S6"], 600, d(12, 1), received=540))
	keep("S7", sales(client, d(6, 1), d(7, 1), rate=1500))
	keep("S7_paid", pay(book["S7"], 1800, d(6, 25)))
	keep("S8", sales(client, d(12, 10), d(1, 9, year + 1), rate=400))
	keep("S9", sales(client, d(2, 1), d(5, 1), rate=100))  # 89 days: past the 60-day cap
	keep("S9_paid", pay(book["S9"], 120, d(4, 20)))
	# received
	keep("P1", purchase(supplier, d(4, 1), d(4, 5), d(5, 1), 1000))
	keep("P1_paid", pay(book["P1"], 1200, d(6, 10), doctype="Purchase Invoice"))
	keep("P2", purchase(supplier, d(10, 1), d(10, 1), d(10, 31), 2500))
	keep("P2_part", pay(book["P2"], 1000, d(11, 15), doctype="Purchase Invoice"))
	keep("P3", purchase(supplier, d(11, 1), d(11, 1), d(12, 1), 700, on_hold=True))
	keep("P4", purchase(supplier, d(12, 5), d(12, 5), d(12, 20), 300))
	keep("P5", purchase(supplier, d(6, 1), d(6, 1), d(9, 15), 50))  # 106 days: past the cap
	keep("P5_paid", pay(book["P5"], 60, d(7, 1), doctype="Purchase Invoice"))
	return book


def remove(book: dict) -> None:
	"""Cancel and delete what `build` made (ledger entries with it), then its parties."""
	before = frappe.db.get_single_value("Accounts Settings", "delete_linked_ledger_entries")
	frappe.db.set_single_value("Accounts Settings", "delete_linked_ledger_entries", 1)
	try:
		for doctype, name in reversed(book["documents"]):
			doc = frappe.get_doc(doctype, name)
			if doc.docstatus == 1:
				doc.cancel()
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		for customer in book["customers"]:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for supplier in book["suppliers"]:
			frappe.delete_doc("Supplier", supplier, force=True, ignore_permissions=True)
	finally:
		frappe.db.set_single_value("Accounts Settings", "delete_linked_ledger_entries", before or 0)
