"""The debtor page's messages: the written confirmation of a promise (shipped Email Template per
language) and the received Communication of a dispute or an "already paid"."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import frappe
from frappe import _
from frappe.utils import cint, escape_html, flt, getdate

from relance_app.channels.email import queue_email, sender_for
from relance_app.channels.recipients import recipients_for, unsubscribed
from relance_app.common.debtor_links import (
	link_for,
)
from relance_app.common.language import in_language
from relance_app.constants import TEST_PREFIX, TUTOIEMENT
from relance_app.data.invoices import PolicyResolver, load_policies
from relance_app.debtor_page.access import request_ip
from relance_app.documents.message_data import company_party
from relance_app.documents.rendering import render
from relance_app.engine import debtor_answers as P
from relance_app.engine.message import Party
from relance_app.setup.defaults import template_name

TEMPLATE_KEY = "portal_promise"


def debtor_recipients(access, invoice) -> list[str]:
	"""Whom the relances write to: the invoice's contact email, else the customer's primary or
	billing contact (relance_app.run.units.recipients_for), minus who unsubscribed."""

	target = SimpleNamespace(
		row=frappe._dict(contact_email=invoice.contact_email),
		facts=SimpleNamespace(customer=access.customer.name),
	)
	emails = recipients_for([target])
	gone = unsubscribed(emails, [invoice.name])
	return [e for e in emails if e not in gone]


def received_communication(access, invoice, kind, fields, now) -> str:
	"""The answer as a received email on the invoice (and the customer): Reply answers the debtor."""
	recipients = debtor_recipients(access, invoice)
	subject = (
		_("Dispute of invoice {0} (debtor page)")
		if kind == P.DISPUTE
		else _("Invoice {0} already paid (debtor page)")
	).format(invoice.name)
	comm = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": subject,
			"content": f"<p>{details_html(kind, fields, now)}</p>",
			"sender": recipients[0] if recipients else None,
			"sender_full_name": access.customer.customer_name,
			"recipients": "",
			"reference_doctype": "Sales Invoice",
			"reference_name": invoice.name,
			"status": "Open",
		}
	)
	comm.add_link("Customer", access.customer.name)
	comm.flags.ignore_permissions = True
	comm.insert(ignore_permissions=True)
	return comm.name


def send_confirmation(access, invoice, promised: date, now) -> str | None:
	"""The written confirmation of a promise, queued with its Communication: None without an address."""

	name = template_name(TEMPLATE_KEY, access.language) or template_name(TEMPLATE_KEY, "en")
	recipients = debtor_recipients(access, invoice)
	if not name or not frappe.db.exists("Email Template", name) or not recipients:
		return None

	info = PolicyResolver(load_policies()).resolve(
		access.company.name, access.customer.dunning_policy, access.customer.customer_group
	)
	policy_doc = frappe.get_cached_doc("Dunning Policy", info.name) if info else None
	conf = access.settings
	context = P.confirmation_context(
		access.language,
		company_party(access.company.name, policy_doc),
		Party(access.customer.customer_name or access.customer.name),
		invoice.name,
		getdate(invoice.posting_date) if invoice.posting_date else None,
		flt(invoice.outstanding_amount),
		invoice.party_account_currency or invoice.currency,
		promised,
		now,
		vous=access.customer.relance_register != TUTOIEMENT,
		portal_url=link_for(
			access.customer.name, access.company.name, cint(access.customer.relance_link_version)
		),
		test_mode=conf.test_mode,
	)
	template = frappe.get_cached_doc("Email Template", name)
	with in_language(access.language):  # the debtor's; the log and the hold stay the accountant's
		subject = render(template.subject, context).strip()
		body = render(template.response_html if cint(template.use_html) else template.response, context)
	if conf.test_mode and conf.test_email:
		recipients, subject = [conf.test_email], TEST_PREFIX + subject
	comm, _queue = queue_email(
		invoices=[invoice.name],
		customer=access.customer.name,
		subject=subject,
		body=body,
		recipients=recipients,
		cc=[],
		sender=sender_for(policy_doc) if policy_doc else None,
		reply_to=policy_doc.reply_to if policy_doc else None,
		attachments=[],
		template=name,
	)
	return comm


def details_html(kind, fields, now) -> str:
	"""The answer for the accountant (ToDo, Communication): everything the debtor typed is escaped."""
	lines = [escape_html(summary(kind, fields))]
	if fields.get("debtor_comment"):
		lines.append(_("Comment: {0}").format(fields["debtor_comment"]).replace("\n", "<br>"))
	lines.append(
		escape_html(
			_("From the debtor page on {0}, IP address {1}.").format(
				frappe.format(now, "Datetime"), request_ip() or "?"
			)
		)
	)
	return "<br>".join(lines)


def summary(kind: str, fields: dict, lang: str | None = None) -> str:
	"""The answer in one line, for the log, the register and the timelines."""
	if kind == P.PROMISE:
		return _("Payment promised for {0}").format(frappe.format(fields["promised_date"], "Date"))
	if kind == P.DISPUTE:
		return _("Dispute: {0}").format(_(fields["dispute_reason"]))
	reference = fields.get("payment_reference")
	text = _("Already paid on {0}").format(frappe.format(fields["paid_on"], "Date"))
	return text + (" – " + _("reference {0}").format(reference) if reference else "")
