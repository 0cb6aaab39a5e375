"""The debtor page's rules, without Frappe: signed links, promise bounds, answer fingerprints and the
context of the written confirmation of a promise.

A link names one customer of one company. Its token is `<payload>.<signature>`, both base64url
without padding: the payload is the JSON list [version, customer, company, issued_at (Unix
seconds), generation]; the signature is HMAC-SHA256 over the payload text with the site's key. A
link is current while it is at most `validity_days` old and its generation is the customer's
(revoking bumps the customer's generation: every link issued before stops working). Forged,
altered, expired and revoked links are all the same to the caller: `None` / `False`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from relance_app.constants import DISPUTE as HOLD_DISPUTE
from relance_app.constants import PAYMENT_PROMISE
from relance_app.engine.message import (
	Party,
	base_language,
	company_dict,
	format_date,
	format_date_long,
	format_money,
)

VERSION = 1
MAX_TOKEN_LENGTH = 2048
CLOCK_SKEW_SECONDS = 300
DAY_SECONDS = 86_400
B64 = re.compile(r"^[A-Za-z0-9_-]+$")
SIGNED_PREFIX = b"relance-debtor-page."

# the three answers, as the Relance Log's `answer` stores them (a promise and a dispute are also
# the hold reasons they set)
PROMISE = PAYMENT_PROMISE
DISPUTE = HOLD_DISPUTE
ALREADY_PAID = "Already Paid"
ANSWERS = (PROMISE, DISPUTE, ALREADY_PAID)
DISPUTE_REASONS = ("Not received", "Wrong amount", "Goods or service", "Other")
COMMENT_MAX = 2000
REFERENCE_MAX = 140
MAX_PAGE_PROMISES = 2

# why a promise is refused (the Frappe side words them)
BROKEN_PROMISE = "broken_promise"
TOO_MANY_PROMISES = "too_many_promises"
TOO_EARLY = "too_early"
TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class LinkClaims:
	customer: str
	company: str
	issued_at: int
	generation: int


def _b64encode(data: bytes) -> str:
	return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
	return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, body: str) -> str:
	return _b64encode(hmac.new(key, SIGNED_PREFIX + body.encode("ascii"), hashlib.sha256).digest())


def sign_link(key: bytes, customer: str, company: str, issued_at: int, generation: int = 0) -> str:
	"""The token of a link for `customer` of `company`, issued at `issued_at` (Unix seconds)."""
	if not key:
		raise ValueError("a link needs a key")
	payload = json.dumps(
		[VERSION, customer, company, int(issued_at), int(generation)],
		separators=(",", ":"),
		ensure_ascii=False,
	)
	body = _b64encode(payload.encode("utf-8"))
	return f"{body}.{_signature(key, body)}"


def read_link(key: bytes, token) -> LinkClaims | None:
	"""The claims of a token signed with `key`, or None for anything else (wrong type, too long,
	malformed, signature not ours, payload not ours)."""
	if not key or not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
		return None
	body, dot, signature = token.partition(".")
	if not dot or not B64.match(body) or not B64.match(signature):
		return None
	if not hmac.compare_digest(_signature(key, body), signature):
		return None
	try:
		data = json.loads(_b64decode(body).decode("utf-8"))
	except (ValueError, binascii.Error, UnicodeDecodeError):
		return None
	if not isinstance(data, list) or len(data) != 5 or data[0] != VERSION:
		return None
	_version, customer, company, issued_at, generation = data
	if not (isinstance(customer, str) and customer and isinstance(company, str) and company):
		return None
	if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (issued_at, generation)):
		return None
	return LinkClaims(customer, company, issued_at, generation)


def link_is_current(claims: LinkClaims, now: int, validity_days: int, generation: int) -> bool:
	"""Issued for the customer's current generation, not in the future, at most `validity_days` ago."""
	if claims.generation != generation:
		return False
	if claims.issued_at > now + CLOCK_SKEW_SECONDS:
		return False
	return now - claims.issued_at <= max(0, validity_days) * DAY_SECONDS


def promise_window(today: date, max_days: int) -> tuple[date, date]:
	"""The first and last dates a debtor may promise: tomorrow to `max_days` ahead."""
	return today + timedelta(days=1), today + timedelta(days=max(1, max_days))


def promise_broken(promised_dates, today: date) -> bool:
	"""An open invoice whose earlier promise date has passed: the promise was broken."""
	return any(d is not None and d < today for d in promised_dates)


def promise_refusal(
	promised: date, today: date, max_days: int, page_promises: int, broken: bool
) -> str | None:
	"""Why the page refuses this promise, or None: none after a broken promise, at most two per
	invoice, from tomorrow to `max_days` ahead."""
	if broken:
		return BROKEN_PROMISE
	if page_promises >= MAX_PAGE_PROMISES:
		return TOO_MANY_PROMISES
	first, last = promise_window(today, max_days)
	if promised < first:
		return TOO_EARLY
	if promised > last:
		return TOO_LATE
	return None


def answer_key(sales_invoice: str, answer: str, *values) -> str:
	"""The Relance Log's unique key of one answer: the same answer posted twice has the same key."""
	text = "\x1f".join([answer, *("" if v is None else str(v) for v in values)])
	return f"{sales_invoice}::debtor-page::{hashlib.sha256(text.encode('utf-8')).hexdigest()[:24]}"


def days_late(due: date | None, today: date) -> int:
	return max(0, (today - due).days) if due else 0


def confirmation_context(
	language: str,
	company: Party,
	customer: Party,
	invoice: str,
	invoice_date: date | None,
	outstanding,
	currency: str,
	promised: date,
	answered_at: datetime,
	vous: bool = True,
	portal_url: str = "",
	test_mode: bool = False,
) -> dict:
	"""What the written confirmation of a payment promise shows (plain values, like build_context)."""
	lang = base_language(language)
	return {
		"language": lang,
		"vous": bool(vous),
		"tu": not vous,
		"test_mode": bool(test_mode),
		"invoice_number": invoice,
		"invoice_numbers": invoice,
		"invoice_count": 1,
		"invoice_date": format_date(invoice_date, lang),
		"amount_due": format_money(outstanding, currency, lang),
		"promised_date": format_date(promised, lang),
		"promised_date_long": format_date_long(promised, lang),
		"promised_date_iso": promised.isoformat(),
		"answered_on": format_date(answered_at.date(), lang),
		"answered_at": f"{format_date(answered_at.date(), lang)} {answered_at:%H:%M}",
		"portal_url": portal_url or "",
		"company": company_dict(company),
		"customer": {"name": customer.name, "contact_name": customer.contact_name or "", **customer.extra},
	}
