"""Builders for the engine's dataclasses, French default policy shape (PRODUCT.md)."""

from datetime import date
from decimal import Decimal

from relance_app.engine.models import HistoryEntry, InvoiceFacts, Policy, Stage

PRE = Stage("Pré-relance", -5, email_template="pre", idx=1)
R1 = Stage("Relance 1", 5, email_template="r1", idx=2)
R2 = Stage("Relance 2", 15, email_template="r2", idx=3)
R3 = Stage("Relance 3", 30, email_template="r3", include_penalties=True, idx=4)
MED = Stage(
	"Mise en demeure",
	45,
	channel="Email and Letter",
	email_template="med",
	include_penalties=True,
	requires_approval=True,
	create_dunning=True,
	idx=5,
)
FRENCH_STAGES = (PRE, R1, R2, R3, MED)


def policy(stages=FRENCH_STAGES, **kw):
	kw.setdefault("min_days_between", 7)
	kw.setdefault("late_interest_rate", Decimal("13.15"))
	return Policy("Default FR", tuple(stages), **kw)


def invoice(due=date(2026, 3, 1), outstanding="1200.00", history=(), **kw):
	return InvoiceFacts(
		name=kw.pop("name", "SINV-0001"),
		due_date=due,
		outstanding=Decimal(outstanding),
		history=tuple(history),
		**kw,
	)


def h(stage, status, day, attempts=1):
	name = stage.stage_name if isinstance(stage, Stage) else stage
	return HistoryEntry(name, status, day, attempts)


def invoice_data(
	name="SINV-1",
	amount="1234.5",
	currency="EUR",
	due=date(2026, 3, 1),
	as_of=date(2026, 4, 1),
	history=(),
	with_penalties=True,
	**kw,
):
	"""What a stage email says about one invoice (the template context's input), penalties as of
	`as_of`."""
	from relance_app.engine.message import InvoiceData
	from relance_app.engine.penalties import compute_penalties

	amount = Decimal(amount)
	penalties = (
		compute_penalties(policy(), amount, due, as_of, "Company", currency) if with_penalties else None
	)
	return InvoiceData(
		name=name,
		posting_date=date(2026, 1, 30),
		due_date=due,
		grand_total=amount,
		outstanding=amount,
		amount_due=amount,
		currency=currency,
		history=tuple(history),
		penalties=penalties,
		**kw,
	)
