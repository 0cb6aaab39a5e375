"""Micro-benchmark of the pure engine: decisions per second for 100,000 invoices.

Run: python benchmarks/engine_decisions.py [--invoices N]. Prints figures; asserts nothing.
"""

import argparse
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relance_app.engine.decide import decide
from relance_app.engine.models import SENT, SKIPPED, HistoryEntry, InvoiceFacts, Policy, Stage

STAGES = (
	Stage("Pré-relance", -5, email_template="pre", idx=1),
	Stage("Relance 1", 5, email_template="r1", idx=2),
	Stage("Relance 2", 15, email_template="r2", idx=3),
	Stage("Relance 3", 30, email_template="r3", include_penalties=True, idx=4),
	Stage("Mise en demeure", 45, email_template="med", requires_approval=True, idx=5),
)
POLICY = Policy("bench", STAGES, min_days_between=7, late_interest_rate=Decimal("13.15"))


def book(n: int, as_of: date, seed: int = 42) -> list[InvoiceFacts]:
	rng = random.Random(seed)
	out = []
	ordered = POLICY.ordered_stages()
	for i in range(n):
		due = as_of + timedelta(days=rng.randint(-120, 30))
		history = []
		for stage in ordered:
			day = due + timedelta(days=stage.offset_days)
			if day >= as_of or rng.random() < 0.15:
				break
			history.append(
				HistoryEntry(
					stage.stage_name, SKIPPED if stage.offset_days < 0 and rng.random() < 0.3 else SENT, day
				)
			)
		out.append(
			InvoiceFacts(
				name=f"SINV-{i:06d}",
				due_date=due,
				outstanding=Decimal(rng.choice(["0", "120.00", "980.50", "15000.00"])),
				on_hold=rng.random() < 0.05,
				history=tuple(history),
			)
		)
	return out


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--invoices", type=int, default=100_000)
	args = parser.parse_args()
	as_of = date(2026, 6, 15)
	invoices = book(args.invoices, as_of)
	best = None
	for _ in range(3):
		start = time.perf_counter()
		decisions = [decide(POLICY, inv, as_of) for inv in invoices]
		elapsed = time.perf_counter() - start
		best = elapsed if best is None else min(best, elapsed)
	acting = sum(1 for d in decisions if d.stage is not None)
	print(f"engine: {len(invoices):,} invoices decided in {best:.3f} s (best of 3)")
	print(f"engine: {len(invoices) / best:,.0f} decisions per second; {acting:,} stages due on {as_of}")


if __name__ == "__main__":
	main()
