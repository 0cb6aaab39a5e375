"""The structured creditor reference (ISO 11649) and the SEPA payment QR code (EPC069-12): the text is
built by the engine, drawn by segno, and read back here with a QR reader (zxing-cpp)."""

import io
from decimal import Decimal

import pytest
import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from stdnum import iban as stdnum_iban
from stdnum import iso11649

from relance_app.engine.message import sample_context
from relance_app.engine.payment_ref import MAX_BODY, compact, format_reference, reference_body, rf_reference
from relance_app.engine.sepa_qr import (
	SepaQrError,
	beneficiary_name,
	epc_payload,
	parse_payload,
	transfer_details,
)

IBAN = "FR7630006000011234567890189"
BIC = "AGRIFRPP"


def decode(payload: str) -> str:
	"""Draw the payload as segno does for the app (PNG, error correction M), read it back."""
	out = io.BytesIO()
	segno.make(payload, error="m", micro=False, encoding="utf-8").save(out, kind="png", scale=4, border=4)
	(found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(out.getvalue())))
	return found.text


def test_rf_reference_of_an_invoice():
	ref = rf_reference("ACC-SINV-2026-00012")
	assert ref.startswith("RF") and ref.endswith("ACCSINV202600012")
	assert iso11649.is_valid(ref)
	assert format_reference(ref).replace(" ", "") == ref


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_every_invoice_name_with_a_letter_or_digit_has_a_valid_reference(name):
	if not compact(name):  # no ASCII letter or digit, even in upper case ("ß" has: SS)
		with pytest.raises(ValueError):
			rf_reference(name)
		return
	ref = rf_reference(name)
	assert iso11649.is_valid(ref)
	assert len(reference_body(name)) <= MAX_BODY


def test_long_names_keep_distinct_references():
	a = "ACC-SINV-2026-BRANCH-PARIS-00012"
	b = "ACC-SINV-2026-BRANCH-LYONS-00012"
	assert rf_reference(a) != rf_reference(b)


def test_payload_fields_in_order():
	ref = rf_reference("ACC-SINV-2026-00012")
	payload = epc_payload("Exemple SARL", IBAN, Decimal("1440"), bic=BIC, reference=ref)
	assert payload.split("\n") == [
		"BCD",
		"002",
		"1",
		"SCT",
		BIC,
		"Exemple SARL",
		IBAN,
		"EUR1440.00",
		"",
		ref,
	]


def test_payload_read_back_from_the_image():
	ref = rf_reference("ACC-SINV-2026-00012")
	payload = epc_payload(
		"Société Générale d'Exemple – Île-de-France", IBAN, Decimal("12.5"), bic=BIC, reference=ref
	)
	fields = parse_payload(decode(payload))
	assert fields["service_tag"] == "BCD" and fields["version"] == "002" and fields["charset"] == "1"
	assert fields["identification"] == "SCT"
	assert fields["bic"] == BIC
	assert fields["name"] == "Société Générale d'Exemple – Île-de-France"
	assert fields["iban"] == IBAN
	assert (fields["currency"], fields["amount"]) == ("EUR", Decimal("12.50"))
	assert fields["reference"] == ref and fields["text"] == ""


@settings(max_examples=40, deadline=None)
@given(
	st.text(min_size=1, max_size=90).filter(lambda s: s.strip()),
	st.integers(1, 99_999_999_999),
	st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=30).filter(
		lambda s: any(c.isalnum() for c in s)
	),
)
def test_any_transfer_reads_back_field_by_field(name, cents, invoice):
	amount = Decimal(cents) / 100
	ref = rf_reference(invoice)
	expected = beneficiary_name(name)  # one line, printable, 70 characters at most
	if not expected:
		with pytest.raises(SepaQrError):
			epc_payload(name, IBAN, amount, bic=BIC, reference=ref)
		return
	assert len(expected) <= 70 and "\n" not in expected
	fields = parse_payload(decode(epc_payload(name, IBAN, amount, bic=BIC, reference=ref)))
	assert fields["name"] == expected
	assert fields["amount"] == amount and fields["iban"] == IBAN and fields["reference"] == ref


def test_no_code_outside_euros_or_without_a_valid_iban():
	with pytest.raises(SepaQrError):
		epc_payload("X", IBAN, Decimal(10), currency="USD")
	with pytest.raises(SepaQrError):
		epc_payload("X", "FR7630006000011234567890188", Decimal(10))  # check digits wrong
	with pytest.raises(SepaQrError):
		epc_payload("X", IBAN, Decimal(0))
	with pytest.raises(SepaQrError):
		epc_payload("X", IBAN, Decimal(10), reference="RF00 1234")  # not a valid RF
	with pytest.raises(SepaQrError):
		epc_payload("X", IBAN, Decimal(10), bic="NOTABIC")
	assert transfer_details({"iban": "FR00 0000"}, "X", [("SI-1", Decimal(10), "EUR")]) is None
	usd = transfer_details({"iban": IBAN}, "X", [("SI-1", Decimal(10), "USD")])
	assert usd["payload"] is None and usd["reference"]  # the reference still printed


def test_several_invoices_pay_their_total_with_their_numbers_as_text():
	details = transfer_details(
		{"iban": IBAN, "bic": BIC},
		"Exemple",
		[("SI-1", Decimal("10.00"), "EUR"), ("SI-2", Decimal("5"), "EUR")],
	)
	fields = parse_payload(details["payload"])
	assert (
		fields["amount"] == Decimal("15.00") and fields["text"] == "SI-1 SI-2" and fields["reference"] == ""
	)


def test_message_context_carries_reference_and_code():
	ctx = sample_context("fr")
	qr = ctx["payment"]["qr"]
	assert ctx["payment"]["reference"] == format_reference(rf_reference("ACC-SINV-2026-00042"))
	assert ctx["invoices"][0]["reference"] == ctx["payment"]["reference"]
	fields = parse_payload(qr["payload"])
	assert fields["iban"] == stdnum_iban.compact(ctx["payment"]["iban"])
	assert fields["amount"] == Decimal("1440.00") and qr["amount_formatted"] == "1\u202f440,00\u00a0€"
	assert fields["name"] == "Exemple SARL"
