"""The thank-you email once a relanced invoice is paid."""

from __future__ import annotations

from datetime import date

import frappe
from frappe.utils import cint, now_datetime

from relance_app.channels.email import queue_email, sender_for
from relance_app.channels.recipients import recipients_for
from relance_app.common.language import in_language
from relance_app.constants import (
	QUEUED,
	STATUS_PAID,
	STATUS_THANKED,
	TEST_PREFIX,
	THANK_YOU_STAGE,
)
from relance_app.data.invoices import Candidate
from relance_app.documents.language import template_choice
from relance_app.documents.message_data import (
	customer_info,
	message_context,
)
from relance_app.documents.rendering import render
from relance_app.engine.decide import decide
from relance_app.engine.message import COURTEOUS
from relance_app.engine.models import Stage
from relance_app.records.invoice_status import (
	set_invoice_fields,
)
from relance_app.records.relance_log import insert_log


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
		set_invoice_fields(candidate.facts.name, status=STATUS_PAID)
		return "nothing"
	settings = frappe.get_cached_doc("Relance Settings")
	test_mode = bool(cint(settings.test_mode))
	info = customer_info(candidate.row)
	# the thank-you's template and language: its own, or its variant rows (stage __thank_you__)
	choice = template_choice(stage, policy_doc, info.get("language"), COURTEOUS)
	language = choice.language
	template = frappe.get_cached_doc("Email Template", choice.template)
	context = message_context(
		stage,
		candidate.policy.policy,
		policy_doc,
		[candidate],
		as_of,
		test_mode=test_mode,
		language=language,
		tone=COURTEOUS,
	)
	with in_language(language):
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
		template=choice.template,
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
		language=language,
	)
	set_invoice_fields(candidate.facts.name, status=STATUS_THANKED)
	return "thank_you"
