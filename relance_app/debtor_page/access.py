"""Reading a debtor page token: who it opens the page for. A forged, altered, expired or revoked
token, a disabled customer or a page turned off all give the same "this link is no longer valid",
and nothing changes; an invoice is the token's only if it is the customer's, of the company."""

from __future__ import annotations

import time
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.utils import cint, flt

from relance_app.common import args
from relance_app.common.debtor_links import (
	_key,
	settings,
)
from relance_app.documents.language import customer_page_language
from relance_app.engine import debtor_answers as P
from relance_app.exceptions import DebtorAnswerError, InvalidLinkError

SOURCE = "Debtor Page"


INVOICE_FIELDS = (
	"name",
	"customer",
	"company",
	"posting_date",
	"due_date",
	"currency",
	"party_account_currency",
	"conversion_rate",
	"grand_total",
	"outstanding_amount",
	"contact_email",
	"relance_last_stage",
	"relance_hold",
	"relance_hold_reason",
	"relance_hold_until",
)


def resolve(token) -> frappe._dict | None:
	"""Who the token opens the page for, or None whatever is wrong with it."""
	claims = P.read_link(_key(), token)
	if claims is None:
		return None
	conf = settings()
	if not conf.enabled:
		return None
	customer = frappe.db.get_value(
		"Customer",
		claims.customer,
		[
			"name",
			"customer_name",
			"customer_group",
			"language",
			"disabled",
			"dunning_policy",
			"relance_register",
			"relance_link_version",
		],
		as_dict=True,
	)
	if not customer or cint(customer.disabled):
		return None
	if not P.link_is_current(
		claims, int(time.time()), conf.validity_days, cint(customer.relance_link_version)
	):
		return None
	company = frappe.db.get_value(
		"Company",
		claims.company,
		["name", "company_name", "company_logo", "email", "phone_no", "default_currency"],
		as_dict=True,
	)
	if not company:
		return None

	return frappe._dict(
		token=token,
		claims=claims,
		customer=customer,
		company=company,
		language=customer_page_language(customer, company.name),
		settings=conf,
	)


def require_access(token) -> frappe._dict:
	access = resolve(token)
	if access is None:
		frappe.throw(invalid_message(), InvalidLinkError, title=_("Link No Longer Valid"))
	frappe.local.lang = access.language
	return access


def invalid_message() -> str:
	return _(
		"This link is no longer valid. Please use the link of the latest email we sent you, or contact us."
	)


def own_invoice(access, sales_invoice, open_only: bool = True) -> frappe._dict:
	"""The invoice, if it is a submitted invoice of the token's customer and company (and open)."""
	row = None
	if isinstance(sales_invoice, str) and 0 < len(sales_invoice.strip()) <= args.NAME_LENGTH:
		row = frappe.db.get_value(
			"Sales Invoice",
			{
				"name": sales_invoice.strip(),
				"customer": access.customer.name,
				"company": access.company.name,
				"docstatus": 1,
				"is_return": 0,
			},
			list(INVOICE_FIELDS),
			as_dict=True,
		)
	if not row:
		frappe.throw(
			_("This invoice is not one of the invoices of this page."),
			DebtorAnswerError,
			title=_("Unknown Invoice"),
		)
	if open_only and flt(row.outstanding_amount) <= 0:
		frappe.throw(
			_("Invoice {0} is settled: there is nothing left to answer.").format(row.name),
			DebtorAnswerError,
			title=_("Invoice Settled"),
		)
	return row


def request_ip() -> str:
	return (getattr(frappe.local, "request_ip", None) or "")[:140]


@contextmanager
def site_language():
	"""What the accountant reads (log, hold comment, ToDo, Communication) is in the site's language;
	what the debtor reads, in the customer's."""
	previous = frappe.local.lang
	frappe.local.lang = frappe.get_system_settings("language") or "en"
	try:
		yield
	finally:
		frappe.local.lang = previous
