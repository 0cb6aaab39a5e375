"""One language per document (issue 22): the template and its language, the debtor page's language,
and the formatting of dates, amounts and percentages in French and in English, for any value."""

import re
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from relance_app.engine.message import (
	MONTHS,
	format_date,
	format_date_long,
	format_money,
	format_rate,
)
from relance_app.engine.template_choice import TemplateVariant, choose_template, page_language

FRENCH_ONLY = [TemplateVariant("Relance 1", "R1 fr firm", "fr", "Firm")]
SHIPPED = [
	TemplateVariant("Relance 1", "R1 en", "en"),
	TemplateVariant("Relance 1", "R1 en firm", "en", "Firm"),
	TemplateVariant("Relance 1", "R1 fr firm", None, "Firm"),
	TemplateVariant("__thank_you__", "Thanks en", "en"),
]


# --- the template decides the language --------------------------------------------------------


def test_a_variant_in_the_customer_language_gives_its_language():
	choice = choose_template("Relance 1", "R1 fr", SHIPPED, "en-GB", "courteous", "fr")
	assert (choice.template, choice.language) == ("R1 en", "en")


def test_the_stage_template_is_in_the_policy_default_language():
	assert choose_template("Relance 1", "R1 fr", SHIPPED, "de", "courteous", "fr") == ("R1 fr", "fr")
	assert choose_template("Relance 1", "R1 it", [], "en", "courteous", "it").language == "it"
	assert choose_template("Relance 1", "R1 fr", [], None, None, None).language == "fr"


def test_an_english_customer_under_french_templates_only_gets_french():
	for tone in ("courteous", "firm"):
		assert choose_template("Relance 1", "R1 fr", FRENCH_ONLY, "en", tone, "fr").language == "fr"


def test_a_variant_without_language_is_in_the_default_language():
	choice = choose_template("Relance 1", "R1 fr", SHIPPED, "de", "firm", "fr")
	assert (choice.template, choice.language) == ("R1 fr firm", "fr")


def test_the_thank_you_has_variants_too():
	assert choose_template("__thank_you__", "Thanks fr", SHIPPED, "en", "courteous", "fr") == (
		"Thanks en",
		"en",
	)
	assert choose_template("__thank_you__", "Thanks fr", SHIPPED, "fr", "courteous", "fr") == (
		"Thanks fr",
		"fr",
	)


def test_the_page_language_is_the_customer_s_when_the_policy_writes_it():
	assert page_language("en", SHIPPED, "fr") == "en"
	assert page_language("en-US", SHIPPED, "fr") == "en"
	assert page_language("de", SHIPPED, "fr") == "fr"
	assert page_language(None, SHIPPED, "fr") == "fr"
	assert page_language("en", FRENCH_ONLY, "fr") == "fr"
	assert page_language("fr-CA", FRENCH_ONLY, None) == "fr"
	assert page_language("de", [], None) == "fr"


@given(
	st.sampled_from(["fr", "en", "en-GB", "fr-CA", "de", "", None]),
	st.sampled_from(["courteous", "firm", None]),
	st.sampled_from(["fr", "en", None]),
	st.sampled_from([SHIPPED, FRENCH_ONLY, []]),
)
def test_the_language_is_the_chosen_template_s(language, tone, default, variants):
	"""Whatever the customer: the language is the variant's when a variant with a language was
	chosen, else the policy's default (French without one)."""
	choice = choose_template("Relance 1", "R1 own", variants, language, tone, default)
	chosen = next((v for v in variants if v.email_template == choice.template), None)
	assert choice.language == ((chosen.language if chosen else None) or default or "fr")


# --- dates, amounts, percentages --------------------------------------------------------------

days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3, allow_nan=False)
OTHER = {"fr": "en", "en": "fr"}


def months_in(text: str, language: str) -> list[str]:
	return [m for m in MONTHS[language] if re.search(rf"(?<!\w){m}(?!\w)", text, re.I)]


@given(days)
def test_dates_in_both_languages(day):
	assert format_date(day, "fr") == day.strftime("%d/%m/%Y")
	long_fr = format_date_long(day, "fr")
	assert long_fr.endswith(f"{MONTHS['fr'][day.month - 1]} {day.year}")
	assert long_fr.startswith("1er " if day.day == 1 else f"{day.day} ")
	for language in ("fr", "en"):
		for text in (format_date(day, language), format_date_long(day, language)):
			assert not months_in(text, OTHER[language]), text
	assert format_date_long(day, "en") == f"{day.day} {MONTHS['en'][day.month - 1]} {day.year}"


@given(amounts, st.sampled_from(["EUR", "USD", "GBP"]))
def test_amounts_in_both_languages(amount, currency):
	fr, en = format_money(amount, currency, "fr"), format_money(amount, currency, "en")
	# French: "10 000,00 €": narrow no-break spaces between thousands, a comma, the symbol after
	assert re.fullmatch(r"-?\d{1,3}(\u202f\d{3})*,\d\d\u00a0[€$£]", fr), fr
	# English: "$1,234.56": commas between thousands, a point, the symbol before
	assert re.fullmatch(r"-?[€$£]\d{1,3}(,\d{3})*\.\d\d", en), en
	back = Decimal(en.lstrip("-")[1:].replace(",", "")) * (-1 if en.startswith("-") else 1)
	assert back == amount
	assert Decimal(fr[:-2].replace("\u202f", "").replace(",", ".")) == amount


def test_amounts_as_the_issue_writes_them():
	assert format_money(Decimal("10000"), "EUR", "fr") == "10\u202f000,00\u00a0€"
	assert format_money(Decimal("1234.56"), "USD", "en") == "$1,234.56"


@given(rates)
def test_percentages_in_both_languages(rate):
	fr, en = format_rate(rate, "fr"), format_rate(rate, "en")
	assert re.fullmatch(r"\d+,\d{2,3}\u00a0%", fr), fr
	assert re.fullmatch(r"\d+\.\d{2,3}%", en), en
	assert Decimal(en[:-1]) == rate
	assert fr.replace(",", ".").replace("\u00a0%", "") == en[:-1]


def test_percentages_as_the_issue_writes_them():
	assert format_rate(Decimal("14.5"), "fr") == "14,50\u00a0%"
	assert format_rate(Decimal("14.5"), "en") == "14.50%"
	assert format_rate(Decimal("12.15"), "fr") == "12,15\u00a0%"
