"""Acting on planned relances, exactly once.

A unit is one message (one invoice, or several of one customer when the policy groups them). Each
unit runs in its own transaction: lock the invoices, decide again on fresh data, write the Relance
Log rows (unique key per invoice and stage), render, queue the email with its Communication, commit.
A crash before the commit leaves nothing behind, so the next run does it; a concurrent run waits on
the lock and then finds the stage already acted on. A failure is rolled back and logged as Failed.
"""

from __future__ import annotations

import traceback
from dataclasses import replace
from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import cint, get_url, getdate, now_datetime, split_emails, validate_email_address

from relance_app.common import cache
from relance_app.constants import LETTER_CHANNELS, MISE_EN_DEMEURE, NO_RECIPIENT, TEST_PREFIX
from relance_app.data.calendar import company_calendar, shift_to_business_day
from relance_app.data.invoices import THANK_YOU_STAGE, Candidate, load_policies, select_candidates
from relance_app.data.policies import variants_from_doc
from relance_app.documents.attachments import default_print_format, invoice_attachment, statement_attachment
from relance_app.documents.message_data import (
	customer_info,
	customer_language,
	customer_tone,
	invoice_penalties,
	message_context,
)
from relance_app.documents.rendering import render
from relance_app.engine import reasons as R
from relance_app.engine.decide import decide, effective_due
from relance_app.engine.forecast import next_relance_date
from relance_app.engine.models import (
	AWAITING_APPROVAL,
	CANCELLED,
	EMAIL_CHANNELS,
	FAILED,
	PHONE,
	QUEUED,
	SENT,
	SKIPPED,
	HistoryEntry,
	Stage,
)
from relance_app.engine.template_choice import pick_template
from relance_app.pdf import delivery
from relance_app.run import outbox

# --- entry points -----------------------------------------------------------------------------


def process_units(units: list[dict], as_of: str, run_id: str | None = None) -> dict:
	"""Background job: each unit in its own transaction; one failure never stops the others.

	A unit is one message: {"kind": "stage" | "thank_you" | "skip", "customer", "policy",
	"invoices": [names], "stages": {invoice: stage name}}, JSON-serialisable for the queue."""
	as_of = getdate(as_of)
	counts: dict[str, int] = {}
	cache.clear()
	with delivery.batch():  # the emails this batch commits are delivered by jobs queued at its end
		for unit in units:
			try:
				outcome = process_unit(unit, as_of, run_id)
				frappe.db.commit()  # nosemgrep: one transaction per unit, by design
			except (frappe.DuplicateEntryError, frappe.UniqueValidationError):
				# another run acted on this (invoice, stage) first: nothing to do, nothing to log
				frappe.db.rollback()
				outcome = "duplicate"
			except Exception:
				frappe.db.rollback()
				outcome = "failed"
				record_failure(unit, as_of, traceback.format_exc())
				frappe.db.commit()  # nosemgrep
			counts[outcome] = counts.get(outcome, 0) + 1
	return counts


def process_unit(unit: dict, as_of: date, run_id: str | None = None) -> str:
	names = list(unit["invoices"])
	lock_invoices(names)
	policies = cache.memo("policies", load_policies)
	# read again under the lock: paid a second ago, put on hold, or acted on by another run
	fresh = {c.facts.name: c for c in select_candidates(policies, invoice_names=names)}

	if unit["kind"] == "thank_you":
		return send_thank_you(fresh.get(names[0]), as_of, run_id)

	acting: list[tuple[Candidate, Stage]] = []
	for name in names:
		candidate = fresh.get(name)
		if not candidate or not candidate.policy:
			continue
		decision = decide(candidate.policy.policy, candidate.facts, as_of, early=bool(unit.get("manual")))
		for stage in decision.skipped:
			insert_log(candidate, stage, as_of, SKIPPED, reason=_("Reminder before the due date, now past."))
		stage = decision.stage  # early (on the user's demand) still keeps the gap and every rule
		if stage is not None and stage.stage_name == unit["stages"].get(name):
			acting.append((candidate, stage))
		else:
			refresh_invoice_status(candidate, decision, as_of)
	if not acting:
		return "skipped" if unit["kind"] == "skip" else "nothing"

	policy_doc = frappe.get_cached_doc("Dunning Policy", acting[0][0].policy.name)
	if any(s.requires_approval for _c, s in acting):
		for candidate, s in acting:
			insert_log(
				candidate, s, as_of, AWAITING_APPROVAL, reason=_("Waiting for the accountant's approval.")
			)
			set_invoice_fields(
				candidate.facts.name, status="Awaiting Approval", last_stage=s.stage_name, last_date=as_of
			)
		return "awaiting_approval"
	return act(acting, policy_doc, as_of, run_id)


def act(acting, policy_doc, as_of: date, run_id: str | None = None, approved: dict | None = None) -> str:
	"""Send, post or call for the (invoice, stage) pairs of one message."""
	# the message follows the most advanced stage among the grouped invoices
	stage = max((s for _c, s in acting), key=lambda s: (s.offset_days, s.idx))
	if stage.channel == PHONE:
		outcome = phone_task(acting, policy_doc, as_of)
	else:
		outcome = "sent"
		if stage.channel in EMAIL_CHANNELS:
			outcome = send_email(acting, stage, policy_doc, as_of, run_id, approved=approved)
		if stage.channel in LETTER_CHANNELS and outcome != NO_RECIPIENT:
			make_letters(
				acting,
				stage,
				policy_doc,
				as_of,
				email_sent=stage.channel in EMAIL_CHANNELS,
				approved=approved,
			)
			outcome = "sent"
	if outcome != NO_RECIPIENT:
		for candidate, s in acting:
			if s.create_dunning:
				create_dunning(candidate, s, policy_doc, as_of)
			update_next(candidate, s, as_of, status="Sent")
	return outcome


def approve_log(log_name: str, as_of: date) -> str:
	"""Send a stage that waited for approval (same exactly-once path: lock, re-check, log, queue)."""
	invoice, stage_name = frappe.db.get_value("Relance Log", log_name, ["sales_invoice", "stage_name"])
	lock_invoices([invoice])
	status = frappe.db.get_value("Relance Log", log_name, "status", for_update=True)
	if status != AWAITING_APPROVAL:
		return "nothing"
	candidates = select_candidates(cache.memo("policies", load_policies), invoice_names=[invoice])
	candidate = candidates[0] if candidates else None
	decision = (
		decide(candidate.policy.policy, candidate.facts, as_of) if candidate and candidate.policy else None
	)
	if not decision or decision.reason != R.AWAITING_APPROVAL:
		why = decision.reason if decision else R.PAID
		frappe.db.set_value(
			"Relance Log",
			log_name,
			{
				"status": CANCELLED,
				"reason": _("Not sent: the invoice is no longer due for it ({0}).").format(why),
			},
		)
		return "cancelled"
	stage = candidate.policy.stages_by_name[stage_name]
	policy_doc = frappe.get_cached_doc("Dunning Policy", candidate.policy.name)
	approved = {"approved_by": frappe.session.user, "approved_on": now_datetime()}
	frappe.flags.relance_approving = True
	try:
		return act([(candidate, stage)], policy_doc, as_of, approved=approved)
	finally:
		frappe.flags.relance_approving = False


# --- locking and logs -------------------------------------------------------------------------


def lock_invoices(names: list[str]) -> None:
	si = frappe.qb.DocType("Sales Invoice")
	frappe.qb.from_(si).select(si.name).where(si.name.isin(names)).orderby(si.name).for_update().run()


def insert_log(candidate: Candidate, stage: Stage | None, as_of: date, status: str, **values):
	"""Insert the log of (invoice, stage), or take over its Failed row (a retry). Any other existing
	row means the stage was already acted on: DuplicateEntryError, the unit is rolled back."""
	facts = candidate.facts
	stage_name = stage.stage_name if stage else THANK_YOU_STAGE
	with_penalties = bool(stage and stage.include_penalties)
	due, amount, penalties = invoice_penalties(facts, candidate.policy.policy, as_of, with_penalties)
	data = {
		"sales_invoice": facts.name,
		"customer": facts.customer,
		"company": candidate.row.company,
		"dunning_policy": candidate.policy.name,
		"stage_name": stage_name,
		"channel": stage.channel if stage else "Email",
		"status": status,
		"relance_date": as_of,
		"due_date": due,
		"days_late": max(0, (as_of - due).days),
		"currency": facts.currency,
		"outstanding_amount": facts.outstanding,
		"amount_due": amount,
		"late_interest": penalties.interest if with_penalties else 0,
		"fixed_indemnity": penalties.indemnity if with_penalties else 0,
		"indemnity_currency": penalties.indemnity_currency,
		"test_mode": cint(frappe.db.get_single_value("Relance Settings", "test_mode")),
	}
	data.update(values)
	# the logs were read under the invoice lock; the unique key guards against anything else
	current = candidate.logs.get(stage_name)
	if current:
		takeover = (FAILED, AWAITING_APPROVAL) if frappe.flags.relance_approving else (FAILED,)
		if current.status not in takeover:
			raise frappe.DuplicateEntryError("Relance Log", current.name)
		data["attempts"] = cint(current.attempts) + (1 if status == FAILED else 0)
		data["error"] = values.get("error") or ""
		frappe.db.set_value("Relance Log", current.name, data, update_modified=True)
		candidate.logs[stage_name] = frappe._dict(current, status=status)
		return current.name
	log = frappe.get_doc({"doctype": "Relance Log", "customer_name": candidate.row.customer_name, **data})
	log.attempts = 1 if status in (FAILED, QUEUED, SENT, AWAITING_APPROVAL) else 0
	log.flags.ignore_permissions = True
	log.flags.ignore_links = True  # every link was just read from the database
	log.insert()
	candidate.logs[stage_name] = frappe._dict(name=log.name, status=status, attempts=log.attempts)
	return log.name


def record_failure(unit: dict, as_of: date, error: str) -> None:
	"""After a rollback: the unit's stages are logged Failed (attempts counted) for a later retry."""
	try:
		policies = cache.memo("policies", load_policies)
		for c in select_candidates(policies, invoice_names=list(unit["invoices"])):
			stage_name = unit.get("stages", {}).get(c.facts.name)
			stage = c.policy.stages_by_name.get(stage_name) if c.policy and stage_name else None
			if not stage and unit["kind"] != "thank_you":
				continue
			insert_log(
				c,
				stage,
				as_of,
				FAILED,
				reason=_("Failed: {0}").format(error.strip().splitlines()[-1]),
				error=error,
			)
		frappe.log_error(title=_("Relance failed"), message=error, reference_doctype="Sales Invoice")
	except Exception:
		frappe.db.rollback()
		frappe.log_error(title=_("Relance failure could not be logged"), message=traceback.format_exc())


# --- recipients -------------------------------------------------------------------------------


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


def no_recipient(acting, stage: Stage, as_of: date, why: str) -> str:
	"""Nothing to send to: a Skipped log per invoice and one open ToDo for the accountant."""
	for candidate, s in acting:
		insert_log(candidate, s, as_of, SKIPPED, reason=why, reason_code=NO_RECIPIENT)
		set_invoice_fields(
			candidate.facts.name, status="No Recipient", last_stage=s.stage_name, last_date=as_of
		)
		ensure_todo(
			candidate,
			_(
				"Relance {0} of {1} could not be sent: {2} Add a contact email to the invoice or the customer."
			).format(s.stage_name, candidate.facts.name, why),
			key="no_recipient",
		)
	return NO_RECIPIENT


def ensure_todo(candidate: Candidate, description: str, key: str, assign_to: str | None = None) -> str:
	"""One open ToDo per invoice and purpose, never one a day."""
	marker = f"[relance:{key}]"
	existing = frappe.db.get_value(
		"ToDo",
		{
			"reference_type": "Sales Invoice",
			"reference_name": candidate.facts.name,
			"status": "Open",
			"description": ("like", f"%{marker}%"),
		},
		"name",
	)
	if existing:
		return existing
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": assign_to or accountant_for(candidate),
			"reference_type": "Sales Invoice",
			"reference_name": candidate.facts.name,
			"description": f"{description} {marker}",
			"priority": "High",
			"date": getdate(),
		}
	)
	todo.flags.ignore_permissions = True
	todo.insert()
	return todo.name


def accountant_for(candidate: Candidate) -> str:
	"""The policy's owner if still an active user, else Administrator."""
	owner = frappe.db.get_value("Dunning Policy", candidate.policy.name, "owner")
	if owner and owner != "Guest" and frappe.db.get_value("User", owner, "enabled"):
		return owner
	return "Administrator"


# --- email ------------------------------------------------------------------------------------


def email_parts(
	acting, stage: Stage, policy_doc, as_of: date, test_mode: bool = False, preview: bool = False
) -> dict:
	"""Subject, body, template, language and attachments of the message: used to send and to preview."""
	candidates = [c for c, _s in acting]
	first = candidates[0]
	info = customer_info(first.row)
	language = customer_language(info, policy_doc)
	tone = customer_tone(first.facts.customer, first.policy.policy, policy_doc, as_of)
	template_name = pick_template(
		stage.stage_name, stage.email_template, variants_from_doc(policy_doc), language, tone
	)
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
		attachments.append(
			{"fname": _("Statement of Account")} if preview else statement_attachment(first, as_of, language)
		)
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
		return no_recipient(acting, stage, as_of, why)

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
			sent_on=now_datetime(),
			**(approved or {}),
		)
	return "sent"


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
			"content": body,
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


# --- letters, phone, dunning, thank-you -------------------------------------------------------


def make_letters(
	acting, stage: Stage, policy_doc, as_of: date, email_sent: bool, approved: dict | None = None
) -> None:
	"""Render the letter PDF, attach it to the invoice, and give the accountant a ToDo to post it."""
	row = policy_doc.get("stages", {"stage_name": stage.stage_name})
	print_format = (row[0].letter_print_format if row else None) or MISE_EN_DEMEURE
	for candidate, s in acting:
		frappe.flags.relance_as_of = as_of
		try:
			pdf = frappe.get_print("Sales Invoice", candidate.facts.name, print_format, as_pdf=True)
		finally:
			frappe.flags.relance_as_of = None
		fname = f"{s.stage_name}-{candidate.facts.name}-{as_of}.pdf".replace(" ", "_")
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": fname,
				"attached_to_doctype": "Sales Invoice",
				"attached_to_name": candidate.facts.name,
				"is_private": 1,
				"content": pdf,
			}
		)
		file.flags.ignore_permissions = True
		file.insert()
		todo = ensure_todo(
			candidate,
			_("Post the letter {0} for {1} (registered letter with acknowledgement of receipt): {2}").format(
				s.stage_name, candidate.facts.name, get_url(file.file_url)
			),
			key=f"letter:{s.stage_name}",
		)
		if email_sent:
			name = candidate.logs[s.stage_name].name
			frappe.db.set_value("Relance Log", name, "todo", todo, update_modified=False)
		else:
			insert_log(
				candidate,
				s,
				as_of,
				SENT,
				todo=todo,
				reason=_("Letter to post: {0}").format(file.file_name),
				sent_on=now_datetime(),
				**(approved or {}),
			)


def phone_task(acting, policy_doc, as_of: date) -> str:
	for candidate, s in acting:
		facts = candidate.facts
		due, amount = effective_due(facts, as_of)
		todo = ensure_todo(
			candidate,
			_("Call {0} about invoice {1}: {2} {3} due on {4}, {5} days late. Contact: {6}").format(
				candidate.row.customer_name,
				facts.name,
				amount,
				facts.currency,
				frappe.format(due, "Date"),
				max(0, (as_of - due).days),
				candidate.row.contact_email or "-",
			),
			key=f"phone:{s.stage_name}",
		)
		insert_log(
			candidate, s, as_of, SENT, todo=todo, reason=_("Phone call assigned."), sent_on=now_datetime()
		)
	return "sent"


def create_dunning(candidate: Candidate, stage: Stage, policy_doc, as_of: date | None = None) -> str | None:
	"""ERPNext's own Dunning (draft) so fees and interest reach the accounts."""
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import create_dunning as make_dunning

	row = policy_doc.get("stages", {"stage_name": stage.stage_name})
	dunning_type = row[0].dunning_type if row else None
	dunning = make_dunning(candidate.facts.name, ignore_permissions=True)
	if dunning_type:
		dunning.dunning_type = dunning_type
	# ERPNext's Dunning takes one rate: the one in force on the relance day (by semester on the legal basis)
	penalties = invoice_penalties(candidate.facts, candidate.policy.policy, as_of or getdate())[2]
	dunning.rate_of_interest = float(penalties.rate)
	dunning.flags.ignore_permissions = True
	dunning.insert()
	log = candidate.logs.get(stage.stage_name)
	if log:
		frappe.db.set_value("Relance Log", log.name, "dunning", dunning.name, update_modified=False)
	return dunning.name


def send_thank_you(candidate: Candidate | None, as_of: date, run_id: str | None) -> str:
	if not candidate or not candidate.policy:
		return "nothing"
	decision = decide(candidate.policy.policy, candidate.facts, as_of)
	if not decision.thank_you:
		return "nothing"
	policy_doc = frappe.get_cached_doc("Dunning Policy", candidate.policy.name)
	stage = Stage(THANK_YOU_STAGE, 0, email_template=policy_doc.thank_you_template)
	recipients = recipients_for([candidate])
	if not recipients or not policy_doc.thank_you_template:
		set_invoice_fields(candidate.facts.name, status="Paid")
		return "nothing"
	settings = frappe.get_cached_doc("Relance Settings")
	test_mode = bool(cint(settings.test_mode))
	info = customer_info(candidate.row)
	language = customer_language(info, policy_doc)
	template = frappe.get_cached_doc("Email Template", policy_doc.thank_you_template)
	context = message_context(
		stage,
		candidate.policy.policy,
		policy_doc,
		[candidate],
		as_of,
		test_mode=test_mode,
		language=language,
		tone="courteous",
	)
	subject = render(template.subject, context).strip()
	body = render(template.response_html if cint(template.use_html) else template.response, context)
	if test_mode:
		recipients, subject = [settings.test_email], TEST_PREFIX + subject
	comm, queue = queue_email(
		invoices=[candidate.facts.name],
		customer=candidate.facts.customer,
		subject=subject,
		body=body,
		recipients=recipients,
		cc=[],
		sender=sender_for(policy_doc),
		reply_to=policy_doc.reply_to,
		attachments=[],
		template=policy_doc.thank_you_template,
	)
	insert_log(
		candidate,
		None,
		as_of,
		QUEUED,
		recipients=", ".join(recipients),
		subject=subject,
		communication=comm,
		email_queue=queue,
		sent_on=now_datetime(),
	)
	set_invoice_fields(candidate.facts.name, status="Thanked")
	return "thank_you"


# --- invoice status fields --------------------------------------------------------------------


def set_invoice_fields(
	invoice: str,
	status=None,
	last_stage=None,
	last_date=None,
	next_stage=None,
	next_date=None,
	clear_next=False,
):
	values = {}
	if status is not None:
		values["relance_status"] = status
	if last_stage is not None:
		values["relance_last_stage"] = last_stage
	if last_date is not None:
		values["relance_last_date"] = last_date
	if next_stage is not None or clear_next:
		values["relance_next_stage"] = next_stage
	if next_date is not None or clear_next:
		values["relance_next_date"] = next_date
	if values:
		frappe.db.set_value("Sales Invoice", invoice, values, update_modified=False)


AWAITING_POSTING_STATUS = "Awaiting Posting"
STATUS_OF_REASON = {
	R.PAID: "Paid",
	R.ON_HOLD: "On Hold",
	R.EXCLUDED: "Excluded",
	R.COMPLETED: "Completed",
	R.AWAITING_APPROVAL: "Awaiting Approval",
	R.CUSTOMER_DISABLED: "Excluded",
	R.AWAITING_POSTING: AWAITING_POSTING_STATUS,
}


def refresh_invoice_status(candidate: Candidate, decision, as_of: date) -> None:
	"""Keep the invoice's relance fields (list view, filters) in step with the decision."""
	row = candidate.row
	status = STATUS_OF_REASON.get(decision.reason)
	if decision.reason == R.PAID and row.relance_status == "Thanked":
		status = "Thanked"
	next_stage = decision.next_stage.stage_name if decision.next_stage else None
	next_date = shift_to_business_day(row.company, decision.next_date) if next_stage else None
	if status in ("Paid", "Completed", "Excluded") or status == "Thanked":
		next_stage, next_date = None, None
	current_status = row.relance_status
	if status is None:
		status = current_status if current_status in ("Sent", "No Recipient") else "Scheduled"
		if current_status == AWAITING_POSTING_STATUS:  # the letter's posting date was entered
			status = "Sent"
	changed = (
		status != current_status
		or (next_stage or None) != (row.relance_next_stage or None)
		or (getdate(next_date) if next_date else None)
		!= (getdate(row.relance_next_date) if row.relance_next_date else None)
	)
	if changed:
		set_invoice_fields(
			row.name, status=status, next_stage=next_stage, next_date=next_date, clear_next=not next_stage
		)


def update_next(candidate: Candidate, stage: Stage, as_of: date, status: str = "Sent") -> None:
	"""After a stage is acted on, one update of the invoice's relance fields: status, last stage and
	when and which stage comes next (for the form, the list and its filters)."""
	facts = candidate.facts
	# the stage's own earlier entry (awaiting approval, a failure) is replaced by this one
	earlier = (h for h in facts.history if h.stage_name != stage.stage_name)
	history = (*earlier, HistoryEntry(stage.stage_name, SENT, as_of))
	policy = candidate.policy.policy
	after = replace(facts, history=history)
	waiting = decide(policy, after, as_of + timedelta(days=1)) if policy.wait_for_posting else None
	if waiting and waiting.reason == R.AWAITING_POSTING:
		# a letter: nothing more until its posting date is entered on the log
		status, next_date, next_stage = AWAITING_POSTING_STATUS, None, waiting.next_stage.stage_name
	else:
		next_date, next_stage = next_relance_date(
			policy, after, as_of + timedelta(days=1), *company_calendar(candidate.row.company)
		)
	set_invoice_fields(
		facts.name,
		status=status,
		last_stage=stage.stage_name,
		last_date=as_of,
		next_stage=next_stage,
		next_date=next_date,
		clear_next=not next_stage,
	)
