"""Who a relance goes to: the invoice's contact email, else the customer's primary or billing
contact; and which of them unsubscribed."""

from __future__ import annotations

import frappe
from frappe.utils import split_emails, validate_email_address

from relance_app.data.invoices import Candidate


def recipients_for(candidates: list[Candidate]) -> list[str]:
	"""The invoices' contact emails, else the customer's primary, else billing contact email."""
	emails: list[str] = []
	for c in candidates:
		for e in split_emails(c.row.contact_email or ""):
			if validate_email_address(e) and e not in emails:
				emails.append(e)
	if emails:
		return emails
	customer = candidates[0].facts.customer
	contact = frappe.qb.DocType("Contact")
	link = frappe.qb.DocType("Dynamic Link")
	rows = (
		frappe.qb.from_(contact)
		.join(link)
		.on((link.parent == contact.name) & (link.parenttype == "Contact"))
		.select(contact.email_id, contact.is_primary_contact, contact.is_billing_contact)
		.where(
			(link.link_doctype == "Customer")
			& (link.link_name == customer)
			& contact.email_id.isnotnull()
			& (contact.email_id != "")
		)
		.orderby(contact.is_primary_contact, order=frappe.qb.desc)
		.orderby(contact.is_billing_contact, order=frappe.qb.desc)
		.run(as_dict=True)
	)
	primary = [r.email_id for r in rows if r.is_primary_contact]
	billing = [r.email_id for r in rows if r.is_billing_contact]
	for e in (primary or billing)[:1]:
		if validate_email_address(e):
			return [e]
	return []


def unsubscribed(emails: list[str], invoices: list[str]) -> set[str]:
	if not emails:
		return set()
	eu = frappe.qb.DocType("Email Unsubscribe")
	rows = (
		frappe.qb.from_(eu)
		.select(eu.email)
		.where(
			eu.email.isin(emails)
			& (
				(eu.global_unsubscribe == 1)
				| ((eu.reference_doctype == "Sales Invoice") & eu.reference_name.isin(invoices))
			)
		)
		.run(pluck=True)
	)
	return set(rows)
