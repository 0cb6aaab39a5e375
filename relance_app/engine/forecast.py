"""When the next relance of an invoice happens, and the calendar of relances over a date range.

Both use `decide` itself, day by day where something happens, so the forecast can never disagree
with what the run will do. Business days: the run does not send on weekends and holidays; what
falls on one happens on the next business day.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta

from relance_app.engine import reasons as R
from relance_app.engine.decide import decide
from relance_app.engine.models import AWAITING_APPROVAL, SENT, SKIPPED, HistoryEntry, InvoiceFacts, Policy

WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())


def is_business_day(day: date, holidays: Collection[date] = (), weekend: Collection[int] = WEEKEND) -> bool:
	return day.weekday() not in weekend and day not in holidays


def next_business_day(day: date, holidays: Collection[date] = (), weekend: Collection[int] = WEEKEND) -> date:
	"""`day` itself when it is a business day, else the first business day after it."""
	if len(set(weekend)) >= 7:
		raise ValueError("a week needs at least one working day")
	for _ in range(3660):
		if is_business_day(day, holidays, weekend):
			return day
		day += timedelta(days=1)
	raise ValueError("no business day within ten years")


@dataclass(frozen=True, slots=True)
class PlannedEvent:
	date: date
	invoice: str
	stage_name: str
	status: str  # what the run would log: Sent (or Queued), Awaiting Approval, Skipped
	channel: str | None = None


def next_relance_date(
	policy: Policy,
	invoice: InvoiceFacts,
	as_of: date,
	holidays: Collection[date] = (),
	weekend: Collection[int] = WEEKEND,
) -> tuple[date | None, str | None]:
	"""(date, stage name) of the invoice's next relance from `as_of` on, or (None, None)."""
	horizon = as_of + timedelta(days=3660)
	for event in simulate(policy, invoice, as_of, horizon, holidays, weekend, limit=len(policy.stages) + 1):
		if event.status != SKIPPED:
			return event.date, event.stage_name
	return None, None


def simulate(
	policy: Policy,
	invoice: InvoiceFacts,
	start: date,
	end: date,
	holidays: Collection[date] = (),
	weekend: Collection[int] = WEEKEND,
	limit: int | None = None,
) -> list[PlannedEvent]:
	"""Every relance the run would make for the invoice from `start` to `end` (inclusive),
	assuming nothing is paid, each stage awaiting approval is approved the day it is proposed and
	each letter waiting for its posting date is posted the day the simulation meets it.
	"""
	events: list[PlannedEvent] = []
	history = list(invoice.history)
	day = start
	for _ in range(10_000):  # bounded: each turn moves forward or records something
		day = next_business_day(day, holidays, weekend)
		if day > end:
			break
		facts = replace(invoice, history=tuple(history))
		decision = decide(policy, facts, day)
		for stage in decision.skipped:
			history.append(HistoryEntry(stage.stage_name, SKIPPED, day))
			events.append(PlannedEvent(day, invoice.name, stage.stage_name, SKIPPED, stage.channel))
		if decision.stage is not None:
			stage = decision.stage
			status = AWAITING_APPROVAL if stage.requires_approval else SENT
			history.append(HistoryEntry(stage.stage_name, SENT, day))
			events.append(PlannedEvent(day, invoice.name, stage.stage_name, status, stage.channel))
			day += timedelta(days=1)
		elif decision.reason == R.AWAITING_APPROVAL:
			# approve what waits, as the simulation assumes, and look again the same day
			history = [replace(h, status=SENT) if h.status == AWAITING_APPROVAL else h for h in history]
			continue
		elif decision.reason == R.AWAITING_POSTING:
			# post what waits, as the simulation assumes, and look again the same day
			history = [replace(h, posted=day) if h.posted is None else h for h in history]
			continue
		elif decision.next_date is not None and decision.next_date > day:
			day = decision.next_date
		elif decision.skipped:
			continue
		else:
			break
		if limit is not None and len(events) >= limit:
			break
	return [e for e in events if start <= e.date <= end]
