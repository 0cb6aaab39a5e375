"""The email channel: the message of a stage (template, context, attachments), its Communication and
Email Queue row written in the unit's transaction, and the Skipped log with a ToDo when nobody can
receive it."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import cint, now_datetime, split_emails, validate_email_address

from relance_app.channels import outbox
from relance_app.channels.recipients import recipients_for, unsubscribed
from relance_app.common import cache
from relance_app.common.language import in_language
from relance_app.constants import (
	NO_RECIPIENT,
	QUEUED,
	SKIPPED,
	STATUS_NO_RECIPIENT,
	TEST_PREFIX,
)
from relance_app.documents.attachments import default_print_format, invoice_attachment, statement_attachment
from relance_app.documents.language import template_choice
from relance_app.documents.message_data import (
	customer_info,
	customer_tone,
	message_context,
)
from relance_app.documents.rendering import plain_text, render
from relance_app.engine.models import Stage
from relance_app.pdf import delivery
from relance_app.records.invoice_status import (
	set_invoice_fields,
)
from relance_app.records.relance_log import insert_log
from relance_app.records.todos import ensure_todo


def email_parts(
	acting, stage: Stage, policy_doc, as_of: date, test_mode: bool = False, preview: bool = False
) -> dict:
	"""Subject, body, template, language and attachments of the message: used to send and to preview.
	The template decides the language of everything in it (relance_app.documents.language)."""
	candidates = [c for c, _s in acting]
	first = candidates[0]
	info = customer_info(first.row)
	tone = customer_tone(first.facts.customer, first.policy.policy, policy_doc, as_of)
	choice = template_choice(stage, policy_doc, info.get("language"), tone)
	template_name, language = choice.template, choice.language
	if not template_name:
		frappe.throw(
			_("Stage {0} of {1} has no email template.").format(stage.stage_name, policy_doc.name),
			title=_("Missing Email Template"),
		)
	template = frappe.get_cached_doc("Email Template", template_name)
	context = message_context(
		stage,
		first.policy.policy,
		policy_doc,
		candidates,
		as_of,
		test_mode=test_mode,
		language=language,
		tone=tone,
	)
	with in_language(language):
		subject = render(template.subject, context).strip()
		body = render(template.response_html if cint(template.use_html) else template.response, context)
	row = frappe.get_cached_doc("Dunning Policy", policy_doc.name).get(
		"stages", {"stage_name": stage.stage_name}
	)
	stage_row = row[0] if row else frappe._dict(attach_invoice=1)
	attachments = []
	if cint(stage_row.attach_invoice):
		print_format = stage.print_format or default_print_format()
		for c in candidates:
			attachments.append(
				invoice_attachment(c.facts.name, print_format, language, stage_row.get("letter_head"))
			)
	if cint(stage_row.attach_statement):
		if preview:  # the preview's label: the accountant's language
			attachments.append({"fname": _("Statement of Account")})
		else:
			with in_language(language):
				attachments.append(statement_attachment(first, as_of, language))
	return {
		"subject": subject,
		"body": body,
		"template": template_name,
		"language": language,
		"tone": tone,
		"attachments": attachments,
		"context": context,
	}


def send_email(acting, stage: Stage, policy_doc, as_of: date, run_id: str | None, approved=None) -> str:
	settings = frappe.get_cached_doc("Relance Settings")
	test_mode = bool(cint(settings.test_mode))
	candidates = [c for c, _s in acting]
	names = [c.facts.name for c in candidates]

	recipients = recipients_for(candidates)
	gone = unsubscribed(recipients, names)
	if gone:
		recipients = [e for e in recipients if e not in gone]
	if not recipients:
		why = (
			_("every recipient unsubscribed ({0}).").format(", ".join(sorted(gone)))
			if gone
			else _("no email address on the invoice or the customer's contacts.")
		)
		return no_recipient(acting, stage, as_of, why, approved)

	parts = email_parts(acting, stage, policy_doc, as_of, test_mode)
	subject, real_recipients = parts["subject"], recipients
	cc = [e for e in split_emails(policy_doc.cc or "") if validate_email_address(e)]
	if test_mode:
		recipients, cc = [settings.test_email], []
		subject = TEST_PREFIX + subject

	comm, queue = queue_email(
		invoices=names,
		customer=candidates[0].facts.customer,
		subject=subject,
		body=parts["body"],
		recipients=recipients,
		cc=cc,
		sender=sender_for(policy_doc),
		reply_to=policy_doc.reply_to,
		attachments=parts["attachments"],
		template=parts["template"],
	)
	group_id = comm if len(names) > 1 else None
	for candidate, s in acting:
		reason = (
			_("Test mode: sent to {0} instead of {1}.").format(
				settings.test_email, ", ".join(real_recipients)
			)
			if test_mode
			else ""
		)
		insert_log(
			candidate,
			s,
			as_of,
			QUEUED,
			recipients=", ".join(recipients),
			cc=", ".join(cc),
			subject=subject,
			communication=comm,
			email_queue=queue,
			group_id=group_id,
			reason=reason,
			language=parts["language"],
			sent_on=now_datetime(),
			**(approved or {}),
		)
	return "sent"


def no_recipient(acting, stage: Stage, as_of: date, why: str, approved: dict | None = None) -> str:
	"""Nothing to send to: a Skipped log per invoice and one open ToDo for the accountant."""
	for candidate, s in acting:
		insert_log(candidate, s, as_of, SKIPPED, reason=why, reason_code=NO_RECIPIENT, **(approved or {}))
		set_invoice_fields(
			candidate.facts.name, status=STATUS_NO_RECIPIENT, last_stage=s.stage_name, last_date=as_of
		)
		ensure_todo(
			candidate,
			_(
				"Relance {0} of {1} could not be sent: {2} Add a contact email to the invoice or the customer."
			).format(s.stage_name, candidate.facts.name, why),
			key="no_recipient",
		)
	return NO_RECIPIENT


def queue_email(invoices, customer, subject, body, recipients, cc, sender, reply_to, attachments, template):
	"""The Communication (on the invoice's and the customer's timelines) and its Email Queue row, in
	the caller's transaction. `frappe.sendmail` alone would make no Communication; the queue renders
	the PDF attachments when it sends. No unsubscribe link: a relance must never vanish quietly."""
	comm = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Sent",
			"subject": subject,
			"content": outbox.without_data_images(body),
			"sender": sender,
			"recipients": ", ".join(recipients),
			"cc": ", ".join(cc) or None,
			"reference_doctype": "Sales Invoice",
			"reference_name": invoices[0],
			"email_template": template,
			"has_attachment": 1 if attachments else 0,
		}
	)
	comm.flags.skip_add_signature = True
	comm.flags.ignore_links = True  # the invoices, customer and contacts linked were just read
	# Frappe reads the invoice twice while saving a Communication: fully as its parent, and through
	# get_cached_value to clear a web route. One cached document serves both, and gives its owner.
	comm.parent_doc = frappe.get_cached_doc("Sales Invoice", invoices[0])
	comm.reference_owner = comm.parent_doc.owner
	for name in invoices[1:]:
		comm.add_link("Sales Invoice", name)
	comm.add_link("Customer", customer)
	comm.insert(ignore_permissions=True)
	email = outbox.queue(  # frappe.sendmail's QueueBuilder, per-batch work done once (outbox)
		recipients=recipients,
		cc=cc,
		sender=sender,
		reply_to=reply_to or None,
		subject=subject,
		message=body,
		text_content=plain_text(body),  # links on their own, never glued to punctuation
		reference_doctype="Sales Invoice",
		reference_name=invoices[0],
		attachments=attachments,
		communication=comm.name,
		message_id=comm.message_id,
		expose_recipients="header",
		add_unsubscribe_link=0,
		with_container=False,
		send_after=delivery.hold_until(),  # sent by relance_app's delivery job (Frappe's flush after)
		print_letterhead=True,  # the queue gives its own value to every print attachment
	)
	queue = email.name if email else None
	delivery.track(queue)
	return comm.name, queue


def sender_for(policy_doc) -> str | None:
	return cache.memo(("sender", policy_doc.name), lambda: _sender_for(policy_doc))


def _sender_for(policy_doc) -> str | None:
	if policy_doc.sender:
		account = frappe.get_cached_doc("Email Account", policy_doc.sender)
		return f"{account.name} <{account.email_id}>" if account.email_id else None
	from frappe.email.doctype.email_account.email_account import EmailAccount

	account = EmailAccount.find_outgoing(match_by_doctype="Sales Invoice")
	if not account:
		frappe.throw(
			_("No outgoing email account: set one as default or choose a sender on the Dunning Policy."),
			frappe.OutgoingEmailError,
			title=_("No Email Account"),
		)
	return account.default_sender
