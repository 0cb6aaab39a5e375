"""Money already in the bank: which open invoices an unreconciled deposit pays. Pure.

A deposit (an ERPNext Bank Transaction of one of the company's accounts, not yet reconciled) pays:

1. the invoices it names: an invoice number or its structured reference (RF) in its description,
   reference or transaction id, whatever the amount (a partial payment is still money to reconcile
   before chasing the rest). Never across companies.
2. else, when the bank says who paid (the customer as party), the customer's open invoices in the
   deposit's currency whose amounts due make the deposit exactly: one invoice of that amount (the
   oldest when several have it), else the fewest invoices summing to it (the oldest first), else the
   oldest ones in order of due date. Another customer's invoices never match by amount, and an
   amount matching nothing holds nothing.

Cost: one pass over the deposits, each against the invoices of its company (names and references
searched as substrings first, checked with the boundaries only then); amounts per customer.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import combinations

from relance_app.engine.payment_ref import compact, rf_reference

BY_REFERENCE = "reference"  # the invoice number or its RF reference is in the deposit's text
BY_AMOUNT = "amount"  # the customer paid the amount due of one invoice
BY_AMOUNTS = "amounts"  # the customer paid several invoices with one transfer
MAX_SUBSET = 12  # at most 2^12 sums tried per deposit; over that, the oldest invoices in order


@dataclass(frozen=True, slots=True)
class Deposit:
	name: str
	company: str
	currency: str
	amount: Decimal  # what is not yet allocated
	party: str | None = None  # the paying customer, when the bank or the accountant says
	text: str = ""  # description, reference number, transaction id
	date: date | None = None


@dataclass(frozen=True, slots=True)
class OpenInvoice:
	name: str
	customer: str
	company: str
	currency: str
	amount_due: Decimal
	due_date: date
	reference: str = ""  # its RF reference, compact ("": the one relance_app gives it, rf_reference)


@dataclass(frozen=True, slots=True)
class Match:
	invoice: str
	deposit: str
	how: str
	amount: Decimal  # the deposit's unallocated amount
	partial: bool = False  # named by the deposit, for less than the amount due


@cache
def _pattern(token: str, spaced: bool) -> re.Pattern:
	"""`token` in a text, not inside a longer word or number: letters and digits as given,
	separators (or none) between the parts of an invoice number, spaces anywhere in an RF."""
	if spaced:
		parts = [re.escape(ch) for ch in compact(token)]
		body = r"\s*".join(parts)
	else:
		runs = re.findall(r"[A-Za-z0-9]+", token.upper())
		body = r"[^A-Za-z0-9]*".join(re.escape(r) for r in runs)
	return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)


_rf = cache(rf_reference)


def named_in(text: str, invoice: OpenInvoice, flat: str | None = None) -> bool:
	"""The invoice's number or RF reference is written in `text` (`flat`: its letters and digits,
	when the caller has them for many invoices)."""
	flat = compact(text) if flat is None else flat
	name = compact(invoice.name)
	if name and any(ch.isdigit() for ch in name) and name in flat:
		if _pattern(invoice.name, False).search(text):
			return True
	ref = invoice.reference or (_rf(invoice.name) if "RF" in flat else "")
	return bool(ref) and ref in flat and bool(_pattern(ref, True).search(text))


def _oldest(invoices: Iterable[OpenInvoice]) -> list[OpenInvoice]:
	return sorted(invoices, key=lambda i: (i.due_date, i.name))


def paid_by_amount(amount: Decimal, own: Sequence[OpenInvoice]) -> tuple[str, list[OpenInvoice]]:
	"""The customer's invoices (one company, one currency) this amount pays, and how; ([]) if none."""
	own = _oldest(i for i in own if i.amount_due > 0)
	single = [i for i in own if i.amount_due == amount]
	if single:
		return BY_AMOUNT, single[:1]
	if len(own) <= MAX_SUBSET:
		for size in range(2, len(own) + 1):
			for combo in combinations(own, size):  # in order: the oldest combination first
				if sum((i.amount_due for i in combo), Decimal(0)) == amount:
					return BY_AMOUNTS, list(combo)
		return BY_AMOUNTS, []
	total = Decimal(0)
	for n, invoice in enumerate(own, start=1):
		total += invoice.amount_due
		if total == amount:
			return BY_AMOUNTS, own[:n]
		if total > amount:
			break
	return BY_AMOUNTS, []


def _number(name: str) -> str:
	"""An invoice name's letters and digits, searched in the deposits' texts ("" without a digit: a
	name of words alone would match ordinary words)."""
	flat = compact(name)
	return flat if any(ch.isdigit() for ch in flat) else ""


def _references(invoices: Sequence[OpenInvoice]) -> dict[str, OpenInvoice]:
	"""Each invoice by its RF reference, compact (made once, only when a deposit mentions an RF)."""
	return {(i.reference or _rf(i.name)): i for i in invoices}


def _named(dep: Deposit, invoices: Sequence[OpenInvoice], names: dict, refs) -> list[OpenInvoice]:
	"""The invoices (of the deposit's company) the deposit's text names: their numbers as substrings
	of its letters and digits, its RF references looked up, each checked with its boundaries."""
	flat = compact(dep.text)
	if not flat:
		return []
	found = {
		i.name: i for i in invoices if names[i.name] and names[i.name] in flat and named_in(dep.text, i, flat)
	}
	start = flat.find("RF")
	while start >= 0:
		table = refs()
		for end in range(start + 5, min(len(flat), start + 25) + 1):
			inv = table.get(flat[start:end])
			if inv is not None and inv.name not in found and named_in(dep.text, inv, flat):
				found[inv.name] = inv
		start = flat.find("RF", start + 1)
	return list(found.values())


def match_deposits(
	deposits: Iterable[Deposit], invoices: Iterable[OpenInvoice]
) -> dict[str, tuple[Match, ...]]:
	"""Invoice name -> the deposits found paying it (most invoices get none and are not keys)."""
	by_company: dict[str, list[OpenInvoice]] = defaultdict(list)
	by_party: dict[tuple, list[OpenInvoice]] = defaultdict(list)
	for inv in invoices:
		if inv.amount_due <= 0:
			continue
		by_company[inv.company].append(inv)
		by_party[(inv.company, inv.customer, inv.currency)].append(inv)
	names = {i.name: _number(i.name) for company in by_company.values() for i in company}
	tables: dict[str, dict[str, OpenInvoice]] = {}

	def refs_of(company: str):
		def refs() -> dict[str, OpenInvoice]:
			if company not in tables:
				tables[company] = _references(by_company.get(company, []))
			return tables[company]

		return refs

	found: dict[str, list[Match]] = defaultdict(list)
	for dep in deposits:
		if dep.amount <= 0:
			continue
		own = by_company.get(dep.company, [])
		named = _named(dep, own, names, refs_of(dep.company))
		if named:
			due = sum((i.amount_due for i in named), Decimal(0))
			for inv in named:
				found[inv.name].append(Match(inv.name, dep.name, BY_REFERENCE, dep.amount, dep.amount < due))
			continue
		if not dep.party:
			continue
		how, paid = paid_by_amount(dep.amount, by_party.get((dep.company, dep.party, dep.currency), ()))
		for inv in paid:
			found[inv.name].append(Match(inv.name, dep.name, how, dep.amount))
	return {name: tuple(matches) for name, matches in found.items()}
