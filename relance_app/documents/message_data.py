"""Gathering what a message needs from the database, then handing it to the engine's build_context.

Used at send time, for previews and for the letter print format; never during selection.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import frappe
from frappe.query_builder.functions import Max, Sum
from frappe.utils import add_days, cint, get_url, getdate

from relance_app.common.cache import memo
from relance_app.common.debtor_links import portal_url
from relance_app.data.rate_table import rate_table
from relance_app.documents.language import template_choice
from relance_app.documents.sepa_qr import with_qr_image
from relance_app.engine.decide import effective_due
from relance_app.engine.message import (
	COURTEOUS,
	InvoiceData,
	Party,
	PaymentRecord,
	build_context,
	choose_tone,
	payment_behaviour,
)
from relance_app.engine.models import InvoiceFacts, Payment, Penalties, Policy, Stage
from relance_app.engine.payment_ref import format_iban, valid_bic, valid_iban
from relance_app.engine.penalties import compute_penalties, to_decimal

TUTOIEMENT = "Tutoiement"


def company_party(company: str, policy_doc=None) -> Party:
	return memo(
		("company_party", company, policy_doc.name if policy_doc else None),
		lambda: _company_party(company, policy_doc),
	)


def _company_party(company: str, policy_doc=None) -> Party:
	c = frappe.get_cached_value(
		"Company", company, ["company_name", "email", "phone_no", "website"], as_dict=True
	)
	address = ""
	try:
		from erpnext.setup.doctype.company.company import get_default_company_address

		address_name = get_default_company_address(company)
		if address_name:
			from frappe.contacts.doctype.address.address import get_address_display

			address = get_address_display(address_name) or ""
	except Exception:
		address = ""
	signatory = (policy_doc and policy_doc.get("signatory")) or ""
	email = (policy_doc and policy_doc.get("contact_email")) or c.email or ""
	phone = (policy_doc and policy_doc.get("contact_phone")) or c.phone_no or ""
	return Party(
		name=c.company_name or company,
		contact_name=signatory,
		email=email,
		phone=phone,
		address=address,
		extra={"website": c.website or ""},
	)


def payment_details(company: str) -> dict:
	"""The company's default bank account, for the "how to pay" paragraph."""
	return memo(("payment_details", company), lambda: _payment_details(company))


def _payment_details(company: str) -> dict:
	account = frappe.db.get_value(
		"Bank Account",
		{"company": company, "is_company_account": 1, "disabled": 0},
		["iban", "bank", "bank_account_no", "branch_code"],
		as_dict=True,
		order_by="is_default desc, modified desc",
	)
	if not account:
		return {}
	bic = frappe.db.get_value("Bank", account.bank, "swift_number") if account.bank else None
	iban = valid_iban(account.iban)
	return {
		# a valid IBAN printed in groups of four; anything else as entered (no QR code is made of it)
		"iban": format_iban(iban) if iban else (account.iban or account.bank_account_no or ""),
		"iban_valid": bool(iban),
		"bic": valid_bic(bic) or bic or "",
		"bank": account.bank or "",
	}


def pay_link(invoice_name: str) -> str:
	"""Where the customer pays: the open Payment Request's gateway link when the invoice has one,
	else the invoice's portal page when the portal lists invoices, else nothing."""
	if memo("payment_requests", lambda: bool(frappe.db.exists("Payment Request", {"docstatus": 1}))):
		url = frappe.db.get_value(
			"Payment Request",
			{
				"reference_doctype": "Sales Invoice",
				"reference_name": invoice_name,
				"payment_request_type": "Inward",
				"docstatus": 1,
				"status": ("in", ("Requested", "Initiated", "Partially Paid")),
				"payment_url": ("is", "set"),
			},
			"payment_url",
			order_by="creation desc",
		)
		if url:
			return url
	enabled = memo(
		"portal_invoices",
		lambda: frappe.db.get_value("Portal Menu Item", {"route": "/invoices", "enabled": 1}, "name"),
	)
	return get_url(f"/invoices/{invoice_name}") if enabled else ""


def customer_tone(customer: str, policy: Policy, policy_doc, as_of: date) -> str:
	"""Courteous or firm, from the customer's payment history over the last 12 months."""
	if not policy_doc:
		return COURTEOUS
	return memo(
		("tone", customer, policy_doc.name, as_of), lambda: _customer_tone(customer, policy_doc, as_of)
	)


def invoice_payments_query(customer: str, *columns: str):
	"""The customer's submitted invoices with the date of their last payment (Payment Ledger), for
	payment-behaviour figures; callers add their own conditions."""
	si = frappe.qb.DocType("Sales Invoice")
	ple = frappe.qb.DocType("Payment Ledger Entry")
	query = (
		frappe.qb.from_(si)
		.left_join(ple)
		.on(
			(ple.against_voucher_no == si.name)
			& (ple.against_voucher_type == "Sales Invoice")
			& (ple.amount < 0)
			& (ple.delinked == 0)
		)
		.select(si.name, si.due_date, si.outstanding_amount, Max(ple.posting_date).as_("paid_on"))
		.select(*[si[c] for c in columns])
		.where((si.customer == customer) & (si.docstatus == 1) & (si.is_return == 0))
		.groupby(si.name)
	)
	return query, si


def _customer_tone(customer: str, policy_doc, as_of: date) -> str:
	query, si = invoice_payments_query(customer)
	rows = query.where((si.due_date >= add_days(as_of, -365)) & (si.due_date <= as_of)).run(as_dict=True)
	records = [
		PaymentRecord(
			getdate(r.due_date), getdate(r.paid_on) if r.outstanding_amount <= 0 and r.paid_on else None
		)
		for r in rows
	]
	avg, late = payment_behaviour(records, as_of)
	return choose_tone(
		avg, late, cint(policy_doc.firm_after_avg_days), cint(policy_doc.firm_after_late_invoices)
	)


def invoice_payments(facts: InvoiceFacts, due_date: date) -> tuple[Payment, ...]:
	"""What lowered the invoice's outstanding after `due_date` (payments, credit notes, journal
	entries), per day, from the Payment Ledger, in the receivable account's currency when it is the
	invoice's. None for an invoice with several instalments: which instalment a payment settled is not
	known, so its interest runs on what is due now (as before)."""
	if len(facts.payment_schedule) > 1:
		return ()
	return memo(("payments", facts.name, due_date), lambda: _invoice_payments(facts, due_date))


def _invoice_payments(facts: InvoiceFacts, due_date: date) -> tuple[Payment, ...]:
	ple = frappe.qb.DocType("Payment Ledger Entry")
	rows = (
		frappe.qb.from_(ple)
		.select(ple.posting_date, Sum(ple.amount_in_account_currency).as_("amount"))
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& (ple.against_voucher_no == facts.name)
			& (ple.voucher_no != facts.name)
			& (ple.delinked == 0)
			& (ple.account_currency == facts.currency)
			& (ple.posting_date > due_date)
		)
		.groupby(ple.posting_date)
		.run(as_dict=True)
	)
	return tuple(
		Payment(getdate(r.posting_date), -to_decimal(r.amount)) for r in rows if to_decimal(r.amount) < 0
	)


def invoice_penalties(
	facts: InvoiceFacts, policy: Policy, as_of: date, with_payments: bool = True
) -> tuple[date, Decimal, Penalties]:
	"""(due date, amount chased, penalties on `as_of`): the policy's basis, the rates by semester,
	the payments made since the due date (not read when the interest is not shown: `with_payments`
	False)."""
	due, amount = effective_due(facts, as_of)
	penalties = compute_penalties(
		policy,
		amount,
		due,
		as_of,
		facts.customer_type,
		facts.currency,
		rates=rate_table(),
		payments=invoice_payments(facts, due) if with_payments else (),
	)
	return due, amount, penalties


def invoice_data(
	facts: InvoiceFacts,
	policy: Policy,
	as_of: date,
	payment_terms: str | None = None,
	with_payments: bool = True,
) -> InvoiceData:
	due, amount, penalties = invoice_penalties(facts, policy, as_of, with_payments)
	return InvoiceData(
		name=facts.name,
		posting_date=facts.posting_date,
		due_date=due,
		grand_total=facts.grand_total or facts.outstanding,
		outstanding=facts.outstanding,
		amount_due=amount,
		currency=facts.currency,
		customer_type=facts.customer_type,
		pay_link=pay_link(facts.name),
		payment_terms=payment_terms or "",
		history=facts.history,
		penalties=penalties,
	)


def message_context(
	stage: Stage,
	policy: Policy,
	policy_doc,
	candidates: list,
	as_of: date,
	contact_name: str = "",
	test_mode: bool = False,
	language: str | None = None,
	tone: str | None = None,
) -> dict:
	"""The template context of one message about one or several invoices (selection Candidates) of
	one customer, in `language`: the message's (relance_app.documents.language), chosen here when not
	given."""
	data = [
		invoice_data(c.facts, policy, as_of, c.row.get("payment_terms_template"), stage.include_penalties)
		for c in candidates
	]
	first = candidates[0].row
	customer = customer_info(first)
	company = first.company
	tone = tone or customer_tone(customer.get("name"), policy, policy_doc, as_of)
	lang = language or template_choice(stage, policy_doc, customer.get("language"), tone).language
	context = build_context(
		stage,
		policy.ordered_stages(),
		data,
		as_of,
		company_party(company, policy_doc),
		Party(
			name=customer.get("customer_name") or customer.get("name"),
			contact_name=contact_name,
			email="",
		),
		language=lang,
		vous=customer.get("relance_register") != TUTOIEMENT,
		tone=tone,
		payment_details=payment_details(company),
		test_mode=test_mode,
		portal_url=debtor_page_url(customer.get("name"), company),
	)
	return with_qr_image(context)


def debtor_page_url(customer: str, company: str) -> str:
	"""The `portal_url` of a relance email: a link to the customer's debtor page, issued now."""
	return portal_url(customer, company)


def customer_info(row) -> dict:
	return {
		"name": row.customer,
		"customer_name": row.customer_name,
		"language": row.customer_language,
		"relance_register": row.relance_register,
	}
