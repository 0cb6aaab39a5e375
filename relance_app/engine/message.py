"""Everything a stage email or letter needs, built from plain data.

The result is a dict of plain values (str, int, bool, lists and dicts of them) so Jinja templates,
the preview and the tests see the same thing. Amounts are given both raw (Decimal) and formatted
for the customer's language in the invoice's currency; the fixed indemnity keeps its own currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from relance_app.engine.models import (
	LEGAL_RATE,
	RELANCE_STATUSES,
	SENT,
	ZERO,
	HistoryEntry,
	InterestLine,
	Payment,
	Penalties,
	Policy,
	SemesterRate,
	Stage,
)
from relance_app.engine.payment_ref import format_reference, rf_reference
from relance_app.engine.penalties import RateTable, compute_penalties, currency_precision, round_money
from relance_app.engine.sepa_qr import transfer_details

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "JPY": "¥", "CAD": "$ CA"}
NBSP = "\u00a0"
NNBSP = "\u202f"  # French thousands separator

MONTHS = {
	"fr": (
		"janvier",
		"février",
		"mars",
		"avril",
		"mai",
		"juin",
		"juillet",
		"août",
		"septembre",
		"octobre",
		"novembre",
		"décembre",
	),
	"en": (
		"January",
		"February",
		"March",
		"April",
		"May",
		"June",
		"July",
		"August",
		"September",
		"October",
		"November",
		"December",
	),
}

COURTEOUS = "courteous"
FIRM = "firm"


def base_language(language: str | None) -> str:
	"""'fr-FR' -> 'fr'; anything we do not ship falls back to English."""
	lang = (language or "fr").split("-")[0].split("_")[0].lower()
	return lang if lang in MONTHS else "en"


def format_date(day: date | None, language: str = "fr") -> str:
	"""12/03/2026 in French, 12 March 2026 in English."""
	if day is None:
		return ""
	if base_language(language) == "fr":
		return day.strftime("%d/%m/%Y")
	return f"{day.day} {MONTHS['en'][day.month - 1]} {day.year}"


def format_date_long(day: date | None, language: str = "fr") -> str:
	"""12 mars 2026 / 12 March 2026 (1er for the first day in French)."""
	if day is None:
		return ""
	lang = base_language(language)
	dd = "1er" if lang == "fr" and day.day == 1 else str(day.day)
	return f"{dd} {MONTHS[lang][day.month - 1]} {day.year}"


def format_money(amount, currency: str = "EUR", language: str = "fr", precision: int | None = None) -> str:
	"""1 234,56 € in French, €1,234.56 in English; rounded to the currency's minor unit."""
	places = currency_precision(currency, precision)
	value = round_money(Decimal(amount), currency, places)
	sign = "-" if value < 0 else ""
	text = f"{abs(value):,.{places}f}"  # 1,234.56
	symbol = CURRENCY_SYMBOLS.get(currency, currency)
	if base_language(language) == "fr":
		text = text.replace(",", NNBSP).replace(".", ",")
		return f"{sign}{text}{NBSP}{symbol}"
	if len(symbol) == 1:
		return f"{sign}{symbol}{text}"
	return f"{sign}{text}{NBSP}{symbol}"


def choose_tone(
	avg_days_late: float, late_invoices: int, firm_avg_days: float = 15, firm_late_count: int = 3
) -> str:
	"""Courteous for a usually punctual customer, firm for a chronic late payer."""
	if (firm_avg_days and avg_days_late >= firm_avg_days) or (
		firm_late_count and late_invoices >= firm_late_count
	):
		return FIRM
	return COURTEOUS


@dataclass(frozen=True, slots=True)
class PaymentRecord:
	due_date: date
	paid_date: date | None  # None: still unpaid


def payment_behaviour(
	records: Iterable[PaymentRecord], as_of: date, window_days: int = 365
) -> tuple[float, int]:
	"""(average days late, number of late invoices) over invoices due in the last `window_days`.

	Unpaid invoices count as late up to `as_of`; invoices paid on time count as 0 days late.
	"""
	total = count = late = 0
	for r in records:
		if r.due_date > as_of or (as_of - r.due_date).days > window_days:
			continue
		end = r.paid_date or as_of
		d = max(0, (end - r.due_date).days)
		count += 1
		total += d
		late += d > 0
	return (round(total / count, 1) if count else 0.0), late


@dataclass(frozen=True, slots=True)
class InvoiceData:
	"""One invoice as the message shows it."""

	name: str
	posting_date: date | None
	due_date: date
	grand_total: Decimal
	outstanding: Decimal
	amount_due: Decimal
	currency: str = "EUR"
	precision: int | None = None
	customer_type: str = "Company"
	pay_link: str | None = None
	payment_terms: str | None = None
	history: tuple[HistoryEntry, ...] = ()
	penalties: Penalties | None = None


@dataclass(frozen=True, slots=True)
class Party:
	name: str
	contact_name: str | None = None
	email: str | None = None
	phone: str | None = None
	address: str | None = None
	extra: dict = field(default_factory=dict)


def _relance_number(stage: Stage, stages: Sequence[Stage]) -> int:
	"""1 for the first stage after the due date; 0 for pre-due stages."""
	if stage.is_pre_due:
		return 0
	post = [s for s in sorted(stages, key=lambda s: (s.offset_days, s.idx)) if not s.is_pre_due]
	return next((i + 1 for i, s in enumerate(post) if s.stage_name == stage.stage_name), 0)


def _earlier_relances(history: Iterable[HistoryEntry], stages: Sequence[Stage], language: str) -> list[dict]:
	channel_of = {s.stage_name: s.channel for s in stages}
	rows = sorted((h for h in history if h.status in RELANCE_STATUSES), key=lambda h: h.date)
	return [
		{
			"number": i + 1,
			"stage_name": h.stage_name,
			"date": format_date(h.date, language),
			"date_iso": h.date.isoformat(),
			"channel": channel_of.get(h.stage_name, ""),
		}
		for i, h in enumerate(rows)
	]


def _invoice_dict(
	inv: InvoiceData, stages: Sequence[Stage], as_of: date, language: str, include_penalties: bool
) -> dict:
	def money(x):
		return format_money(x, inv.currency, language, inv.precision)

	days_late = max(0, (as_of - inv.due_date).days)
	d = {
		"name": inv.name,
		"number": inv.name,
		"reference": format_reference(rf_reference(inv.name)),
		"posting_date": format_date(inv.posting_date, language),
		"due_date": format_date(inv.due_date, language),
		"due_date_long": format_date_long(inv.due_date, language),
		"due_date_iso": inv.due_date.isoformat(),
		"days_late": days_late,
		"days_to_due": max(0, (inv.due_date - as_of).days),
		"is_overdue": days_late > 0,
		"currency": inv.currency,
		"grand_total": inv.grand_total,
		"grand_total_formatted": money(inv.grand_total),
		"outstanding": inv.outstanding,
		"outstanding_formatted": money(inv.outstanding),
		"amount_due": inv.amount_due,
		"amount_due_formatted": money(inv.amount_due),
		"pay_link": inv.pay_link or "",
		"payment_terms": inv.payment_terms or "",
		"earlier_relances": _earlier_relances(inv.history, stages, language),
		"penalties": None,
		"total_with_penalties": inv.amount_due,
		"total_with_penalties_formatted": money(inv.amount_due),
	}
	p = inv.penalties
	if include_penalties and p is not None:
		total = inv.amount_due + p.total_in_invoice_currency
		lines = [_line_dict(line, money, language) for line in p.lines]
		d["penalties"] = {
			"rate": p.rate,
			"rate_formatted": format_rate(p.rate, language),
			"rates_formatted": " / ".join(format_rate(r, language) for r in p.rates),
			"rates_text": rates_text(p, language, inv.currency, inv.precision),
			"is_legal_rate": p.basis == LEGAL_RATE,
			"basis_text": _basis_text(p, language),
			"lines": lines,
			"line_count": len(lines),
			"assumed": p.assumed,
			"days_late": p.days_late,
			"interest": p.interest,
			"interest_formatted": money(p.interest),
			"indemnity": p.indemnity,
			"indemnity_currency": p.indemnity_currency,
			"indemnity_formatted": format_money(p.indemnity, p.indemnity_currency, language),
			"has_indemnity": p.indemnity > 0,
			"total": p.total_in_invoice_currency,
			"total_formatted": money(p.total_in_invoice_currency),
		}
		d["total_with_penalties"] = total
		d["total_with_penalties_formatted"] = money(total)
	return d


def _line_dict(line: InterestLine, money, language: str) -> dict:
	return {
		"start": format_date(line.start, language),
		"end": format_date(line.end, language),
		"days": line.days,
		"base": line.base,
		"base_formatted": money(line.base),
		"rate": line.rate,
		"rate_formatted": format_rate(line.rate, language),
		"amount": line.amount,
		"amount_formatted": money(line.amount),
		"assumed": line.assumed,
	}


def _basis_text(p: Penalties, language: str) -> str:
	if base_language(language) == "fr":
		if p.basis == LEGAL_RATE:
			return "taux de refinancement de la BCE majoré de 10 points, fixé par semestre selon l'article L441-10"
		return "taux contractuel"
	if p.basis == LEGAL_RATE:
		return "ECB refinancing rate plus 10 points, set per half-year under article L441-10"
	return "contractual rate"


def rates_text(p: Penalties, language: str, currency: str = "EUR", precision: int | None = None) -> str:
	"""The rate(s) and days behind the interest, for a sentence: "13,15 % l'an sur 31 jours", or per
	period "14,25 % l'an sur 46 jours du 16/11/2024 au 31/12/2024, puis 13,15 % l'an sur 41 jours du
	01/01/2025 au 10/02/2025", with the amount due of each period when a payment changed it."""
	lang = base_language(language)
	fr = lang == "fr"
	lines = p.lines
	if len(lines) <= 1:
		rate = lines[0].rate if lines else p.rate
		days = lines[0].days if lines else p.days_late
		return (
			f"{format_rate(rate, lang)} l'an sur {days} jours"
			if fr
			else f"{format_rate(rate, lang)} a year over {days} days"
		)
	show_base = len({line.base for line in lines}) > 1
	parts = []
	for line in lines:
		rate = format_rate(line.rate, lang)
		start, end = format_date(line.start, lang), format_date(line.end, lang)
		base = format_money(line.base, currency, lang, precision)
		if fr:
			text = f"{rate} l'an sur {line.days} jours du {start} au {end}"
			parts.append(text + (f" pour un montant dû de {base}" if show_base else ""))
		else:
			text = f"{rate} a year over {line.days} days from {start} to {end}"
			parts.append(text + (f" on {base} due" if show_base else ""))
	return (", puis " if fr else ", then ").join(parts)


def format_rate(rate: Decimal, language: str) -> str:
	"""14,50 % in French, 14.50% in English: two decimals at least, more when the rate has them."""
	value = Decimal(rate)
	exponent = value.normalize().as_tuple().exponent
	places = max(2, -exponent if isinstance(exponent, int) and exponent < 0 else 0)
	text = f"{value:.{places}f}"
	if base_language(language) == "fr":
		return text.replace(".", ",") + NBSP + "%"
	return text + "%"


def build_context(
	stage: Stage,
	stages: Sequence[Stage],
	invoices: Sequence[InvoiceData],
	as_of: date,
	company: Party,
	customer: Party,
	language: str = "fr",
	vous: bool = True,
	tone: str = COURTEOUS,
	include_penalties: bool | None = None,
	payment_details: dict | None = None,
	test_mode: bool = False,
	portal_url: str = "",
) -> dict:
	"""The template context of one message: one invoice, or several when the policy groups them.

	Top-level keys repeat the first invoice's (invoice_number, amount_due, due_date, days_late ...)
	so single-invoice templates stay short; `invoices` lists them all. `portal_url` is the customer's
	debtor page (empty: no link).
	"""
	if not invoices:
		raise ValueError("a relance is about at least one invoice")
	lang = base_language(language)
	with_penalties = stage.include_penalties if include_penalties is None else include_penalties
	rows = [_invoice_dict(inv, stages, as_of, lang, with_penalties) for inv in invoices]
	first, first_inv = rows[0], invoices[0]
	currencies = {inv.currency for inv in invoices}
	single_currency = len(currencies) == 1
	total_due = sum((inv.amount_due for inv in invoices), ZERO)
	total_with_penalties = sum((r["total_with_penalties"] for r in rows), ZERO)
	indemnities = sum((r["penalties"]["indemnity"] for r in rows if r["penalties"]), ZERO)

	def money(x):
		return format_money(x, first_inv.currency, lang, first_inv.precision) if single_currency else ""

	return {
		"language": lang,
		"language_code": language or lang,
		"vous": bool(vous),
		"tu": not vous,
		"tone": tone,
		"firm": tone == FIRM,
		"test_mode": bool(test_mode),
		"stage": _stage_dict(stage, stages),
		"relance_date": format_date(as_of, lang),
		"relance_date_long": format_date_long(as_of, lang),
		"relance_date_iso": as_of.isoformat(),
		# the first (often only) invoice, flat
		**_first_invoice(first, first_inv.currency),
		"include_penalties": bool(with_penalties),
		# all invoices of the message
		"invoices": rows,
		"invoice_count": len(rows),
		"invoice_numbers": ", ".join(r["number"] for r in rows),
		"single_currency": single_currency,
		"total_amount_due": money(total_due),
		"total_with_penalties": money(total_with_penalties),
		"total_indemnity": format_money(indemnities, rows[0]["penalties"]["indemnity_currency"], lang)
		if rows[0]["penalties"]
		else "",
		**_parties(company, customer),
		"payment": payment_context(payment_details, company.name, invoices, lang),
		"portal_url": portal_url or "",
	}


def payment_context(payment_details: dict | None, beneficiary: str, invoices, language: str) -> dict:
	"""The company's bank details, the transfer's reference and, when one can be made, the SEPA QR
	code's fields (`qr`, its payload; the Frappe side adds the image as `qr.src`)."""
	out = dict(payment_details or {})
	details = transfer_details(out, beneficiary, [(i.name, i.amount_due, i.currency) for i in invoices])
	if details:
		currency = details["currency"]
		details["amount_formatted"] = format_money(details["amount"], currency, language) if currency else ""
	out["reference"] = format_reference(rf_reference(invoices[0].name)) if len(invoices) == 1 else ""
	out["transfer"] = details
	out["qr"] = details if details and details["payload"] else None
	return out


def _stage_dict(stage: Stage, stages: Sequence[Stage]) -> dict:
	return {
		"name": stage.stage_name,
		"number": _relance_number(stage, stages),
		"offset_days": stage.offset_days,
		"is_pre_due": stage.is_pre_due,
		"channel": stage.channel,
		"is_formal": stage.create_dunning or stage.requires_approval,
	}


def _first_invoice(first: dict, currency: str) -> dict:
	"""The first (often only) invoice's keys at the top of the context."""
	return {
		"invoice_number": first["number"],
		"invoice_date": first["posting_date"],
		"due_date": first["due_date"],
		"due_date_long": first["due_date_long"],
		"days_late": first["days_late"],
		"days_to_due": first["days_to_due"],
		"is_overdue": first["is_overdue"],
		"amount_due": first["amount_due_formatted"],
		"grand_total": first["grand_total_formatted"],
		"outstanding": first["outstanding_formatted"],
		"currency": currency,
		"pay_link": first["pay_link"],
		"payment_terms": first["payment_terms"],
		"earlier_relances": first["earlier_relances"],
		"penalties": first["penalties"],
	}


def company_dict(company: Party) -> dict:
	"""The creditor as every document's context shows it."""
	return {
		"name": company.name,
		"contact_name": company.contact_name or "",
		"email": company.email or "",
		"phone": company.phone or "",
		"address": company.address or "",
		**company.extra,
	}


def _parties(company: Party, customer: Party) -> dict:
	return {
		"company": company_dict(company),
		"customer": {
			"name": customer.name,
			"contact_name": customer.contact_name or "",
			"email": customer.email or "",
			**customer.extra,
		},
	}


def sample_context(language: str = "fr", stage: Stage | None = None, stages: Sequence[Stage] = ()) -> dict:
	"""A full context on made-up data, used to check templates when a policy is saved."""
	stage = stage or Stage("Relance 1", 5, include_penalties=True)
	stages = tuple(stages) or (stage,)
	as_of = date(2026, 3, 20)
	due = date(2026, 3, 1)
	policy = Policy("sample", stages, late_interest_rate=Decimal("13.15"), interest_basis=LEGAL_RATE)
	# a partial payment in the period, so the sample shows several interest lines
	rates = RateTable([SemesterRate(date(2026, 1, 1), Decimal("2.15"), Decimal("2.62"))])
	payments = [Payment(date(2026, 3, 10), Decimal("560.00"))]
	history = (HistoryEntry("Pré-relance", SENT, date(2026, 2, 24)),)
	inv = InvoiceData(
		name="ACC-SINV-2026-00042",
		posting_date=date(2026, 1, 30),
		due_date=due,
		grand_total=Decimal("2000.00"),
		outstanding=Decimal("1440.00"),
		amount_due=Decimal("1440.00"),
		pay_link="https://example.com/invoices/ACC-SINV-2026-00042",
		payment_terms="30 jours fin de mois",
		history=history,
		penalties=compute_penalties(
			policy, Decimal("1440.00"), due, as_of, "Company", rates=rates, payments=payments
		),
	)
	return build_context(
		stage,
		stages,
		[inv],
		as_of,
		Party(
			"Exemple SARL",
			"Marie Martin",
			"compta@exemple.fr",
			"01 23 45 67 89",
			"1 rue de la Paix, 75002 Paris",
		),
		Party("Client SAS", "Jean Dupont", "jean.dupont@client.fr"),
		language=language,
		payment_details={"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP", "bank": "Banque"},
		portal_url="https://example.com/relance/sample-link",
	)
