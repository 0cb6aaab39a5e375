"""The bank matching rule: money already in the bank holds the relance of the invoices it pays, and only
those (relance_app.engine.bank_match)."""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance_app.engine.bank_match import (
	BY_AMOUNT,
	BY_AMOUNTS,
	BY_REFERENCE,
	MAX_SUBSET,
	Deposit,
	OpenInvoice,
	match_deposits,
	named_in,
	paid_by_amount,
)
from relance_app.engine.payment_ref import format_reference, rf_reference

DAY = date(2026, 3, 1)
CO = "Société Test"


def inv(name, customer="C1", amount="100.00", due=DAY, company=CO, currency="EUR"):
	return OpenInvoice(name, customer, company, currency, Decimal(amount), due)


def dep(amount, party=None, text="", company=CO, currency="EUR", name="BT-1"):
	return Deposit(name, company, currency, Decimal(amount), party, text)


# --- examples ----------------------------------------------------------------------------------------


def test_invoice_number_in_the_description_holds_it_whatever_the_amount():
	invoices = [inv("ACC-SINV-2026-00012", amount="1200.00"), inv("ACC-SINV-2026-00013")]
	found = match_deposits([dep("400.00", text="VIR SEPA ACME FACT ACC-SINV-2026-00012")], invoices)
	assert list(found) == ["ACC-SINV-2026-00012"]
	(m,) = found["ACC-SINV-2026-00012"]
	assert (m.how, m.deposit, m.partial) == (BY_REFERENCE, "BT-1", True)


def test_number_written_without_separators_or_in_lower_case_still_names_it():
	invoice = inv("ACC-SINV-2026-00012")
	assert named_in("virement accsinv202600012 merci", invoice)
	assert named_in("Facture acc-sinv-2026-00012", invoice)
	assert named_in("ACC SINV 2026 00012", invoice)


def test_a_longer_number_does_not_name_a_shorter_one():
	invoice = inv("ACC-SINV-2026-0001")
	assert not named_in("ACC-SINV-2026-00012", invoice)
	assert not named_in("XACC-SINV-2026-0001", invoice)
	assert named_in("ACC-SINV-2026-0001, ACC-SINV-2026-00012", invoice)


def test_rf_reference_in_the_description_holds_the_invoice_printed_or_compact():
	invoice = inv("ACC-SINV-2026-00012")
	ref = rf_reference(invoice.name)
	for text in (ref, format_reference(ref), f"/RF/{ref}/EREF", f"REF {format_reference(ref).lower()}"):
		assert named_in(text, invoice), text
	other = rf_reference("ACC-SINV-2026-00013")
	assert not named_in(other, invoice)


def test_party_and_amount_due_hold_the_invoice_of_that_amount():
	invoices = [inv("SI-1", amount="100.00"), inv("SI-2", amount="250.00")]
	found = match_deposits([dep("250.00", party="C1")], invoices)
	assert {k: [m.how for m in v] for k, v in found.items()} == {"SI-2": [BY_AMOUNT]}


def test_an_amount_matching_another_customers_invoice_holds_nothing():
	invoices = [inv("SI-1", customer="C1", amount="100.00"), inv("SI-2", customer="C2", amount="250.00")]
	assert match_deposits([dep("250.00", party="C1")], invoices) == {}
	assert match_deposits([dep("250.00")], invoices) == {}  # nobody known: an amount alone is nothing


def test_one_transfer_paying_several_invoices_holds_each():
	invoices = [inv("SI-1", amount="100.00"), inv("SI-2", amount="250.00"), inv("SI-3", amount="40.00")]
	found = match_deposits([dep("140.00", party="C1")], invoices)
	assert sorted(found) == ["SI-1", "SI-3"]
	assert {m.how for ms in found.values() for m in ms} == {BY_AMOUNTS}


def test_several_invoice_numbers_in_one_transfer():
	invoices = [inv("SI-2026-001"), inv("SI-2026-002"), inv("SI-2026-003")]
	found = match_deposits([dep("200.00", text="SI-2026-001 SI-2026-003")], invoices)
	assert sorted(found) == ["SI-2026-001", "SI-2026-003"]
	assert not any(m.partial for ms in found.values() for m in ms)


def test_same_amount_twice_holds_the_oldest_only():
	invoices = [inv("SI-2", amount="100.00", due=DAY), inv("SI-1", amount="100.00", due=DAY - timedelta(30))]
	assert list(match_deposits([dep("100.00", party="C1")], invoices)) == ["SI-1"]


def test_other_company_currency_and_withdrawals_hold_nothing():
	invoices = [inv("SI-2026-001", amount="100.00")]
	assert match_deposits([dep("100.00", party="C1", text="SI-2026-001", company="Other")], invoices) == {}
	assert match_deposits([dep("100.00", party="C1", currency="USD")], invoices) == {}
	assert match_deposits([dep("0", party="C1", text="SI-2026-001")], invoices) == {}


def test_many_open_invoices_paid_oldest_first():
	invoices = [inv(f"SI-{i:03}", amount="10.00", due=DAY + timedelta(i)) for i in range(MAX_SUBSET + 5)]
	how, paid = paid_by_amount(Decimal("30.00"), invoices)
	assert how == BY_AMOUNT or [i.name for i in paid] == ["SI-000", "SI-001", "SI-002"]
	invoices[0] = inv("SI-000", amount="7.00", due=DAY)
	how, paid = paid_by_amount(Decimal("27.00"), invoices)
	assert (how, [i.name for i in paid]) == (BY_AMOUNTS, ["SI-000", "SI-001", "SI-002"])


# --- properties --------------------------------------------------------------------------------------

cents = st.integers(1, 500_000).map(lambda c: Decimal(c) / 100)
customers = st.sampled_from(["C1", "C2", "C3"])


@st.composite
def books(draw):
	n = draw(st.integers(1, 10))
	return [
		inv(f"SI-{i:04}", draw(customers), str(draw(cents)), DAY + timedelta(draw(st.integers(-90, 30))))
		for i in range(n)
	]


@settings(max_examples=200, deadline=None)
@given(books(), customers, cents)
def test_an_amount_only_ever_holds_the_paying_customers_invoices(invoices, party, amount):
	"""No false hold: a deposit without a reference holds only invoices of its party, whose amounts
	due add up to the deposit exactly."""
	found = match_deposits([dep(amount, party=party)], invoices)
	held = [i for i in invoices if i.name in found]
	assert all(i.customer == party for i in held)
	if held:
		assert sum(i.amount_due for i in held) == amount


@settings(max_examples=200, deadline=None)
@given(books(), customers, st.data())
def test_paying_one_invoice_exactly_holds_an_invoice_of_that_amount(invoices, party, data):
	own = [i for i in invoices if i.customer == party]
	if not own:
		return
	target = data.draw(st.sampled_from(own))
	found = match_deposits([dep(target.amount_due, party=party)], invoices)
	(held,) = found  # one invoice, of that amount (the oldest of that amount)
	assert next(i for i in invoices if i.name == held).amount_due == target.amount_due


@settings(max_examples=200, deadline=None)
@given(books(), st.data(), st.sampled_from(["0.01", "0.5", "1"]))
def test_a_named_invoice_is_held_for_any_amount_and_only_it(invoices, data, share):
	"""Partial amounts: a transfer naming an invoice holds it, whatever it pays of it, and nothing else
	(even when its amount equals another invoice's)."""
	target = data.draw(st.sampled_from(invoices))
	amount = max(Decimal("0.01"), (target.amount_due * Decimal(share)).quantize(Decimal("0.01")))
	found = match_deposits([dep(amount, party=target.customer, text=f"Paiement {target.name}")], invoices)
	assert list(found) == [target.name]
	(m,) = found[target.name]
	assert m.partial == (amount < target.amount_due)


@settings(max_examples=200, deadline=None)
@given(books(), customers, st.data())
def test_one_transfer_for_several_invoices_holds_a_set_adding_up_to_it(invoices, party, data):
	own = [i for i in invoices if i.customer == party]
	if len(own) < 2:
		return
	chosen = data.draw(st.lists(st.sampled_from(own), min_size=2, max_size=len(own), unique=True))
	total = sum(i.amount_due for i in chosen)
	found = match_deposits([dep(total, party=party)], invoices)
	held = [i for i in invoices if i.name in found]
	assert held, "the amounts add up: some invoices of the customer are held"
	assert all(i.customer == party for i in held)
	assert sum(i.amount_due for i in held) == total


def test_rf_reference_alone_finds_its_invoice_among_many():
	invoices = [inv(f"ACC-SINV-2026-{i:05}", customer=f"C{i % 7}") for i in range(300)]
	target = invoices[123]
	text = f"/ROC/{format_reference(rf_reference(target.name))}/ VIR SEPA"
	found = match_deposits([dep("100.00", text=text)], invoices)
	assert list(found) == [target.name]
	long_name = "ACC-SINV-2026-BRANCH-PARIS-00012"  # a digest in its reference
	found = match_deposits([dep("10.00", text=rf_reference(long_name))], [inv(long_name), *invoices[:5]])
	assert list(found) == [long_name]
