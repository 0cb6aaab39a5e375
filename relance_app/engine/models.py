"""Plain data the engine works on. No Frappe here: the Frappe side builds these from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

# statuses, channels and interest bases are defined once, in relance_app.constants (pure Python)
from relance_app.constants import (  # noqa: F401
	ACTED_STATUSES,
	ANSWERED,
	AWAITING_APPROVAL,
	CANCELLED,
	CHANNELS,
	COMPANY,
	CONTRACTUAL_RATE,
	DELIVERED_STATUSES,
	EMAIL,
	EMAIL_AND_LETTER,
	EMAIL_CHANNELS,
	FAILED,
	INDIVIDUAL,
	INTEREST_BASES,
	LEGAL_RATE,
	LETTER,
	LETTER_CHANNELS,
	LOG_STATUSES,
	PHONE,
	QUEUED,
	RELANCE_STATUSES,
	SENT,
	SKIPPED,
)

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Stage:
	"""One row of a Dunning Policy's stage table."""

	stage_name: str
	offset_days: int
	channel: str = EMAIL
	email_template: str | None = None
	print_format: str | None = None
	requires_approval: bool = False
	include_penalties: bool = False
	create_dunning: bool = False
	idx: int = 0

	@property
	def is_pre_due(self) -> bool:
		return self.offset_days < 0


@dataclass(frozen=True, slots=True)
class Policy:
	"""A Dunning Policy: its stages (any order; the engine sorts by offset) and its rules."""

	name: str
	stages: tuple[Stage, ...]
	min_days_between: int = 7
	tolerance: Decimal = ZERO
	late_interest_rate: Decimal = ZERO  # annual rate, in percent (13.15 means 13.15 %)
	# LEGAL_RATE: each semester's ECB rate + 10 points (late_interest_rate only when no rate is known);
	# CONTRACTUAL_RATE: late_interest_rate for every day
	interest_basis: str = CONTRACTUAL_RATE
	fixed_indemnity: Decimal = Decimal("40")
	indemnity_currency: str = "EUR"
	indemnity_b2b_only: bool = True
	send_thank_you: bool = False
	max_attempts: int = 3  # a Failed stage is retried on later days until it failed this many times
	# after a letter stage reached the customer, the next stage waits for the letter's posting date
	wait_for_posting: bool = False

	def ordered_stages(self) -> tuple[Stage, ...]:
		return tuple(sorted(self.stages, key=lambda s: (s.offset_days, s.idx)))


@dataclass(frozen=True, slots=True)
class Instalment:
	"""A row of the invoice's payment schedule."""

	due_date: date
	outstanding: Decimal


@dataclass(frozen=True, slots=True)
class HistoryEntry:
	"""What was already done for one stage of one invoice (one Relance Log row)."""

	stage_name: str
	status: str
	date: date
	attempts: int = 1
	posted: date | None = None  # a letter's posting date, once entered on its log


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
	"""What the engine needs to know about a Sales Invoice."""

	name: str
	due_date: date
	outstanding: Decimal
	currency: str = "EUR"
	customer: str = ""
	customer_type: str = COMPANY
	grand_total: Decimal | None = None
	posting_date: date | None = None
	docstatus: int = 1
	is_return: bool = False
	customer_disabled: bool = False
	excluded: bool = False  # the invoice's relance_exclude
	customer_excluded: bool = False  # the customer's relance_exclude
	on_hold: bool = False
	hold_until: date | None = None  # last day of the hold, inclusive; None = until released
	hold_reason: str | None = None
	payment_schedule: tuple[Instalment, ...] = ()
	history: tuple[HistoryEntry, ...] = ()
	thank_you_sent: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
	"""What to do for one invoice on one day.

	`stage` is the stage to act on now (None: nothing), `skipped` the stages to log as skipped,
	`reason` a machine-readable code (see `reasons.py`), `next_date` when something may happen next.
	"""

	invoice: str
	reason: str
	stage: Stage | None = None
	skipped: tuple[Stage, ...] = ()
	next_date: date | None = None
	next_stage: Stage | None = None
	due_date: date | None = None
	amount_due: Decimal = ZERO
	days_late: int = 0
	thank_you: bool = False
	retry: bool = False

	@property
	def acts(self) -> bool:
		return self.stage is not None

	@property
	def changes_something(self) -> bool:
		return self.stage is not None or bool(self.skipped) or self.thank_you


@dataclass(frozen=True, slots=True)
class SemesterRate:
	"""The reference rates of one half-year (Code de commerce L441-10): the ECB main refinancing rate
	in force on its first day (1 January or 1 July) and the taux de l'intérêt légal for professional
	creditors (None while not published)."""

	start: date
	ecb_rate: Decimal
	legal_interest_rate: Decimal | None = None

	@property
	def late_payment_rate(self) -> Decimal:
		"""The legal late-payment rate: ECB rate + 10 points."""
		return self.ecb_rate + Decimal(10)


@dataclass(frozen=True, slots=True)
class Payment:
	"""A payment (or credit) that reduced the invoice's outstanding on `date`."""

	date: date
	amount: Decimal


@dataclass(frozen=True, slots=True)
class InterestLine:
	"""Late interest on one amount at one rate, over days `start`..`end` (both included).

	`assumed` marks a legal-rate line whose semester has no known rate: the latest earlier known rate
	(else the policy's rate) was used until the semester's rate is entered."""

	start: date
	end: date
	days: int
	base: Decimal
	rate: Decimal
	amount: Decimal
	semester: date | None = None
	assumed: bool = False


@dataclass(frozen=True, slots=True)
class Penalties:
	interest: Decimal
	indemnity: Decimal
	currency: str
	indemnity_currency: str
	rate: Decimal  # the rate in force on the last day late (the policy's rate when not late)
	days_late: int
	base: Decimal
	lines: tuple[InterestLine, ...] = ()
	basis: str = CONTRACTUAL_RATE

	@property
	def rates(self) -> tuple[Decimal, ...]:
		"""The distinct rates used, in date order."""
		out: list[Decimal] = []
		for line in self.lines:
			if line.rate not in out:
				out.append(line.rate)
		return tuple(out) or (self.rate,)

	@property
	def assumed(self) -> bool:
		return any(line.assumed for line in self.lines)

	@property
	def total_in_invoice_currency(self) -> Decimal:
		"""Interest plus, when both share the currency, the indemnity."""
		if self.indemnity_currency == self.currency:
			return self.interest + self.indemnity
		return self.interest


@dataclass(frozen=True, slots=True)
class PolicyIssue:
	"""One problem found in a policy. `code` is stable; `message` is the English text with {placeholders}."""

	code: str
	message: str
	stage_idx: int | None = None
	stage_name: str | None = None
	params: dict = field(default_factory=dict)

	def format(self) -> str:
		return self.message.format(stage=self.stage_name, idx=self.stage_idx, **self.params)
