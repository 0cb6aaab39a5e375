"""The credit hold: may a customer in formal notice still be sold to? The one rule.

Pure: the Frappe side (relance_app.data.credit_hold) gathers the customer's open invoices with one
company, the stage each reached, its promise or dispute, the policy's rule and any manual release; this
module decides. The doc_events hooks, the forms, the Relance Register, the workspace card and the
daily run's transitions all ask here, so they never disagree.

A customer is held when, among its overdue invoices that count (not under a payment promise or a
dispute the policy forgives, not covered by a manual release still valid), one of the policy's
triggers is met: an invoice reached the trigger stage (or a later one), the oldest is late by the
trigger's days or more, the overdue total reaches the trigger's amount. It lifts by itself when the
reason goes: an invoice paid or credited leaves the list, a promise kept is paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from relance_app.constants import (
	CREDIT_HOLD_ACTIONS,
	CREDIT_HOLD_DOCTYPES,
	DISPUTE,
	HOLD_NOTHING,
	PAYMENT_PROMISE,
	TRIGGER_AMOUNT,
	TRIGGER_DAYS_LATE,
	TRIGGER_STAGE,
)

ZERO = Decimal("0")
MAX_DAYS_LATE = 3650


@dataclass(frozen=True, slots=True)
class CreditHoldRule:
	"""A Dunning Policy's credit-hold section. A trigger left at 0 / empty is not used."""

	stages: tuple[str, ...] = ()  # the policy's post-due stage names, in their order
	from_stage: str | None = None  # held once an invoice reached this stage or a later one
	from_days_late: int = 0  # held once the oldest overdue invoice is this many days late
	from_amount: Decimal = ZERO  # held once the overdue total (company currency) reaches this
	actions: tuple[tuple[str, str], ...] = ()  # (doctype, action); a doctype not listed: nothing
	grace_promise: bool = True  # an invoice under a payment promise does not count
	grace_dispute: bool = True  # an invoice in dispute does not count

	@property
	def has_trigger(self) -> bool:
		return bool(self.from_stage) or self.from_days_late > 0 or self.from_amount > ZERO


@dataclass(frozen=True, slots=True)
class OpenInvoice:
	"""One open invoice of the customer with the company."""

	name: str
	due_date: date
	outstanding: Decimal  # in the company's currency
	stage: str | None = None  # the furthest stage that reached the customer
	stage_date: date | None = None  # when it did
	on_hold: bool = False
	hold_reason: str | None = None
	hold_until: date | None = None  # last day of the hold, inclusive; None = until resumed


@dataclass(frozen=True, slots=True)
class Release:
	"""An accountant lifted the hold by hand: the invoices it covered do not count through `until`."""

	until: date
	invoices: frozenset[str] = frozenset()
	reason: str = ""


@dataclass(frozen=True, slots=True)
class CreditHold:
	"""The decision for one customer and company on one day."""

	held: bool
	triggers: tuple[str, ...] = ()  # TRIGGER_* met, in a fixed order
	invoices: tuple[OpenInvoice, ...] = ()  # the overdue invoices that count, oldest first
	overdue: Decimal = ZERO  # their total
	oldest_days_late: int = 0
	since: date | None = None  # the day the hold began, when the triggers tell it
	stage: str | None = None  # the furthest stage reached among them
	stage_date: date | None = None
	released_until: date | None = None  # a manual release keeps off what would hold
	graced: tuple[str, ...] = ()  # invoices set aside for a promise or a dispute
	actions: tuple[tuple[str, str], ...] = ()

	def action(self, doctype: str) -> str:
		"""What a document of `doctype` of this customer meets: HOLD_REFUSE, HOLD_WARN or HOLD_NOTHING."""
		if not self.held:
			return HOLD_NOTHING
		return dict(self.actions).get(doctype, HOLD_NOTHING)


NOT_HELD = CreditHold(held=False)


def hold_active(invoice: OpenInvoice, as_of: date) -> bool:
	return invoice.on_hold and (invoice.hold_until is None or as_of <= invoice.hold_until)


def in_grace(rule: CreditHoldRule, invoice: OpenInvoice, as_of: date) -> bool:
	"""A promise not yet due or a dispute still open keeps the invoice out, if the policy says so. A
	promise broken (its date passed, still unpaid) counts again."""
	if not hold_active(invoice, as_of):
		return False
	if invoice.hold_reason == PAYMENT_PROMISE:
		return rule.grace_promise
	if invoice.hold_reason == DISPUTE:
		return rule.grace_dispute
	return False


def days_late(invoice: OpenInvoice, as_of: date) -> int:
	return (as_of - invoice.due_date).days


def stage_rank(rule: CreditHoldRule, stage: str | None) -> int | None:
	return rule.stages.index(stage) if stage in rule.stages else None


def _furthest(rule: CreditHoldRule, invoices) -> OpenInvoice | None:
	ranked = [i for i in invoices if stage_rank(rule, i.stage) is not None]
	if not ranked:
		return None
	return max(ranked, key=lambda i: (stage_rank(rule, i.stage), i.stage_date or date.min))


def triggers_met(rule: CreditHoldRule, invoices, as_of: date) -> tuple[tuple[str, ...], date | None]:
	"""The triggers `invoices` (overdue, counted) meet, and the earliest day one was met when known."""
	met: list[str] = []
	days: list[date] = []
	threshold = stage_rank(rule, rule.from_stage) if rule.from_stage else None
	if threshold is not None:
		reached = [i for i in invoices if (stage_rank(rule, i.stage) or -1) >= threshold]
		if reached:
			met.append(TRIGGER_STAGE)
			days += [i.stage_date for i in reached if i.stage_date]
	if rule.from_days_late > 0 and invoices:
		oldest = min(i.due_date for i in invoices)
		if (as_of - oldest).days >= rule.from_days_late:
			met.append(TRIGGER_DAYS_LATE)
			days.append(oldest + timedelta(days=rule.from_days_late))
	if rule.from_amount > ZERO and sum((i.outstanding for i in invoices), ZERO) >= rule.from_amount:
		met.append(TRIGGER_AMOUNT)
	return tuple(met), min(days) if days else None


def credit_hold(
	rule: CreditHoldRule | None, invoices, as_of: date, release: Release | None = None
) -> CreditHold:
	"""Whether the customer is held on `as_of`, why, by which invoices, and what each document meets.

	`rule` None: the customer's policy has no credit hold. `invoices`: its open invoices with the
	company (any order; those not overdue on `as_of` or with nothing outstanding are ignored)."""
	if rule is None or not rule.has_trigger:
		return NOT_HELD
	overdue = sorted(
		(i for i in invoices if i.outstanding > ZERO and i.due_date < as_of),
		key=lambda i: (i.due_date, i.name),
	)
	graced = tuple(i.name for i in overdue if in_grace(rule, i, as_of))
	counted = [i for i in overdue if i.name not in graced]
	valid_release = release if release is not None and as_of <= release.until else None
	kept = [i for i in counted if not valid_release or i.name not in valid_release.invoices]
	met, since = triggers_met(rule, kept, as_of)
	if not met:
		released = valid_release and triggers_met(rule, counted, as_of)[0]
		return CreditHold(held=False, graced=graced, released_until=valid_release.until if released else None)
	furthest = _furthest(rule, kept)
	return CreditHold(
		held=True,
		triggers=met,
		invoices=tuple(kept),
		overdue=sum((i.outstanding for i in kept), ZERO),
		oldest_days_late=days_late(kept[0], as_of),
		since=since,
		stage=furthest.stage if furthest else None,
		stage_date=furthest.stage_date if furthest else None,
		graced=graced,
		actions=rule.actions,
	)


# --- the policy's section, checked when saved (messages translated by the Frappe side) -------------

MESSAGES = {
	"no_trigger": "The credit hold is on but has no trigger: choose a stage, a number of days late or an amount.",
	"unknown_stage": "The credit hold's stage {stage} is not a stage of this policy.",
	"pre_due_stage": "The credit hold's stage {stage} is a reminder before the due date: choose a stage after it.",
	"bad_days": "The credit hold's days late must lie between 0 (not used) and {max} ({value}).",
	"negative_amount": "The credit hold's overdue amount cannot be negative ({value}).",
	"bad_action": "The credit hold's action for {doctype} must be one of {actions} ({value}).",
	"no_action": "The credit hold stops no document: choose Refuse on submit or Warn for at least one.",
}


def rule_issues(
	rule: CreditHoldRule, all_stages: tuple[str, ...], pre_due: frozenset[str] = frozenset()
) -> list[tuple[str, dict]]:
	"""The problems of an enabled credit-hold section: (message code, parameters); empty when valid.
	`all_stages`: every stage name of the policy; `pre_due`: those before the due date."""
	issues: list[tuple[str, dict]] = []
	if not rule.has_trigger:
		issues.append(("no_trigger", {}))
	if rule.from_stage:
		if rule.from_stage in pre_due:
			issues.append(("pre_due_stage", {"stage": rule.from_stage}))
		elif rule.from_stage not in all_stages:
			issues.append(("unknown_stage", {"stage": rule.from_stage}))
	if not 0 <= rule.from_days_late <= MAX_DAYS_LATE:
		issues.append(("bad_days", {"max": MAX_DAYS_LATE, "value": rule.from_days_late}))
	if rule.from_amount < ZERO:
		issues.append(("negative_amount", {"value": rule.from_amount}))
	actions = dict(rule.actions)
	for doctype in CREDIT_HOLD_DOCTYPES:
		value = actions.get(doctype, HOLD_NOTHING)
		if value not in CREDIT_HOLD_ACTIONS:
			issues.append(
				(
					"bad_action",
					{"doctype": doctype, "actions": ", ".join(CREDIT_HOLD_ACTIONS), "value": value},
				)
			)
	if all(actions.get(d, HOLD_NOTHING) == HOLD_NOTHING for d in CREDIT_HOLD_DOCTYPES):
		issues.append(("no_action", {}))
	return issues
