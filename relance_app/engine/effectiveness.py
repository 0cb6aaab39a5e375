"""Stage effectiveness: which relance stage gets invoices paid, measured on the payment ledger.

Pure arithmetic, no Frappe: the report hands in the relances sent, each invoice's payment ledger
(ERPNext's Payment Ledger Entry rows against the invoice) and the policies; this module reconstructs
when each invoice was paid and aggregates per stage.

Definitions (the report's description and the README say the same in words):

- **Outstanding on a day**: the sum of the invoice's ledger amounts (account currency) posted up to
  that day inclusive: the invoice itself (+), payments, journal entries and credit notes (-), as
  ERPNext counts them.
- **Paid**: the outstanding fell to the policy's tolerance (at or below it). The **payment date** is
  the first day, on or after the stage date, at the end of which the outstanding is at or below the
  tolerance. A payment posted on the stage date counts as paid 0 days after the stage.
- **Already paid**: the outstanding was already at or below the tolerance at the end of the day before
  the stage (typically a payment recorded late with its real, earlier date). Such a relance is counted
  as sent but left out of the percentages: it could not get anything paid.
- **Last relance before the payment gets the credit**: a payment is credited to the stage whose
  relance was the last one sent before it. A relance's window runs from its date to the day before the
  invoice's next relance (of any stage); an invoice paid 20 days after Relance 1 but 5 days after
  Relance 2 counts for Relance 2 (5 days) and not for Relance 1. The stage rows never count the same
  payment twice, and the amounts collected add up. When the next stage follows after 10 days, "within
  14 days" and "within 30 days" of the earlier stage can only be what was paid within those 10 days:
  the next stage went out because the invoice was still unpaid.
- **Paid within N days**: paid (as above, credited to the stage) at most N days after the stage date
  (day N included).
- **Percentages**: of the relances sent on invoices still unpaid at the stage date (sent minus already
  paid), rounded to 0.1.
- **Median days to payment**: the median number of days from the stage to the payment over the
  relances credited with a payment, whatever the delay.
- **Amount collected**: what the payments and journal entries posted in the stage's window took off
  the invoice (company currency); credit notes reduce the outstanding (so they can make an invoice
  paid) but are not money collected.
- **Awaiting outcome**: relances neither paid nor followed by another relance, sent less than the
  longest window (30 days) before the as-of date: their figures can still grow.
- **Baseline ("not chased")**: submitted invoices overdue during the period and never chased in it:
  reference date = the later of the day after the due date and the period's first day (and not after
  its last day); the invoice is still unpaid (above tolerance) at the end of the day before the
  reference date; no relance (queued or sent) of any stage in the period. Its window runs from the
  reference date to its next relance (after the period), or the as-of date. Tolerance: the policy that
  resolves for the customer today, or 0 when none does.
- Ledger entries after the as-of date (today) are ignored; payments after the period's last day do
  count for relances sent in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
ONE_DAY = timedelta(days=1)
WINDOWS = (7, 14, 30)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
	"""One Payment Ledger Entry against the invoice (delinked ones left out by the caller).

	`amount` is in the receivable account's currency (the one of the invoice's outstanding, which the
	tolerance is compared with): positive raises the outstanding, negative lowers it. `amount_company`
	is the same in the company's currency (for the amount collected), defaulting to `amount`.
	`credit_note` marks a return Sales Invoice: it lowers the outstanding but collects no money.
	"""

	posting_date: date
	amount: Decimal
	amount_company: Decimal | None = None
	credit_note: bool = False

	@property
	def company_amount(self) -> Decimal:
		return self.amount if self.amount_company is None else self.amount_company


@dataclass(frozen=True, slots=True)
class SentRelance:
	"""A Relance Log queued or sent (one per invoice and stage; the earliest wins if repeated).

	Every relance from the period's first day on is handed in, also those after its last day: a later
	relance ends the window of the one before it and takes an invoice out of the baseline.
	`order` breaks ties between two relances of the same invoice on the same day (the stage's offset).
	"""

	invoice: str
	policy: str
	stage_name: str
	relance_date: date
	order: int = 0


@dataclass(frozen=True, slots=True)
class PolicySpec:
	"""A policy to report on: its stages (name, offset) in display order and its tolerance."""

	name: str
	company: str = ""
	tolerance: Decimal = ZERO
	stages: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class OverdueInvoice:
	"""A candidate for the baseline: a submitted invoice, its due date and the policy resolving for it
	today ("" when none does)."""

	invoice: str
	due_date: date
	company: str = ""
	policy: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
	"""What happened after one relance (or after the reference date of a baseline invoice)."""

	already_paid: bool = False
	paid_on: date | None = None  # credited payment date (inside the window), None if not paid there
	days: int | None = None
	collected: Decimal = ZERO
	awaiting: bool = False


@dataclass(slots=True)
class StageFigures:
	"""One row of the report: a stage of a policy, or the policy's baseline (`baseline` True)."""

	company: str
	policy: str
	stage_name: str
	offset_days: int | None
	baseline: bool = False
	sent: int = 0
	already_paid: int = 0
	paid_within: dict[int, int] = field(default_factory=dict)
	pct_within: dict[int, Decimal | None] = field(default_factory=dict)
	median_days: Decimal | None = None
	paid_total: int = 0
	collected: Decimal = ZERO
	awaiting: int = 0

	@property
	def open(self) -> int:
		"""Relances on invoices still unpaid at the stage date: the percentages' base."""
		return self.sent - self.already_paid


# --- one invoice ------------------------------------------------------------------------------------


def _sorted(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
	return sorted(entries, key=lambda e: e.posting_date)


def outstanding_at(entries: Iterable[LedgerEntry], day: date) -> Decimal:
	"""The outstanding at the end of `day`: every entry posted up to that day inclusive."""
	return sum((e.amount for e in entries if e.posting_date <= day), ZERO)


def outcome(
	entries: Sequence[LedgerEntry],
	start: date,
	tolerance: Decimal,
	as_of: date,
	end: date | None = None,
	longest_window: int = WINDOWS[-1],
) -> Outcome:
	"""The outcome of a relance sent on `start` whose window ends the day before `end` (the invoice's
	next relance; None: open up to `as_of`)."""
	entries = _sorted(entries)
	tolerance = Decimal(tolerance)
	last = as_of if end is None else min(as_of, end - ONE_DAY)
	balance = ZERO
	i = 0
	while i < len(entries) and entries[i].posting_date < start:
		balance += entries[i].amount
		i += 1
	already = balance <= tolerance
	collected = ZERO
	paid_on = None
	while i < len(entries) and entries[i].posting_date <= last:
		day = entries[i].posting_date
		while i < len(entries) and entries[i].posting_date == day:
			e = entries[i]
			balance += e.amount
			if not e.credit_note:
				collected -= e.company_amount
			i += 1
		if paid_on is None and not already and balance <= tolerance:
			paid_on = day
	if already:
		return Outcome(already_paid=True, collected=collected)
	days = (paid_on - start).days if paid_on else None
	awaiting = (
		paid_on is None and (end is None or end > as_of) and start + timedelta(days=longest_window) > as_of
	)
	return Outcome(paid_on=paid_on, days=days, collected=collected, awaiting=awaiting)


def baseline_reference(due_date: date, from_date: date) -> date:
	"""The day a baseline invoice starts being watched: the later of the day after its due date and
	the period's first day."""
	return max(due_date + ONE_DAY, from_date)


# --- aggregates -------------------------------------------------------------------------------------


def median(values: Sequence[int]) -> Decimal | None:
	"""The median of whole numbers of days: the middle one, or the mean of the two middle ones."""
	if not values:
		return None
	ordered = sorted(values)
	mid = len(ordered) // 2
	if len(ordered) % 2:
		return Decimal(ordered[mid])
	return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


def percentage(part: int, whole: int) -> Decimal | None:
	if whole <= 0:
		return None
	return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def summarise(
	row: StageFigures, outcomes: Iterable[Outcome], windows: Sequence[int] = WINDOWS
) -> StageFigures:
	"""Fill `row`'s figures from the outcomes of its relances (or baseline invoices)."""
	days = []
	for o in outcomes:
		row.sent += 1
		row.collected += o.collected
		if o.already_paid:
			row.already_paid += 1
			continue
		if o.awaiting:
			row.awaiting += 1
		if o.days is not None:
			days.append(o.days)
	row.paid_total = len(days)
	row.paid_within = {n: sum(1 for d in days if d <= n) for n in windows}
	row.pct_within = {n: percentage(row.paid_within[n], row.open) for n in windows}
	row.median_days = median(days)
	return row


# --- the report -------------------------------------------------------------------------------------


def first_relances(relances: Iterable[SentRelance]) -> dict[str, list[SentRelance]]:
	"""Per invoice, its relances in order, one per (policy, stage): the earliest."""
	best: dict[tuple[str, str, str], SentRelance] = {}
	for r in relances:
		key = (r.invoice, r.policy, r.stage_name)
		known = best.get(key)
		if known is None or (r.relance_date, r.order) < (known.relance_date, known.order):
			best[key] = r
	out: dict[str, list[SentRelance]] = defaultdict(list)
	for r in best.values():
		out[r.invoice].append(r)
	for rows in out.values():
		rows.sort(key=lambda r: (r.relance_date, r.order, r.stage_name))
	return out


def measure(
	relances: Iterable[SentRelance],
	ledgers: Mapping[str, Sequence[LedgerEntry]],
	policies: Mapping[str, PolicySpec],
	overdue: Iterable[OverdueInvoice] = (),
	*,
	from_date: date,
	to_date: date,
	as_of: date,
	windows: Sequence[int] = WINDOWS,
) -> list[StageFigures]:
	"""One row per stage of each policy in `policies`, then the policy's baseline row; a baseline row
	per company for overdue invoices no policy resolves for (policy "").

	Stage rows count the relances dated in [from_date, to_date] of the policies given; relances of
	other policies (or after the period) only end windows and take invoices out of the baseline.
	"""
	windows = tuple(sorted(windows))
	longest = windows[-1]
	by_invoice = first_relances(relances)
	outcomes: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
	seen_stages: dict[str, set[str]] = defaultdict(set)
	for invoice, rows in by_invoice.items():
		entries = _sorted(ledgers.get(invoice, ()))
		for i, r in enumerate(rows):
			if not (from_date <= r.relance_date <= to_date) or r.policy not in policies:
				continue
			end = rows[i + 1].relance_date if i + 1 < len(rows) else None
			seen_stages[r.policy].add(r.stage_name)
			outcomes[(r.policy, r.stage_name)].append(
				outcome(entries, r.relance_date, policies[r.policy].tolerance, as_of, end, longest)
			)

	baseline: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
	done: set[str] = set()
	for inv in overdue:
		if inv.invoice in done:
			continue
		done.add(inv.invoice)
		if inv.policy and inv.policy not in policies:
			continue
		reference = baseline_reference(inv.due_date, from_date)
		if reference > to_date:
			continue
		chased = by_invoice.get(inv.invoice, ())
		if any(from_date <= r.relance_date <= to_date for r in chased):
			continue
		later = [r.relance_date for r in chased if r.relance_date >= reference]
		end = min(later) if later else None
		tolerance = policies[inv.policy].tolerance if inv.policy else ZERO
		o = outcome(_sorted(ledgers.get(inv.invoice, ())), reference, tolerance, as_of, end, longest)
		if o.already_paid:
			continue  # not unpaid at its reference date: not an overdue invoice of the period
		baseline[(inv.company if not inv.policy else "", inv.policy)].append(o)

	result: list[StageFigures] = []
	for spec in sorted(policies.values(), key=lambda p: (p.company, p.name)):
		known = [name for name, _ in spec.stages]
		offsets = dict(spec.stages)
		extra = sorted(seen_stages[spec.name] - set(known))
		for name in known + extra:
			row = StageFigures(spec.company, spec.name, name, offsets.get(name))
			result.append(summarise(row, outcomes.get((spec.name, name), ()), windows))
		row = StageFigures(spec.company, spec.name, "", None, baseline=True)
		result.append(summarise(row, baseline.get(("", spec.name), ()), windows))
	for (company, policy), items in sorted(baseline.items()):
		if policy == "":
			result.append(summarise(StageFigures(company, "", "", None, baseline=True), items, windows))
	result.sort(key=lambda row: row.company)  # stable: each company's policies, then its "no policy" row
	return result
