"""The shipped email and letter texts meet the seeds' checklist, in French and in English, for every
variant (tu/vous, courteous/firm, one or several invoices, with or without penalties)."""

import json
from datetime import date
from pathlib import Path

import jinja2
import pytest
from factories import FRENCH_STAGES, MED, PRE, R1, R3, h, invoice_data

from relance_app.engine.context import Party, build_context, sample_context
from relance_app.engine.models import SENT

APP = Path(__file__).resolve().parent.parent / "relance_app"
TEMPLATES = APP / "templates" / "relance"
MANIFEST = json.loads((TEMPLATES / "manifest.json").read_text())
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
