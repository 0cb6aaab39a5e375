"""The mandatory payment mentions of a French invoice and their agreement with a policy."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from relance_app.constants import CONTRACTUAL_RATE, LEGAL_RATE
from relance_app.engine.mentions import mention_agrees, mention_lines, mentions_html


def test_french_mentions_on_the_legal_basis():
	lines = mention_lines(LEGAL_RATE, 0, 40, "EUR", 0, "fr")
	assert "majoré de 10 points" in lines[0] and "L441-10" in lines[0]
	assert "40 €" in lines[1] and "D441-5" in lines[1]
	assert lines[2] == "Escompte pour paiement anticipé : néant."


def test_contractual_rate_and_discount_in_english():
	lines = mention_lines(CONTRACTUAL_RATE, Decimal("12.5"), 40, "EUR", 2, "en")
	assert "annual rate of 12.50%" in lines[0]
	assert "EUR 40" in lines[1]
	assert lines[2] == "Early-payment discount: 2%."


def test_a_text_agrees_with_its_policy_and_not_with_another():
	text = mentions_html(basis=CONTRACTUAL_RATE, rate=12, language="fr")
	assert mention_agrees(text, CONTRACTUAL_RATE, 12)
	assert not mention_agrees(text, CONTRACTUAL_RATE, 13)
	assert not mention_agrees(text, LEGAL_RATE, 0)
	legal = mentions_html(basis=LEGAL_RATE, language="fr").replace("'", "\u2019")  # typographic quote
	assert mention_agrees(f"<div>{legal}</div>", LEGAL_RATE, 0)
	assert not mention_agrees("", LEGAL_RATE, 0)


@given(
	st.sampled_from((LEGAL_RATE, CONTRACTUAL_RATE)),
	st.decimals(min_value=Decimal("0.01"), max_value=Decimal("40"), places=2),
	st.sampled_from(("fr", "en")),
)
def test_the_generated_text_always_agrees_with_what_generated_it(basis, rate, language):
	assert mention_agrees(mentions_html(basis=basis, rate=rate, language=language), basis, rate, language)
