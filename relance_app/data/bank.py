"""The bank side of a relance: the unreconciled deposits of the companies' bank accounts, read in one
query per run (and once more under a unit's lock), and the open invoices they pay
(relance_app.engine.bank_match decides)."""

from __future__ import annotations

import frappe
from frappe.utils import getdate

from relance_app.data.invoices import Candidate, invoice_outstanding, is_open
from relance_app.engine.bank_match import Deposit, Match, OpenInvoice, match_deposits
from relance_app.engine.penalties import to_decimal


def load_deposits(companies=None) -> list[Deposit]:
	"""Submitted Bank Transactions with money in, not yet wholly allocated, on the companies' own
	accounts; the payer is the party the accountant or ERPNext set, else the customer whose bank
	account has the payer's IBAN. One query."""
	bt = frappe.qb.DocType("Bank Transaction")
	ba = frappe.qb.DocType("Bank Account")
	payer = frappe.qb.DocType("Bank Account").as_("payer")
	where = (
		(bt.docstatus == 1) & (bt.deposit > 0) & (bt.unallocated_amount > 0) & (ba.is_company_account == 1)
	)
	if companies is not None:
		where &= ba.company.isin(list(companies) or [""])
	rows = (
		frappe.qb.from_(bt)
		.join(ba)
		.on(ba.name == bt.bank_account)
		.left_join(payer)
		.on(
			(payer.iban == bt.bank_party_iban)
			& (payer.party_type == "Customer")
			& (payer.is_company_account == 0)
			& (bt.bank_party_iban != "")
		)
		.select(
			bt.name,
			ba.company,
			bt.currency,
			bt.unallocated_amount,
			bt.party_type,
			bt.party,
			payer.party.as_("iban_party"),
			bt.description,
			bt.reference_number,
			bt.transaction_id,
			bt.date,
		)
		.where(where)
		.orderby(bt.date)
		.orderby(bt.name)
		.run(as_dict=True)
	)
	seen, out = set(), []
	for r in rows:
		if r.name in seen:  # two customers' accounts with the payer's IBAN: the first
			continue
		seen.add(r.name)
		party = r.party if r.party_type == "Customer" and r.party else r.iban_party
		out.append(
			Deposit(
				name=r.name,
				company=r.company,
				currency=r.currency,
				amount=to_decimal(r.unallocated_amount),
				party=party or None,
				text=" ".join(x for x in (r.description, r.reference_number, r.transaction_id) if x),
				date=getdate(r.date) if r.date else None,
			)
		)
	return out


def open_invoice(row, outstanding=None) -> OpenInvoice:
	return OpenInvoice(
		name=row.name,
		customer=row.customer,
		company=row.company,
		currency=row.currency,
		amount_due=invoice_outstanding(row) if outstanding is None else outstanding,
		due_date=getdate(row.due_date or row.posting_date),
	)


def candidate_matches(candidates: list[Candidate], deposits: list[Deposit]) -> dict[str, tuple[Match, ...]]:
	"""The run's candidates (every open invoice) paid by the deposits loaded once for the run."""
	if not deposits:
		return {}
	invoices = [open_invoice(c.row, c.facts.outstanding) for c in candidates if c.facts.outstanding > 0]
	return match_deposits(deposits, invoices)


def customer_matches(customer: str, company: str) -> dict[str, tuple[Match, ...]]:
	"""Under a unit's lock: the deposits of the company, against the customer's open invoices read
	again (two queries)."""
	deposits = load_deposits([company])
	if not deposits:
		return {}
	si = frappe.qb.DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(si)
		.select(
			si.name,
			si.customer,
			si.company,
			si.currency,
			si.outstanding_amount,
			si.party_account_currency,
			si.conversion_rate,
			si.due_date,
			si.posting_date,
		)
		.where(is_open(si) & (si.customer == customer) & (si.company == company))
		.run(as_dict=True)
	)
	return match_deposits(deposits, [open_invoice(r) for r in rows])
