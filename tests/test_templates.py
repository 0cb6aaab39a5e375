"""The shipped email and letter texts meet the seeds' checklist, in French and in English, for every
variant (tu/vous, courteous/firm, one or several invoices, with or without penalties)."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import jinja2
import markupsafe
import pytest
from factories import FRENCH_STAGES, MED, PRE, R1, R3, h, invoice_data, policy

from relance_app.engine.message import Party, build_context, sample_context
from relance_app.engine.models import LEGAL_RATE, SENT, SemesterRate
from relance_app.engine.penalties import RateTable, compute_penalties

APP = Path(__file__).resolve().parent.parent / "relance_app"
TEMPLATES = APP / "templates" / "relance"
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
STAGE_OF = {
	"pre_relance": PRE,
	"relance_1": R1,
	"relance_1_firm": R1,
	"relance_2": FRENCH_STAGES[2],
	"relance_2_firm": FRENCH_STAGES[2],
	"relance_3": R3,
	"mise_en_demeure": MED,
	"thank_you": R1,
}
# the stage emails; the debtor page's promise confirmation is checked in test_portal.py
MANIFEST = [e for e in json.loads((TEMPLATES / "manifest.json").read_text()) if e["key"] in STAGE_OF]
AS_OF = date(2026, 4, 1)
DUE = date(2026, 3, 1)
COMPANY = Party("Exemple SARL", "Marie Martin", "compta@exemple.fr", "01 23 45 67 89")
CUSTOMER = Party("Client SAS", "", "")


def invoice(name="FAC-2026-0042", amount="1440.00", pay_link="https://exemple.fr/invoices/x", due=DUE):
	history = (h(PRE, SENT, date(2026, 2, 24)), h(R1, SENT, date(2026, 3, 6)))
	return invoice_data(name, amount, due=due, as_of=AS_OF, history=history, pay_link=pay_link)


def contexts(entry):
	stage = STAGE_OF[entry["key"]]
	lang = entry["language"]
	as_of = date(2026, 2, 24) if stage.is_pre_due else AS_OF
	base = dict(language=lang, payment_details={"iban": "FR76 3000 6000 0112", "bic": "AGRIFRPP"})
	yield "single", build_context(stage, FRENCH_STAGES, [invoice()], as_of, COMPANY, CUSTOMER, **base)
	yield "tu", build_context(stage, FRENCH_STAGES, [invoice()], as_of, COMPANY, CUSTOMER, vous=False, **base)
	yield (
		"grouped",
		build_context(
			stage,
			FRENCH_STAGES,
			[invoice(), invoice("FAC-2026-0043", "260.50")],
			as_of,
			COMPANY,
			CUSTOMER,
			**base,
		),
	)
	yield (
		"no link",
		build_context(stage, FRENCH_STAGES, [invoice(pay_link=None)], as_of, COMPANY, CUSTOMER, **base),
	)
	yield "sample", sample_context(lang, stage, FRENCH_STAGES)
	yield (
		"legal rate",
		build_context(stage, FRENCH_STAGES, [legal_rate_invoice()], as_of, COMPANY, CUSTOMER, **base),
	)


def legal_rate_invoice():
	"""Late since June 2025 at the legal rate: two periods (H1 2025, then H2 2025 and 2026 not entered)."""
	due = date(2025, 6, 1)
	table = RateTable(
		[SemesterRate(date(2025, 1, 1), Decimal("3.15")), SemesterRate(date(2025, 7, 1), Decimal("2.15"))]
	)
	pol = policy(interest_basis=LEGAL_RATE)
	inv = invoice(due=due)
	return replace(inv, penalties=compute_penalties(pol, inv.amount_due, due, AS_OF, "Company", rates=table))


def render(entry, ctx):
	subject = ENV.from_string(entry["subject"]).render(ctx)
	body = ENV.from_string((TEMPLATES / entry["file"]).read_text()).render(ctx)
	return subject, body


def test_manifest_covers_every_stage_in_both_languages():
	keys = {(e["key"], e["language"]) for e in MANIFEST}
	assert keys == {(k, lang) for k in STAGE_OF for lang in ("fr", "en")}
	assert len({e["name"] for e in MANIFEST}) == len(MANIFEST)
	assert all(len(e["subject"]) <= 140 for e in MANIFEST)  # Email Template subject is a Data field


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["name"])
def test_every_variant_renders_and_meets_the_checklist(entry):
	fr = entry["language"] == "fr"
	key = entry["key"]
	for variant, ctx in contexts(entry):
		subject, body = render(entry, ctx)
		assert ctx["invoice_number"] in subject, (variant, subject)
		assert ctx["invoice_number"] in body, variant
		assert COMPANY.name in body
		if key == "thank_you":
			continue
		assert ctx["amount_due"] in body or ctx["total_amount_due"] in body, variant
		assert ctx["due_date"] in body, variant
		assert COMPANY.email in body and COMPANY.phone in body, variant  # who to contact
		assert "FR76 3000 6000 0112" in body, variant  # how to pay
		if ctx["pay_link"]:
			assert ctx["pay_link"] in body, variant
		if variant == "grouped":
			assert "FAC-2026-0043" in body and ctx["total_amount_due"] in body, variant
		if key == "pre_relance":
			assert "L441-10" not in body  # courteous: no threat before the due date
			continue
		assert str(ctx["days_late"]) in body, variant
		for earlier in ctx["earlier_relances"]:
			assert earlier["date"] in body, variant
		assert "L441-10" in body and "D441-5" in body, variant  # consequences
		assert ctx["penalties"] is None or ctx["penalties"]["interest_formatted"] in body, variant
		if variant == "legal rate" and ctx["penalties"]:
			assert len(ctx["penalties"]["lines"]) == 2 and "13,15" in body.replace(".", ","), variant
		if ctx["penalties"]:  # the rate(s) and days behind the interest
			assert shown(ctx["penalties"]["rates_text"], body) or all(
				line["rate_formatted"] in body and line["amount_formatted"] in body
				for r in ctx["invoices"]
				for line in r["penalties"]["lines"]
			), variant
		if fr and variant == "tu":
			assert "vous" not in body.replace("vous adresserons", ""), variant


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_formal_notice_has_its_legal_mentions(lang):
	entry = next(e for e in MANIFEST if e["key"] == "mise_en_demeure" and e["language"] == lang)
	_subject, body = render(entry, sample_context(lang, MED, FRENCH_STAGES))
	needed = (
		("vaut mise en demeure", "injonction de payer", "8 jours", "1344")
		if lang == "fr"
		else ("constitutes formal notice", "payment order", "8 days")
	)
	for mention in needed:
		assert mention in body, mention
	ctx = sample_context(lang, MED, FRENCH_STAGES)
	assert ctx["penalties"]["indemnity_formatted"] in body  # indemnity shown apart
	assert ctx["total_with_penalties"] in body
	assert len(ctx["penalties"]["lines"]) == 2  # the sample has a payment in the period
	for line in ctx["penalties"]["lines"]:  # every period with its rate, days, amount due and interest
		for key in ("start", "end", "rate_formatted", "base_formatted", "amount_formatted"):
			assert line[key] in body, key


def test_letter_print_format_renders_with_its_jinja_method():
	source = (APP / "relance" / "print_format" / "mise_en_demeure" / "mise_en_demeure.html").read_text()
	ctx = sample_context("fr", MED, FRENCH_STAGES)
	env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
	env.globals["relance_letter_context"] = lambda doc: ctx
	html = env.from_string(source).render(doc={"address_display": "1 rue X"})
	for mention in (
		"vaut mise en demeure",
		"injonction de payer",
		"8 jours",
		"recommandée",
		ctx["invoice_number"],
	):
		assert mention in html, mention
	assert ctx["penalties"]["indemnity_formatted"] in html
	assert shown(ctx["penalties"]["rates_text"], html)
	for line in ctx["penalties"]["lines"]:
		for key in ("start", "end", "rate_formatted", "base_formatted", "amount_formatted"):
			assert line[key] in html, key


def shown(text, html):
	"""`text` as an autoescaping template writes it."""
	return str(markupsafe.escape(text)) in html or text in html
