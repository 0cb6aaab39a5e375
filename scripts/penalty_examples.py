#!/usr/bin/env python3
"""Three worked late-payment penalty examples from the engine, with the shipped rates by semester
(Code de commerce L441-10: ECB main refinancing rate on 1 January / 1 July + 10 points), to set next
to a hand computation. Pure: no Frappe, no site.

	python3 scripts/penalty_examples.py
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relance_app.engine.models import LEGAL_RATE, Payment, Policy
from relance_app.engine.penalties import compute_penalties
from relance_app.setup.legal_rate_rows import shipped_rate_table

POLICY = Policy("Relance standard", (), interest_basis=LEGAL_RATE, late_interest_rate=Decimal("12.15"))

EXAMPLES = (
	{
		"title": "Across 1 July 2024",
		"amount": Decimal("10000.00"),
		"due": date(2024, 5, 31),
		"as_of": date(2024, 8, 15),
		"payments": (),
	},
	{
		"title": "Across 1 January 2025, 1 000 EUR paid on 20/12/2024",
		"amount": Decimal("1500.00"),  # still due on the relance day
		"due": date(2024, 11, 15),
		"as_of": date(2025, 2, 10),
		"payments": (Payment(date(2024, 12, 20), Decimal("1000.00")),),
	},
	{
		"title": "Leap year 2024: through 29 February and across 1 July",
		"amount": Decimal("4000.00"),
		"due": date(2024, 2, 15),
		"as_of": date(2024, 7, 15),
		"payments": (),
	},
)


def compute(example: dict, rates=None):
	return compute_penalties(
		POLICY,
		example["amount"],
		example["due"],
		example["as_of"],
		"Company",
		"EUR",
		rates=rates or shipped_rate_table(),
		payments=example["payments"],
	)


def main() -> None:
	rates = shipped_rate_table()
	print("Rounding: each line rounded half-up to the cent; the interest is the sum of the lines.")
	print("Line = amount due x annual rate x days / 365 (also in leap years).\n")
	for n, example in enumerate(EXAMPLES, 1):
		p = compute(example, rates)
		paid = ", ".join(f"{x.amount} paid on {x.date:%d/%m/%Y}" for x in example["payments"]) or "none"
		print(f"Example {n}: {example['title']}")
		print(
			f"  due {example['due']:%d/%m/%Y}, relance {example['as_of']:%d/%m/%Y}, {p.days_late} days late; "
			f"still due {example['amount']} EUR; payments: {paid}"
		)
		for line in p.lines:
			semester = rates.for_semester(line.start)[0]
			exact = line.base * line.rate * line.days / Decimal(36500)
			print(
				f"  {line.start:%d/%m/%Y}-{line.end:%d/%m/%Y} {line.days:>4} days  "
				f"ECB {semester.ecb_rate}% on {semester.start:%d/%m/%Y} + 10 = {line.rate}%  "
				f"{line.base} x {line.rate}% x {line.days} / 365 = {exact:.6f} -> {line.amount}"
			)
		print(
			f"  interest {p.interest} EUR + fixed indemnity {p.indemnity} EUR = {p.interest + p.indemnity} EUR\n"
		)


if __name__ == "__main__":
	main()
