"""The register's arithmetic: ageing buckets, the procedure engaged on an invoice, totals per currency.

Pure: the Frappe side (relance_app/relance/reports.py) fetches the rows and asks here what they mean,
so the Relance Register, Overdue by Stage and the workspace cards classify an invoice the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from relance_app.constants import LETTER_CHANNELS, PAYMENT_PROMISE, STATUS_PAYMENT_FOUND
from relance_app.engine import reasons as R

# Ageing buckets of days late: (key, first day, last day); None = unbounded
NOT_DUE = "Not due"
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
	(NOT_DUE, None, 0),
	("1-30", 1, 30),
	("31-60", 31, 60),
	("61-90", 61, 90),
	("90+", 91, None),
)
BUCKET_KEYS = tuple(b[0] for b in BUCKETS)

# Procedure engaged on an invoice, most decisive first (an invoice shows the first that applies)
EXCLUDED = "Excluded"
PAID = "Paid"
ON_HOLD = "On Hold"
PAYMENT_FOUND = STATUS_PAYMENT_FOUND  # an unreconciled deposit pays it
PROMISE = PAYMENT_PROMISE
AWAITING_APPROVAL = "Awaiting Approval"
DUNNING_CREATED = "ERPNext Dunning Created"
FORMAL_NOTICE = "Formal Notice Sent"
SCHEDULED = "Scheduled"
COMPLETED = "Stages Completed"
NO_POLICY = "No Policy"
PROCEDURES = (
	EXCLUDED,
	PAID,
	PAYMENT_FOUND,
	ON_HOLD,
	PROMISE,
	AWAITING_APPROVAL,
	DUNNING_CREATED,
	FORMAL_NOTICE,
	SCHEDULED,
	COMPLETED,
	NO_POLICY,
)

FORMAL_CHANNELS = LETTER_CHANNELS


def days_late(due: date | None, as_of: date) -> int:
	"""Days since the due date (0 on the due date, negative before it)."""
	return (as_of - due).days if due else 0


def ageing_bucket(late: int) -> str:
	for key, first, last in BUCKETS:
		if (first is None or late >= first) and (last is None or late <= last):
			return key
	raise AssertionError(late)  # the buckets cover every integer


def bucket_bounds(key: str) -> tuple[int | None, int | None]:
	for k, first, last in BUCKETS:
		if k == key:
			return first, last
	raise KeyError(key)


def is_formal_notice(channel: str | None, create_dunning: bool = False) -> bool:
	"""A stage is a formal notice (mise en demeure) when it sends a letter or makes ERPNext's Dunning."""
	return bool(create_dunning) or (channel or "") in FORMAL_CHANNELS


@dataclass(frozen=True, slots=True)
class InvoiceState:
	"""What decides the procedure of one invoice on one day."""

	open: bool  # outstanding above the policy's tolerance
	excluded: bool = False  # invoice or customer excluded, or customer disabled
	hold_active: bool = False
	hold_reason: str | None = None
	has_policy: bool = True
	awaiting_approval: bool = False  # a stage waits for the accountant
	dunning_created: bool = False  # an ERPNext Dunning was made by a relance
	formal_notice_sent: bool = False
	decision_reason: str | None = None  # the engine's reason today (None: not decided)
	payment_found: bool = False  # an unreconciled deposit in the bank pays it


def procedure(s: InvoiceState) -> str:
	if not s.open:
		return PAID
	if s.excluded:
		return EXCLUDED
	if s.payment_found:
		return PAYMENT_FOUND
	if s.hold_active:
		return PROMISE if s.hold_reason == PAYMENT_PROMISE else ON_HOLD
	if s.awaiting_approval:
		return AWAITING_APPROVAL
	if s.dunning_created:
		return DUNNING_CREATED
	if s.formal_notice_sent:
		return FORMAL_NOTICE
	if not s.has_policy:
		return NO_POLICY
	if s.decision_reason in (R.COMPLETED, R.NO_STAGES):
		return COMPLETED
	return SCHEDULED


def totals_by_currency(
	rows: Iterable[tuple[str, Decimal, Decimal]],
) -> dict[str, tuple[Decimal, Decimal, int]]:
	"""{currency: (grand total, outstanding, count)} of (currency, grand total, outstanding) rows."""
	out: dict[str, tuple[Decimal, Decimal, int]] = {}
	for currency, total, outstanding in rows:
		t, o, n = out.get(currency, (Decimal(0), Decimal(0), 0))
		out[currency] = (t + Decimal(total), o + Decimal(outstanding), n + 1)
	return out
