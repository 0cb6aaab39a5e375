from datetime import date
from decimal import Decimal

from factories import FRENCH_STAGES, MED, PRE, R1, R3, h, invoice_data

from relance_app.engine.message import (
	FIRM,
	Party,
	PaymentRecord,
	base_language,
	build_context,
	choose_tone,
	format_date,
	format_date_long,
	format_money,
	payment_behaviour,
	sample_context,
)
from relance_app.engine.models import FAILED, SENT, SKIPPED

AS_OF = date(2026, 4, 1)
DUE = date(2026, 3, 1)
COMPANY = Party("Exemple SARL", "Marie Martin", "compta@exemple.fr", "01 23 45 67 89")
CUSTOMER = Party("Client SAS", "Jean Dupont", "jean@client.fr")


def inv(name="SINV-1", amount="1234.5", currency="EUR", history=(), with_penalties=True, **kw):
	return invoice_data(name, amount, currency, DUE, AS_OF, history, with_penalties, **kw)


def test_money_and_dates_per_language():
	assert format_money(Decimal("1234.5"), "EUR", "fr") == "1\u202f234,50\u00a0€"
	assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"
	assert format_money(Decimal("-3"), "USD", "en") == "-$3.00"
	assert format_money(Decimal("1234.5"), "JPY", "fr") == "1\u202f235\u00a0¥"
	assert format_money(Decimal("10"), "CHF", "en") == "10.00\u00a0CHF"
	assert format_date(date(2026, 3, 12), "fr") == "12/03/2026"
	assert format_date(date(2026, 3, 12), "en") == "12 March 2026"
	assert format_date_long(date(2026, 3, 1), "fr") == "1er mars 2026"
	assert format_date_long(date(2026, 8, 15), "fr-FR") == "15 août 2026"
	assert base_language("de") == "en" and base_language(None) == "fr"


def test_single_invoice_context_has_everything_the_seeds_ask_for():
	history = [
		h(PRE, SENT, date(2026, 2, 24)),
		h(R1, SENT, date(2026, 3, 6)),
		h("Relance 2", FAILED, date(2026, 3, 16)),
	]
	ctx = build_context(
		R3, FRENCH_STAGES, [inv(history=history)], AS_OF, COMPANY, CUSTOMER, payment_details={"iban": "FR76"}
	)
	assert ctx["invoice_number"] == "SINV-1"
	assert ctx["amount_due"] == "1\u202f234,50\u00a0€"
	assert ctx["due_date"] == "01/03/2026"
	assert ctx["days_late"] == 31
	assert ctx["relance_date"] == "01/04/2026"
	assert [(r["number"], r["stage_name"], r["date"]) for r in ctx["earlier_relances"]] == [
		(1, "Pré-relance", "24/02/2026"),
		(2, "Relance 1", "06/03/2026"),
	]
	assert ctx["stage"]["number"] == 3 and not ctx["stage"]["is_pre_due"]
	p = ctx["penalties"]
	assert p["interest"] == Decimal("13.79")  # 1234.50 x 13.15 % x 31 / 365
	assert p["indemnity_formatted"] == "40,00\u00a0€"
	assert p["rate_formatted"] == "13,15\u00a0%"
	assert ctx["company"]["email"] == "compta@exemple.fr" and ctx["company"]["phone"]
	assert ctx["payment"]["iban"] == "FR76"
	assert ctx["vous"] and not ctx["tu"]


def test_penalties_only_on_stages_that_include_them():
	ctx = build_context(R1, FRENCH_STAGES, [inv()], AS_OF, COMPANY, CUSTOMER)
	assert ctx["penalties"] is None and not ctx["include_penalties"]
	assert build_context(R1, FRENCH_STAGES, [inv()], AS_OF, COMPANY, CUSTOMER, include_penalties=True)[
		"penalties"
	]


def test_grouped_context_lists_every_invoice_and_totals():
	invoices = [inv("A", "100"), inv("B", "250.25")]
	ctx = build_context(MED, FRENCH_STAGES, invoices, AS_OF, COMPANY, CUSTOMER, language="en", vous=False)
	assert ctx["invoice_count"] == 2 and ctx["invoice_numbers"] == "A, B"
	assert ctx["total_amount_due"] == "€350.25"
	assert ctx["total_indemnity"] == "€80.00"
	assert [r["amount_due_formatted"] for r in ctx["invoices"]] == ["€100.00", "€250.25"]
	assert ctx["tu"] and ctx["stage"]["is_formal"]


def test_mixed_currencies_have_no_total():
	ctx = build_context(R1, FRENCH_STAGES, [inv("A", "100"), inv("B", "5", "USD")], AS_OF, COMPANY, CUSTOMER)
	assert not ctx["single_currency"] and ctx["total_amount_due"] == ""


def test_pre_due_stage_numbering_and_skipped_not_listed():
	history = [h(PRE, SKIPPED, date(2026, 3, 2))]
	ctx = build_context(PRE, FRENCH_STAGES, [inv(history=history)], date(2026, 2, 24), COMPANY, CUSTOMER)
	assert ctx["stage"]["number"] == 0 and ctx["stage"]["is_pre_due"]
	assert ctx["earlier_relances"] == [] and ctx["days_to_due"] == 5 and not ctx["is_overdue"]


def test_tone_from_payment_history():
	records = [
		PaymentRecord(date(2026, 1, 1), date(2026, 1, 31)),  # 30 late
		PaymentRecord(date(2026, 2, 1), date(2026, 1, 25)),  # early
		PaymentRecord(date(2026, 3, 1), None),  # unpaid: 31 late on 1 April
		PaymentRecord(date(2024, 3, 1), date(2024, 9, 1)),  # out of the window
		PaymentRecord(date(2026, 5, 1), None),  # not due yet
	]
	avg, late = payment_behaviour(records, AS_OF)
	assert (avg, late) == (20.3, 2)
	assert choose_tone(avg, late, firm_avg_days=15, firm_late_count=5) == FIRM
	assert choose_tone(avg, late, firm_avg_days=30, firm_late_count=5) == "courteous"
	assert choose_tone(0, 3, firm_avg_days=30, firm_late_count=3) == FIRM
	assert payment_behaviour([], AS_OF) == (0.0, 0)


def test_sample_context_is_complete_in_both_languages():
	for lang in ("fr", "en"):
		ctx = sample_context(lang)
		assert ctx["penalties"] and ctx["pay_link"] and ctx["earlier_relances"] and ctx["language"] == lang


def test_pick_template_most_specific_wins():
	from relance_app.engine.template_choice import TemplateVariant, pick_template

	rows = [
		TemplateVariant("Relance 1", "R1 en", "en"),
		TemplateVariant("Relance 1", "R1 fr firm", "fr", "Firm"),
		TemplateVariant("Relance 1", "R1 en firm", "en", "Firm"),
		TemplateVariant("Relance 1", "R1 any firm", None, "Firm"),
		TemplateVariant("Relance 2", "R2 en", "en"),
	]
	assert pick_template("Relance 1", "R1 fr", rows, "fr", "courteous") == "R1 fr"
	assert pick_template("Relance 1", "R1 fr", rows, "fr", "firm") == "R1 fr firm"
	assert pick_template("Relance 1", "R1 fr", rows, "en-GB", "courteous") == "R1 en"
	assert pick_template("Relance 1", "R1 fr", rows, "en", "firm") == "R1 en firm"
	assert pick_template("Relance 1", "R1 fr", rows, "de", "firm") == "R1 any firm"
	assert pick_template("Relance 1", "R1 fr", rows, "de", "courteous") == "R1 fr"
	assert pick_template("Relance 3", None, rows, "en", "firm") is None
