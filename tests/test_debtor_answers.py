"""The debtor page's pure rules (relance_app.engine.debtor_answers): signed links, promise bounds, answer keys,
and the emails' link and promise confirmation in every shipped template."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
from factories import FRENCH_STAGES, MED, PRE, R1, R3, h, invoice_data
from hypothesis import given, settings
from hypothesis import strategies as st

from relance_app.engine import debtor_answers as P
from relance_app.engine.message import Party, build_context, sample_context
from relance_app.engine.models import SENT

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
NOW = 1_790_000_000
TEMPLATES = Path(__file__).resolve().parent.parent / "relance_app" / "templates" / "relance"
MANIFEST = json.loads((TEMPLATES / "manifest.json").read_text())
ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
URL = "https://exemple.fr/relance/abc.def"
STAGES = {
	"pre_relance": PRE,
	"relance_1": R1,
	"relance_1_firm": R1,
	"relance_2": FRENCH_STAGES[2],
	"relance_2_firm": FRENCH_STAGES[2],
	"relance_3": R3,
	"mise_en_demeure": MED,
}
LABEL = {"fr": "Voir vos factures, payer ou nous répondre", "en": "See your invoices, pay or answer us"}


def token(customer="Client SAS", company="Exemple SARL", issued=NOW, generation=0, key=KEY):
	return P.sign_link(key, customer, company, issued, generation)


# --- links --------------------------------------------------------------------------------------


def test_a_link_reads_back_its_customer_company_time_and_generation():
	t = token("Société Générale d'Été <b>", "Exemple & Cie", NOW, 3)
	assert P.read_link(KEY, t) == P.LinkClaims("Société Générale d'Été <b>", "Exemple & Cie", NOW, 3)
	assert "/" not in t and "=" not in t and "+" not in t  # fits a URL path segment as it is


def test_forged_altered_and_malformed_tokens_read_as_nothing():
	t = token()
	body, signature = t.split(".")
	forged = token(key=OTHER_KEY)
	other_payload = token(customer="Autre Client").split(".")[0]
	for bad in (
		forged,
		f"{other_payload}.{signature}",  # another customer's payload under this signature
		f"{body}.{signature[:-1]}",
		f"{body}x.{signature}",
		f"{body}.{signature}.x",
		body,
		"",
		None,
		42,
		["a", "b"],
		"a" * (P.MAX_TOKEN_LENGTH + 1),
		f"{body}.{signature}=",
		f"{body}==.{signature}",
		"<script>alert(1)</script>.x",
	):
		assert P.read_link(KEY, bad) is None, bad
	assert P.read_link(b"", t) is None


def test_a_signed_payload_that_is_not_ours_reads_as_nothing():
	import base64
	import hashlib
	import hmac

	def signed(payload):
		body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
		mac = hmac.new(KEY, P.SIGNED_PREFIX + body.encode(), hashlib.sha256).digest()
		return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

	assert P.read_link(KEY, signed([1, "C", "Co", NOW, 0])) is not None  # the helper signs like ours
	for payload in (
		[2, "C", "Co", NOW, 0],
		[1, "", "Co", NOW, 0],
		[1, "C", "Co", -1, 0],
		[1, "C", "Co", True, 0],
	):
		assert P.read_link(KEY, signed(payload)) is None, payload
	assert P.read_link(KEY, signed({"customer": "C"})) is None


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_change_to_a_token_breaks_it(data):
	t = token(data.draw(st.text(min_size=1, max_size=40)), "Exemple SARL", NOW, data.draw(st.integers(0, 9)))
	i = data.draw(st.integers(0, len(t) - 1))
	c = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."))
	changed = t[:i] + c + t[i + 1 :]
	if changed != t:
		assert P.read_link(KEY, changed) is None


def test_a_link_is_current_until_its_validity_ends_and_while_not_revoked():
	claims = P.read_link(KEY, token(generation=2))
	day = P.DAY_SECONDS
	assert P.link_is_current(claims, NOW, 60, 2)
	assert P.link_is_current(claims, NOW + 60 * day, 60, 2)  # the last second of day 60
	assert not P.link_is_current(claims, NOW + 60 * day + 1, 60, 2)  # expired
	assert not P.link_is_current(claims, NOW, 60, 3)  # revoked: the customer's generation moved on
	assert not P.link_is_current(claims, NOW - P.CLOCK_SKEW_SECONDS - 1, 60, 2)  # from the future
	assert P.link_is_current(claims, NOW - 10, 60, 2)  # clocks a little apart


# --- promises and answers -----------------------------------------------------------------------


def test_a_promise_is_from_tomorrow_to_the_maximum_days_ahead():
	today = date(2026, 3, 10)
	assert P.promise_window(today, 30) == (date(2026, 3, 11), date(2026, 4, 9))
	assert P.promise_refusal(today, today, 30, 0, False) == P.TOO_EARLY
	assert P.promise_refusal(today - timedelta(days=3), today, 30, 0, False) == P.TOO_EARLY
	assert P.promise_refusal(today + timedelta(days=1), today, 30, 0, False) is None
	assert P.promise_refusal(today + timedelta(days=30), today, 30, 0, False) is None
	assert P.promise_refusal(today + timedelta(days=31), today, 30, 0, False) == P.TOO_LATE


def test_at_most_two_promises_and_none_after_a_broken_one():
	today = date(2026, 3, 10)
	ok = today + timedelta(days=5)
	assert P.promise_refusal(ok, today, 30, 1, False) is None
	assert P.promise_refusal(ok, today, 30, 2, False) == P.TOO_MANY_PROMISES
	assert P.promise_refusal(ok, today, 30, 0, True) == P.BROKEN_PROMISE
	assert P.promise_broken([today - timedelta(days=1)], today)
	assert not P.promise_broken([today, today + timedelta(days=3), None], today)  # due today: not broken yet


def test_the_same_answer_has_the_same_key_and_another_answer_another():
	k = P.answer_key("ACC-SINV-1", P.PROMISE, date(2026, 3, 20))
	assert k == P.answer_key("ACC-SINV-1", P.PROMISE, date(2026, 3, 20))
	assert k != P.answer_key("ACC-SINV-1", P.PROMISE, date(2026, 3, 21))
	assert k != P.answer_key("ACC-SINV-2", P.PROMISE, date(2026, 3, 20))
	assert P.answer_key("X", P.DISPUTE, "Other", "a") != P.answer_key("X", P.DISPUTE, "Other", "b")
	assert len(P.answer_key("A" * 140, P.ALREADY_PAID, date(2026, 1, 1), "ref")) <= 140 + 40


# --- the emails ---------------------------------------------------------------------------------


def test_the_manifest_ships_the_stage_emails_and_the_promise_confirmation():
	keys = {(e["key"], e["language"]) for e in MANIFEST}
	expected = {(k, lang) for k in [*STAGES, "thank_you", "portal_promise"] for lang in ("fr", "en")}
	assert keys == expected


def relance_context(stage, lang, vous=True, portal_url=URL):
	inv = invoice_data(
		"FAC-2026-0042",
		"1440.00",
		due=date(2026, 3, 1),
		as_of=date(2026, 4, 1),
		history=(h(PRE, SENT, date(2026, 2, 24)),),
	)
	as_of = date(2026, 2, 24) if stage.is_pre_due else date(2026, 4, 1)
	return build_context(
		stage,
		FRENCH_STAGES,
		[inv],
		as_of,
		Party("Exemple SARL", "Marie Martin", "compta@exemple.fr", "01 23 45 67 89"),
		Party("Client SAS"),
		language=lang,
		vous=vous,
		payment_details={"iban": "FR76 3000 6000 0112"},
		portal_url=portal_url,
	)


@pytest.mark.parametrize("entry", [e for e in MANIFEST if e["key"] in STAGES], ids=lambda e: e["name"])
def test_every_relance_email_links_to_the_debtor_page(entry):
	lang, stage = entry["language"], STAGES[entry["key"]]
	source = (TEMPLATES / entry["file"]).read_text()
	body = ENV.from_string(source).render(relance_context(stage, lang))
	assert f'href="{URL}"' in body
	assert LABEL[lang] in body
	if lang == "fr":
		tu = ENV.from_string(source).render(relance_context(stage, lang, vous=False))
		assert "Voir tes factures, payer ou nous répondre" in tu
		assert "vous" not in tu.replace("vous adresserons", "")
	without = ENV.from_string(source).render(relance_context(stage, lang, portal_url=""))
	assert "/relance/" not in without and LABEL[lang] not in without  # the page turned off: no button
	assert sample_context(lang, stage, FRENCH_STAGES)["portal_url"]  # policy checks render the button


def confirmation(lang, vous=True, test_mode=False):
	return P.confirmation_context(
		lang,
		Party("Exemple SARL", "Marie Martin", "compta@exemple.fr", "01 23 45 67 89"),
		Party("Client <b>SAS</b>"),
		"FAC-2026-0042",
		date(2026, 1, 30),
		Decimal("1440.00"),
		"EUR",
		date(2026, 4, 1),
		datetime(2026, 3, 12, 14, 5),
		vous=vous,
		portal_url=URL,
		test_mode=test_mode,
	)


@pytest.mark.parametrize(
	"entry", [e for e in MANIFEST if e["key"] == "portal_promise"], ids=lambda e: e["name"]
)
def test_the_promise_is_confirmed_in_writing(entry):
	lang = entry["language"]
	source = (TEMPLATES / entry["file"]).read_text()
	ctx = confirmation(lang)
	subject = ENV.from_string(entry["subject"]).render(ctx)
	body = ENV.from_string(source).render(ctx)
	assert "FAC-2026-0042" in subject and len(entry["subject"]) <= 140
	for text in ("FAC-2026-0042", ctx["promised_date_long"], ctx["promised_date"], ctx["amount_due"]):
		assert text in body, text
	assert ("1er avril 2026" if lang == "fr" else "1 April 2026") in body
	assert ("12/03/2026" if lang == "fr" else "12 March 2026") in body  # the day the debtor answered
	assert "compta@exemple.fr" in body and "01 23 45 67 89" in body and "Exemple SARL" in body
	assert URL in body
	assert "[TEST]" not in body and "[TEST]" in ENV.from_string(source).render(
		confirmation(lang, test_mode=True)
	)
	if lang == "fr":
		tu = ENV.from_string(source).render(confirmation(lang, vous=False))
		assert "vous" not in tu and "Tu nous as indiqué" in tu
