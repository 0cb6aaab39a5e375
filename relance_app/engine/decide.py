"""The dunning decision: for one invoice, one policy and one day, what to do now.

Semantics (PRODUCT.md, "Semantics that must be exact"):

- Eligible: submitted, not a return, customer not disabled, neither invoice nor customer excluded,
  not on hold (a hold ends after its `hold_until` day), outstanding above the policy's tolerance.
- One step at a time: the next stage is the first stage, after the last one acted on, whose date
  (`due_date + offset_days`) has come and which is at least `min_days_between` days (at least one)
  after the previous relance of the invoice. Never more than one stage a day, never a jump.
- Pre-due stages (negative offset) whose date has passed are skipped once the invoice is overdue;
  an earlier pre-due stage is skipped when a later pre-due stage is also due. Post-due stages
  are never skipped.
- A stage awaiting approval blocks the following ones until it is approved or cancelled.
- A Failed stage is retried on a later day, until it has failed `policy.max_attempts` times;
  it then counts as acted on (the log keeps "Failed" for the accountant).
- Paid (outstanding at or below tolerance): nothing more; a thank-you once, if the policy asks
  for it and at least one post-due relance reached the customer.
- Letters posted (policy `wait_for_posting`): when the stage acted on last before the next one is a
  letter that reached the customer (channel Letter or Email and Letter, Queued or Sent), the next
  stage waits until the letter's posting date is entered, and comes at least `min_days_between`
  days after that date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from relance_app.engine import reasons as R
from relance_app.engine.models import (
	ACTED_STATUSES,
	AWAITING_APPROVAL,
	DELIVERED_STATUSES,
	FAILED,
	LETTER_CHANNELS,
	RELANCE_STATUSES,
	ZERO,
	Decision,
	HistoryEntry,
	InvoiceFacts,
	Policy,
	Stage,
)


def effective_due(invoice: InvoiceFacts, as_of: date) -> tuple[date, Decimal]:
	"""The due date and amount chased.

	Without a payment schedule: the invoice's due date and outstanding. With one: the earliest unpaid
	instalment's due date, and the amount of the instalments already overdue on `as_of` (the earliest
	unpaid instalment's amount while none is overdue), never more than the invoice's outstanding.
	"""
	unpaid = sorted((i for i in invoice.payment_schedule if i.outstanding > 0), key=lambda i: i.due_date)
	if not unpaid:
		return invoice.due_date, invoice.outstanding
	overdue = sum((i.outstanding for i in unpaid if i.due_date < as_of), ZERO)
	amount = overdue if overdue > 0 else unpaid[0].outstanding
	return unpaid[0].due_date, min(amount, invoice.outstanding)


def is_paid(policy: Policy, invoice: InvoiceFacts) -> bool:
	return invoice.outstanding <= policy.tolerance


def hold_active(invoice: InvoiceFacts, as_of: date) -> bool:
	"""A hold lasts through its `hold_until` day; without a date it lasts until released."""
	if not invoice.on_hold:
		return False
	return invoice.hold_until is None or as_of <= invoice.hold_until


def thank_you_due(policy: Policy, invoice: InvoiceFacts) -> bool:
	"""One thank-you after payment, if asked for and a post-due relance reached the customer."""
	if not policy.send_thank_you or invoice.thank_you_sent or not is_paid(policy, invoice):
		return False
	if invoice.docstatus != 1 or invoice.is_return:
		return False
	post_due = {s.stage_name for s in policy.stages if not s.is_pre_due}
	return any(h.stage_name in post_due and h.status in DELIVERED_STATUSES for h in invoice.history)


def _ineligible_reason(policy: Policy, invoice: InvoiceFacts, as_of: date) -> str | None:
	if invoice.docstatus != 1:
		return R.NOT_SUBMITTED
	if invoice.is_return:
		return R.RETURN
	if is_paid(policy, invoice):
		return R.PAID
	if invoice.customer_disabled:
		return R.CUSTOMER_DISABLED
	if invoice.excluded or invoice.customer_excluded:
		return R.EXCLUDED
	if hold_active(invoice, as_of):
		return R.ON_HOLD
	if not policy.stages:
		return R.NO_STAGES
	return None


def _by_stage(history: Iterable[HistoryEntry]) -> dict[str, HistoryEntry]:
	"""The history entry that counts for each stage: an acted-on one wins over failures."""
	out: dict[str, HistoryEntry] = {}
	for h in history:
		current = out.get(h.stage_name)
		if current is None or (h.status in ACTED_STATUSES and current.status not in ACTED_STATUSES):
			out[h.stage_name] = h
		elif h.status == current.status == FAILED:
			out[h.stage_name] = HistoryEntry(
				h.stage_name, FAILED, max(h.date, current.date), h.attempts + current.attempts
			)
	return out


def previous_letter(
	stages: tuple[Stage, ...], done: dict[str, HistoryEntry], stage: Stage
) -> HistoryEntry | None:
	"""The history entry of the last stage before `stage` that reached the customer, when that stage
	is a letter; None when it is not a letter or nothing reached the customer before."""
	for earlier in reversed(stages[: stages.index(stage)]):
		h = done.get(earlier.stage_name)
		if h is None or h.status not in DELIVERED_STATUSES:
			continue  # skipped, cancelled, failed for good: look further back
		return h if earlier.channel in LETTER_CHANNELS else None
	return None


def _remaining_stages(policy: Policy, stages: tuple[Stage, ...], done: dict[str, HistoryEntry]):
	"""Only stages after the last one acted on: stages move forward, never back."""
	last_acted = -1
	for i, stage in enumerate(stages):
		h = done.get(stage.stage_name)
		if h and (h.status in ACTED_STATUSES or h.attempts >= policy.max_attempts):
			last_acted = i
	return stages[last_acted + 1 :]


def _next_stage(
	remaining: tuple[Stage, ...], due: date, as_of: date
) -> tuple[Stage | None, tuple[Stage, ...]]:
	"""The first remaining stage to act on, and the pre-due stages passed over on the way (once the
	invoice is overdue, or when a later pre-due stage is due too). A post-due stage is never skipped."""
	overdue = as_of > due
	skipped: list[Stage] = []
	for i, stage in enumerate(remaining):
		stage_date = due + timedelta(days=stage.offset_days)
		if stage.is_pre_due and stage_date <= as_of:
			later = remaining[i + 1] if i + 1 < len(remaining) else None
			later_pre_due_due = (
				later is not None and later.is_pre_due and due + timedelta(days=later.offset_days) <= as_of
			)
			if overdue or later_pre_due_due:
				skipped.append(stage)
				continue
		return stage, tuple(skipped)
	return None, tuple(skipped)


def _earliest(
	policy: Policy,
	invoice: InvoiceFacts,
	stage_date: date,
	letter: HistoryEntry | None,
	failed: HistoryEntry | None,
) -> date:
	"""The first day the stage may go: its date, `min_days_between` after the last relance (and after
	the posting of the letter before it), the day after a failure."""
	earliest = stage_date
	gap = timedelta(days=max(1, policy.min_days_between))
	last_relance = max((h.date for h in invoice.history if h.status in RELANCE_STATUSES), default=None)
	if last_relance is not None:
		earliest = max(earliest, last_relance + gap)
	if letter is not None:
		earliest = max(earliest, letter.posted + gap)
	if failed is not None:
		earliest = max(earliest, failed.date + timedelta(days=1))
	return earliest


def decide(policy: Policy, invoice: InvoiceFacts, as_of: date, early: bool = False) -> Decision:
	"""Decide what to do today for this invoice. Pure and deterministic.

	`early`: the user asks for the next stage now, before its date; every other rule still holds
	(eligibility, one step at a time, `min_days_between`, approval, retries).
	"""
	due, amount = effective_due(invoice, as_of)
	days_late = max(0, (as_of - due).days)
	base = {"invoice": invoice.name, "due_date": due, "amount_due": amount, "days_late": days_late}

	reason = _ineligible_reason(policy, invoice, as_of)
	if reason == R.PAID:
		return Decision(reason=reason, thank_you=thank_you_due(policy, invoice), **base)
	if reason == R.ON_HOLD:
		resume = invoice.hold_until + timedelta(days=1) if invoice.hold_until else None
		return Decision(reason=reason, next_date=resume, **base)
	if reason:
		return Decision(reason=reason, **base)

	stages = policy.ordered_stages()
	done = _by_stage(invoice.history)

	if any(h.status == AWAITING_APPROVAL for h in done.values()):
		return Decision(reason=R.AWAITING_APPROVAL, **base)

	remaining = _remaining_stages(policy, stages, done)
	if not remaining:
		return Decision(reason=R.COMPLETED, **base)
	candidate, skipped = _next_stage(remaining, due, as_of)

	if candidate is None:
		return Decision(reason=R.COMPLETED, skipped=skipped, **base)

	letter = previous_letter(stages, done, candidate) if policy.wait_for_posting else None
	if letter is not None and letter.posted is None:
		return Decision(reason=R.AWAITING_POSTING, skipped=skipped, next_stage=candidate, **base)

	stage_date = due + timedelta(days=candidate.offset_days)
	if early:
		stage_date = min(stage_date, as_of)
	previous = done.get(candidate.stage_name)
	retry = previous is not None and previous.status == FAILED
	earliest = _earliest(policy, invoice, stage_date, letter, previous if retry else None)

	if as_of < earliest:
		reason = R.NOT_YET if earliest == stage_date else (R.RETRY_LATER if retry else R.TOO_SOON)
		return Decision(reason=reason, skipped=skipped, next_date=earliest, next_stage=candidate, **base)
	return Decision(
		reason=R.DUE,
		stage=candidate,
		skipped=skipped,
		next_date=as_of,
		next_stage=candidate,
		retry=retry,
		**base,
	)


def decide_many(
	policy_of: dict[str, Policy] | Policy, invoices: Iterable[InvoiceFacts], as_of: date
) -> list[Decision]:
	"""Decide for many invoices; `policy_of` maps invoice name to policy, or is one policy for all."""
	if isinstance(policy_of, Policy):
		return [decide(policy_of, inv, as_of) for inv in invoices]
	return [decide(policy_of[inv.name], inv, as_of) for inv in invoices]
