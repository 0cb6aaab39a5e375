"""The SEPA payment QR code's text (EPC069-12, "EPC QR code", version 002) and what a message shows
beside it. Pure: the image is drawn on the Frappe side (relance_app.documents.sepa_qr, segno).

The payload, one element a line (LF), nothing after the last element given:

    BCD                 service tag
    002                 version (the BIC may be left out inside the EEA)
    1                   character set: UTF-8
    SCT                 SEPA Credit Transfer
    BIC                 8 or 11 characters, or empty
    name                the beneficiary, at most 70 characters
    IBAN                the beneficiary's account
    EUR1234.56          amount, 0.01 to 999999999.99, in euros only
    purpose             empty
    reference           the structured creditor reference (ISO 11649), at most 35
    text                unstructured remittance, at most 140 (never with a reference)

A code is made only for an amount in euros and a valid IBAN: anything else gives no code, and the
message keeps its text (IBAN, BIC, amount, reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from relance_app.engine.payment_ref import (
	format_iban,
	format_reference,
	is_rf_reference,
	rf_reference,
	valid_bic,
	valid_iban,
)

SERVICE_TAG = "BCD"
VERSION = "002"
UTF8 = "1"
SCT = "SCT"
CURRENCY = "EUR"
MAX_NAME = 70
MAX_REFERENCE = 35
MAX_TEXT = 140
MAX_PAYLOAD_BYTES = 331
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")


class SepaQrError(ValueError):
	"""The transfer cannot be given as an EPC QR code (currency, IBAN, amount, text too long)."""


def _one_line(text: str | None) -> str:
	"""On one line, single spaces, no control character."""
	return " ".join("".join(ch if ch.isprintable() else " " for ch in (text or "")).split())


def beneficiary_name(name: str | None) -> str:
	"""The name on one line, cut to 70 characters."""
	return _one_line(name)[:MAX_NAME].strip()


def epc_payload(
	name: str,
	iban: str,
	amount: Decimal,
	currency: str = CURRENCY,
	bic: str | None = None,
	reference: str | None = None,
	text: str | None = None,
) -> str:
	"""The EPC069-12 text (version 002, UTF-8, SCT) of a transfer; SepaQrError when it cannot be one."""
	if currency != CURRENCY:
		raise SepaQrError(f"the EPC QR code carries euros only, not {currency}")
	account = valid_iban(iban)
	if not account:
		raise SepaQrError(f"not a valid IBAN: {iban!r}")
	code = valid_bic(bic) if bic else ""
	if bic and not code:
		raise SepaQrError(f"not a valid BIC: {bic!r}")
	holder = beneficiary_name(name)
	if not holder:
		raise SepaQrError("the beneficiary's name is required")
	value = Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
	if not MIN_AMOUNT <= value <= MAX_AMOUNT:
		raise SepaQrError(f"amount out of range: {value}")
	structured = (reference or "").replace(" ", "").upper()
	remittance = _one_line(text)
	if structured and remittance:
		raise SepaQrError("a structured reference or a text, not both")
	if structured and (len(structured) > MAX_REFERENCE or not is_rf_reference(structured)):
		raise SepaQrError(f"not a structured creditor reference: {reference!r}")
	if len(remittance) > MAX_TEXT:
		raise SepaQrError("remittance text over 140 characters")
	lines = [SERVICE_TAG, VERSION, UTF8, SCT, code, holder, account, f"{CURRENCY}{value}", ""]
	lines += [structured, remittance]
	while lines[-1] == "":
		lines.pop()
	payload = "\n".join(lines)
	if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
		raise SepaQrError("payload over 331 bytes")
	return payload


def parse_payload(payload: str) -> dict:
	"""The fields of an EPC QR text (what a banking app reads), for checks and tests."""
	lines = payload.split("\n") + [""] * 12
	amount = lines[7]
	return {
		"service_tag": lines[0],
		"version": lines[1],
		"charset": lines[2],
		"identification": lines[3],
		"bic": lines[4],
		"name": lines[5],
		"iban": lines[6],
		"currency": amount[:3],
		"amount": Decimal(amount[3:]) if amount[3:] else None,
		"purpose": lines[8],
		"reference": lines[9],
		"text": lines[10],
	}


def transfer_details(
	payment: dict, beneficiary: str, invoices: Sequence[tuple[str, Decimal, str]]
) -> dict | None:
	"""What a message shows to pay by transfer, for the invoices (name, amount due, currency) of one
	message: the reference, and the QR code's payload when one can be made (euros, a valid IBAN, an
	amount due). One invoice: its RF reference, structured. Several: their numbers as the text (the
	bank matching finds each of them in the deposit). None without a valid IBAN."""
	iban = valid_iban(payment.get("iban"))
	if not iban or not invoices:
		return None
	bic = valid_bic(payment.get("bic")) or ""
	holder = beneficiary_name(payment.get("account_holder") or beneficiary)
	currencies = {currency for _name, _amount, currency in invoices}
	amount = sum((Decimal(a) for _name, a, _c in invoices), Decimal(0))
	single = len(invoices) == 1
	reference = rf_reference(invoices[0][0]) if single else ""
	text = "" if single else " ".join(name for name, _a, _c in invoices)
	payload = None
	if currencies == {CURRENCY} and amount >= MIN_AMOUNT and holder:
		try:
			payload = epc_payload(holder, iban, amount, CURRENCY, bic, reference or None, text or None)
		except SepaQrError:
			payload = None  # a text too long for the code: the message keeps the details in words
	return {
		"name": holder,
		"iban": format_iban(iban),
		"iban_compact": iban,
		"bic": bic,
		"amount": amount,
		"currency": currencies.pop() if len(currencies) == 1 else "",
		"reference": format_reference(reference) if reference else "",
		"reference_compact": reference,
		"text": text,
		"payload": payload,
		"src": "",  # the image, drawn by the Frappe side (relance_app.documents.sepa_qr)
	}
