"""The debtor page's guest methods (names are public): `promise`, `dispute`, `already_paid` (POST,
rate-limited per IP address), `invoice_pdf`, `statement_pdf` (GET, rate-limited).

Each takes the token of a signed link (relance_app.common.debtor_links) and checks it
(relance_app.debtor_page.access) before anything else; the page itself is relance_app/www/relance.py
with relance_app.debtor_page.page. Only the doors are here: the work is in relance_app.debtor_page.
"""

from __future__ import annotations

import frappe
from frappe.rate_limiter import rate_limit

from relance_app.debtor_page.answers import ANSWER_LIMIT, LIMIT_WINDOW, PDF_LIMIT, _answer
from relance_app.debtor_page.downloads import invoice_download, statement_download
from relance_app.debtor_page.guest import for_guests
from relance_app.engine import debtor_answers as P


@frappe.whitelist(allow_guest=True, methods=["POST"])
@for_guests
@rate_limit(limit=ANSWER_LIMIT, seconds=LIMIT_WINDOW)
def promise(token=None, sales_invoice=None, promised_date=None) -> dict:
	"""The debtor promises to pay `sales_invoice` by `promised_date` (from tomorrow to the settings'
	maximum; at most two promises per invoice, none after a broken one): a promise hold until that
	date and the written confirmation by email."""
	return _answer(P.PROMISE, token, sales_invoice, {"promised_date": promised_date})


@frappe.whitelist(allow_guest=True, methods=["POST"])
@for_guests
@rate_limit(limit=ANSWER_LIMIT, seconds=LIMIT_WINDOW)
def dispute(token=None, sales_invoice=None, reason=None, comment=None) -> dict:
	"""The debtor disputes `sales_invoice` (`reason`: Not received, Wrong amount, Goods or service,
	Other; `comment` required, at most 2,000 characters): a dispute hold, a ToDo, a Communication."""
	return _answer(P.DISPUTE, token, sales_invoice, {"reason": reason, "comment": comment})


@frappe.whitelist(allow_guest=True, methods=["POST"])
@for_guests
@rate_limit(limit=ANSWER_LIMIT, seconds=LIMIT_WINDOW)
def already_paid(token=None, sales_invoice=None, paid_on=None, reference=None) -> dict:
	"""The debtor says `sales_invoice` was paid on `paid_on` (`reference` of the payment): a hold of
	the settings' days while the accountant checks, a ToDo, a Communication."""
	return _answer(P.ALREADY_PAID, token, sales_invoice, {"paid_on": paid_on, "reference": reference})


@frappe.whitelist(allow_guest=True, methods=["GET"])
@for_guests
@rate_limit(limit=PDF_LIMIT, seconds=LIMIT_WINDOW)
def invoice_pdf(token=None, sales_invoice=None):
	"""The invoice's PDF, in the print format, letter head and language of the relance attachments."""
	invoice_download(token, sales_invoice)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@for_guests
@rate_limit(limit=PDF_LIMIT, seconds=LIMIT_WINDOW)
def statement_pdf(token=None):
	"""The customer's statement of account for the token's company (the relance attachment's)."""
	statement_download(token)
