"""A relance held because its payment is already in the bank: the stage's log Skipped (reason code
payment_found, taken over by the stage's relance if the money was for something else), the invoice's
status "Payment found, to reconcile", one open ToDo for the accountant naming the Bank Transaction."""

from __future__ import annotations

from datetime import date

from frappe import _
from frappe.utils import escape_html, fmt_money

from relance_app.constants import PAYMENT_FOUND, SKIPPED, STATUS_PAYMENT_FOUND
from relance_app.data.bank import customer_matches
from relance_app.data.invoices import Candidate
from relance_app.engine.bank_match import BY_AMOUNTS, BY_REFERENCE, Match
from relance_app.engine.models import Stage
from relance_app.records.invoice_status import set_invoice_fields
from relance_app.records.relance_log import insert_log
from relance_app.records.todos import ensure_todo


def deposits_text(matches: tuple[Match, ...]) -> str:
	return ", ".join(sorted({m.deposit for m in matches}))


def how_text(match: Match) -> str:
	if match.how == BY_REFERENCE:
		if match.partial:
			return _("its description names the invoice, for less than the amount due")
		return _("its description names the invoice")
	if match.how == BY_AMOUNTS:
		return _("the customer paid this amount for several invoices")
	return _("the customer paid the amount due")


def todo_text(candidate: Candidate, matches: tuple[Match, ...]) -> str:
	"""What the accountant reads: each deposit, linked, with its amount and why it matched."""
	currency = candidate.facts.currency
	lines = [
		f'<a href="/app/bank-transaction/{escape_html(m.deposit)}">{escape_html(m.deposit)}</a> '
		f"({fmt_money(m.amount, currency=currency)}): {escape_html(how_text(m))}"
		for m in matches
	]
	title = _(
		"Payment found in the bank for {0}, not yet reconciled: reconcile it with a Payment Entry. No relance goes until then."
	).format(candidate.facts.name)
	return f"<p><strong>{escape_html(title)}</strong></p><p>{'<br>'.join(lines)}</p>"


def hold_for_payment(
	candidate: Candidate, stage: Stage | None, matches: tuple[Match, ...], as_of: date, approved=None
) -> None:
	"""The stage is not sent: its log says why, the invoice shows it, the accountant has a ToDo."""
	if stage is not None:
		insert_log(
			candidate,
			stage,
			as_of,
			SKIPPED,
			reason=_("Not sent: payment found in the bank ({0}), to reconcile.").format(
				deposits_text(matches)
			),
			reason_code=PAYMENT_FOUND,
			**(approved or {}),
		)
	set_invoice_fields(candidate.facts.name, status=STATUS_PAYMENT_FOUND)
	ensure_todo(candidate, todo_text(candidate, matches), key=PAYMENT_FOUND)


def hold_paid(acting: list[tuple[Candidate, Stage]], as_of: date, approved=None) -> list:
	"""Under the unit's lock, the bank read again: the (invoice, stage) pairs whose payment is in the
	bank are held; the others returned, to be sent."""
	if not acting:
		return acting
	first = acting[0][0]
	found = customer_matches(first.facts.customer, first.row.company)
	if not found:
		return acting
	keep = []
	for candidate, stage in acting:
		matches = found.get(candidate.facts.name)
		if matches:
			hold_for_payment(candidate, stage, matches, as_of, approved)
		else:
			keep.append((candidate, stage))
	return keep
