"""The payment mentions every French B2B invoice must print (Code de commerce L441-9, L441-10, D441-5):
the late-payment penalty rate, the fixed recovery indemnity, the early-payment discount (none unless
set). The text of a company's Terms and Conditions, and whether a text says what a policy applies.

The rate sentence is the one thing a policy decides: the legal basis (ECB refinancing rate + 10
points) or a contractual annual rate. A text agrees with a policy when it holds the policy's rate
sentence, whatever else it says (HTML, spaces and case aside).
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

from relance_app.constants import CONTRACTUAL_RATE, LEGAL_RATE

TEXTS = {
	"fr": {
		"title": "Conditions de paiement",
		"legal_rate": "au taux d'intérêt appliqué par la Banque centrale européenne à son opération de "
		"refinancement la plus récente, majoré de 10 points de pourcentage",
		"contractual_rate": "au taux annuel de {rate} %",
		"penalties": "Pénalités de retard (article L441-10 du Code de commerce) : exigibles de plein droit "
		"dès le jour suivant la date d'échéance, sans qu'un rappel soit nécessaire, {rate}.",
		"indemnity": "Indemnité forfaitaire pour frais de recouvrement (article D441-5 du Code de "
		"commerce) : {amount} par facture payée en retard, due de plein droit en sus des pénalités.",
		"no_discount": "Escompte pour paiement anticipé : néant.",
		"discount": "Escompte pour paiement anticipé : {rate} %.",
		"money": "{amount} {currency}",
	},
	"en": {
		"title": "Payment terms",
		"legal_rate": "at the interest rate applied by the European Central Bank to its most recent "
		"refinancing operation plus 10 percentage points",
		"contractual_rate": "at the annual rate of {rate}%",
		"penalties": "Late-payment penalties (article L441-10 of the French Commercial Code): due by "
		"right from the day after the due date, without any reminder, {rate}.",
		"indemnity": "Fixed recovery indemnity (article D441-5 of the French Commercial Code): {amount} "
		"per invoice paid late, due by right in addition to the penalties.",
		"no_discount": "Early-payment discount: none.",
		"discount": "Early-payment discount: {rate}%.",
		"money": "{currency} {amount}",
	},
}
SYMBOLS = {"EUR": "€"}


def texts(language: str | None) -> dict[str, str]:
	return TEXTS.get((language or "fr").split("-")[0].lower(), TEXTS["en"])


def number(value, language: str | None) -> str:
	"""10 -> '10', 10.5 -> '10,50' (fr) / '10.50' (en)."""
	value = Decimal(str(value or 0))
	out = f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
	return out.replace(".", ",") if texts(language) is TEXTS["fr"] else out


def rate_phrase(basis: str, rate, language: str | None = "fr") -> str:
	t = texts(language)
	if basis == CONTRACTUAL_RATE:
		return t["contractual_rate"].format(rate=number(rate, language))
	return t["legal_rate"]


def mention_lines(
	basis: str = LEGAL_RATE,
	rate=0,
	indemnity=40,
	currency: str = "EUR",
	discount=0,
	language: str | None = "fr",
) -> list[str]:
	t = texts(language)
	symbol = SYMBOLS.get(currency, currency) if t is TEXTS["fr"] else currency
	amount = t["money"].format(amount=number(indemnity, language), currency=symbol)
	discount_line = (
		t["discount"].format(rate=number(discount, language))
		if Decimal(str(discount or 0)) > 0
		else t["no_discount"]
	)
	return [
		t["penalties"].format(rate=rate_phrase(basis, rate, language)),
		t["indemnity"].format(amount=amount),
		discount_line,
	]


def mentions_html(**kwargs) -> str:
	"""The Terms and Conditions text: a title and one paragraph per mention."""
	t = texts(kwargs.get("language", "fr"))
	paragraphs = "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in mention_lines(**kwargs))
	return f"<p><strong>{t['title']}</strong></p>{paragraphs}"


def plain(text: str | None) -> str:
	"""HTML to comparable text: no tags, entities read, one space, lower case, one apostrophe."""
	text = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
	text = text.replace("\u2019", "'").replace("\u00a0", " ").replace("\u202f", " ")
	return re.sub(r"\s+", " ", text).strip().lower()


def mention_agrees(text: str | None, basis: str, rate, language: str | None = "fr") -> bool:
	"""Whether a printed text states the policy's rate basis."""
	return plain(rate_phrase(basis, rate, language)) in plain(text)
