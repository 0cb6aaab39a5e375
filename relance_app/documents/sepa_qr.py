"""The SEPA payment QR code as an image (segno): PNG bytes for the email's inline image, a data URI
for the letter, the collection file and the debtor page. Its text comes from the engine
(relance_app.engine.sepa_qr); error correction M, as EPC069-12 asks."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import segno

from relance_app.common.cache import memo
from relance_app.engine.message import format_money
from relance_app.engine.sepa_qr import transfer_details

SCALE = 4  # pixels per module: about 230 px wide for a typical payload
BORDER = 4  # the quiet zone, in modules


def qr_png(payload: str, scale: int = SCALE) -> bytes:
	"""The QR code of `payload` as a PNG."""
	out = io.BytesIO()
	segno.make(payload, error="m", micro=False, encoding="utf-8").save(
		out, kind="png", scale=scale, border=BORDER
	)
	return out.getvalue()


def qr_data_uri(payload: str) -> str:
	return memo(
		("sepa_qr", payload), lambda: "data:image/png;base64," + base64.b64encode(qr_png(payload)).decode()
	)


def with_qr_image(context: dict) -> dict:
	"""The context's QR code (payment.qr) given its image, `src`, a data URI."""
	qr = (context.get("payment") or {}).get("qr")
	if qr and qr.get("payload"):
		qr["src"] = qr_data_uri(qr["payload"])
	return context


def invoice_transfer(payment: dict, beneficiary: str, name: str, amount, currency: str, language: str):
	"""One invoice's transfer (its reference, and the QR code with its image when one can be made),
	for the debtor page; None without a valid IBAN."""
	details = transfer_details(payment, beneficiary, [(name, Decimal(str(amount)), currency)])
	if details:
		details["amount_formatted"] = format_money(details["amount"], currency, language)
		if details["payload"]:
			details["src"] = qr_data_uri(details["payload"])
	return details
