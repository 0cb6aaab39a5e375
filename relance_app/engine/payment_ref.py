"""What identifies a transfer: the invoice's structured creditor reference (ISO 11649, "RF"), the
creditor's IBAN and BIC. Pure (python-stdnum does the arithmetic and the checks).

The reference's body is the invoice name's letters and digits (ACC-SINV-2026-00012 gives
RF.. ACCSINV202600012): the debtor's bank carries it into the deposit's description, where the
bank matching (relance_app.engine.bank_match) finds the invoice again by itself.
"""

from __future__ import annotations

import hashlib

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

# ISO 11649: "RF", two check digits, up to 21 letters or digits
MAX_BODY = 21
DIGEST = 6  # a long name keeps its last characters and a digest of the whole name
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def compact(text: str | None) -> str:
	"""The letters and digits of `text` (ASCII), upper case."""
	return "".join(ch for ch in (text or "").upper() if ch.isascii() and ch.isalnum())


def _base36(number: int, width: int) -> str:
	out = []
	for _i in range(width):
		number, rest = divmod(number, 36)
		out.append(BASE36[rest])
	return "".join(reversed(out))


def reference_body(invoice_name: str) -> str:
	"""The reference's body for an invoice name: its letters and digits when they fit in 21, else
	the last 15 of them and a digest of the whole name (two names never share a body by truncation)."""
	body = compact(invoice_name)
	if not body:
		raise ValueError(f"no letter or digit in {invoice_name!r}")
	if len(body) <= MAX_BODY:
		return body
	digest = int(hashlib.sha256(invoice_name.encode()).hexdigest(), 16)
	return body[-(MAX_BODY - DIGEST) :] + _base36(digest, DIGEST)


def rf_reference(invoice_name: str) -> str:
	"""The invoice's structured creditor reference, compact: RF, check digits, body."""
	body = reference_body(invoice_name)
	return f"RF{mod_97_10.calc_check_digits(body + 'RF')}{body}"


def format_reference(reference: str) -> str:
	"""RF18 5390 0754 7034: groups of four, as printed."""
	return iso11649.format(reference)


def is_rf_reference(reference: str | None) -> bool:
	return bool(reference) and iso11649.is_valid(reference)


def valid_iban(iban: str | None) -> str | None:
	"""The IBAN, compact, when it is one (country, length, check digits); else None."""
	if not iban:
		return None
	try:
		return stdnum_iban.validate(iban)
	except Exception:
		return None


def format_iban(iban: str) -> str:
	return stdnum_iban.format(iban)


def valid_bic(bic: str | None) -> str | None:
	"""The BIC (8 or 11 characters), compact, when it is one; else None."""
	if not bic:
		return None
	try:
		return stdnum_bic.validate(bic)
	except Exception:
		return None
