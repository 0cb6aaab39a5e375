"""The letter channel (the formal notice): the letter of a stage, made as a PDF attached to the invoice
with a ToDo to post it; then how it was sent, when it was posted, the acknowledgement of receipt and
its scan, entered from the Relance Log or the Sales Invoice (relance_app.api.record_letter_delivery).
The log stays read-only otherwise: only these fields change, after the permission checks."""

from __future__ import annotations

import re
from datetime import date

import frappe
from frappe import _
from frappe.utils import get_url, getdate, now_datetime, today

from relance_app.common import args, cache
from relance_app.constants import (
	DELIVERED_STATUSES,
	LETTER_CHANNELS,
	MISE_EN_DEMEURE,
	RECEIVED,
	REGISTERED_LETTER,
	RETURNED,
	SENT,
	SIMPLE_LETTER,
)
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.letter_print import letter_language, letter_pdf
from relance_app.engine.decide import decide
from relance_app.engine.models import Stage
from relance_app.records.invoice_status import refresh_invoice_status
from relance_app.records.relance_log import insert_log
from relance_app.records.todos import ensure_todo

LETTER_FIELDS = (
	"sending_method",
	"registered_number",
	"posting_date",
	"acknowledgement",
	"acknowledgement_date",
	"acknowledgement_scan",
)
# La Poste numbers look like "1A 123 456 7890 1"; other carriers differ: letters, digits, spaces, dashes
REGISTERED_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{3,39}$")


def refuse(message: str, title: str, exc=frappe.ValidationError):
	frappe.throw(message, exc, title=title)


def record_delivery(relance_log: str, entered: dict) -> dict:
	"""relance_app.api.record_letter_delivery's work: `entered` holds its arguments but the log
	(sending_method, registered_number, posting_date, acknowledgement, acknowledgement_date, scan)."""
	log = frappe.get_doc("Relance Log", relance_log)
	if not frappe.has_permission("Sales Invoice", "write", log.sales_invoice):
		refuse(
			_("You are not allowed to change {0} {1}.").format(_("Sales Invoice"), log.sales_invoice),
			_("Not Permitted"),
			frappe.PermissionError,
		)
	values = check_letter_values(log, frappe._dict(entered))
	log.update(values)
	log.flags.ignore_permissions = True
	log.flags.ignore_links = True
	log.save()  # the log tracks its changes: the Version keeps who entered what, and when
	if entered.get("scan"):
		attach_scan(entered["scan"], log.name)
	frappe.get_doc("Sales Invoice", log.sales_invoice).add_comment(
		"Info", letter_comment(log), comment_email=frappe.session.user
	)
	refresh_invoice(log.sales_invoice)
	return {"relance_log": log.name, **{f: str(log.get(f) or "") for f in LETTER_FIELDS}}


def check_letter_values(log, entered) -> dict:
	sending_method, scan = entered.sending_method, entered.scan
	registered_number, posting_date = entered.registered_number, entered.posting_date
	acknowledgement, acknowledgement_date = entered.acknowledgement, entered.acknowledgement_date
	title = _("Invalid Letter Delivery")
	if log.channel not in LETTER_CHANNELS:
		refuse(
			_("Relance {0} ({1}) was not sent by letter.").format(log.stage_name, _(log.channel or "")), title
		)
	if log.status not in DELIVERED_STATUSES:
		refuse(_("Relance {0} was not sent ({1}).").format(log.stage_name, _(log.status)), title)
	number = (registered_number or "").strip()
	if number and not REGISTERED_NUMBER.match(number):
		refuse(
			_("The registered-mail number {0} is not valid: letters, digits, spaces and dashes only.").format(
				args.shown(number)
			),
			title,
		)
	if number and sending_method != REGISTERED_LETTER:
		refuse(_("Only a registered letter has a registered-mail number."), title)
	if sending_method == REGISTERED_LETTER and posting_date and not number:
		refuse(_("Enter the registered-mail number of the posted registered letter."), title)
	if posting_date and posting_date < getdate(log.relance_date):
		refuse(
			_("The letter cannot be posted ({0}) before its relance date ({1}).").format(
				frappe.format(posting_date, "Date"), frappe.format(log.relance_date, "Date")
			),
			title,
		)
	if acknowledgement:
		if sending_method == SIMPLE_LETTER:
			refuse(_("A simple letter has no acknowledgement of receipt."), title)
		if not posting_date:
			refuse(_("Enter the posting date before the acknowledgement of receipt."), title)
		if not acknowledgement_date:
			refuse(_("Enter the date of the acknowledgement of receipt."), title)
	elif acknowledgement_date:
		refuse(_("Choose whether the letter was received or returned."), title)
	if acknowledgement_date and posting_date and acknowledgement_date < posting_date:
		refuse(
			_("The acknowledgement ({0}) cannot come before the posting date ({1}).").format(
				frappe.format(acknowledgement_date, "Date"), frappe.format(posting_date, "Date")
			),
			title,
		)
	if scan:
		check_scan(scan, log.name)
	return {
		"sending_method": sending_method,
		"registered_number": number or None,
		"posting_date": posting_date,
		"acknowledgement": acknowledgement or None,
		"acknowledgement_date": acknowledgement_date,
		"acknowledgement_scan": scan or log.acknowledgement_scan,
	}


def check_scan(scan: str, log_name: str) -> None:
	"""The scan is a File the user uploaded (or may read), not attached to another document."""
	title = _("Invalid Scan")
	file = frappe.db.get_value(
		"File", {"file_url": scan}, ["name", "attached_to_doctype", "attached_to_name"], as_dict=True
	)
	if not file:
		refuse(_("The file {0} does not exist.").format(args.shown(scan)), title, frappe.DoesNotExistError)
	if not frappe.has_permission("File", "read", file.name):
		refuse(_("You are not allowed to see {0} {1}.").format(_("File"), args.shown(scan)), title)
	if file.attached_to_doctype and (file.attached_to_doctype, file.attached_to_name) != (
		"Relance Log",
		log_name,
	):
		refuse(_("The file {0} belongs to another document.").format(args.shown(scan)), title)


def attach_scan(scan: str, log_name: str) -> None:
	"""The scan goes with the log, private."""
	name = frappe.db.get_value("File", {"file_url": scan}, "name")
	file = frappe.get_doc("File", name)
	file.update(
		{
			"attached_to_doctype": "Relance Log",
			"attached_to_name": log_name,
			"attached_to_field": "acknowledgement_scan",
			"is_private": 1,
		}
	)
	file.flags.ignore_permissions = True
	file.save()
	if file.file_url != scan:  # made private: its URL moved
		frappe.db.set_value(
			"Relance Log", log_name, "acknowledgement_scan", file.file_url, update_modified=False
		)


def letter_comment(log) -> str:
	parts = [_("Letter {0}: {1}").format(log.stage_name, _(log.sending_method))]
	if log.registered_number:
		parts.append(_("registered-mail number {0}").format(frappe.utils.escape_html(log.registered_number)))
	if log.posting_date:
		parts.append(_("posted on {0}").format(frappe.format(log.posting_date, "Date")))
	if log.acknowledgement == RECEIVED:
		parts.append(_("received on {0}").format(frappe.format(log.acknowledgement_date, "Date")))
	elif log.acknowledgement == RETURNED:
		parts.append(
			_("returned, not collected, on {0}").format(frappe.format(log.acknowledgement_date, "Date"))
		)
	return ", ".join(parts) + "."


def refresh_invoice(sales_invoice: str) -> None:
	"""The invoice's relance fields follow at once (a posted letter lets the next stage be planned)."""

	cache.clear()
	for candidate in select_candidates(load_policies(), invoice_names=[sales_invoice]):
		if candidate.policy:
			as_of = getdate(today())
			refresh_invoice_status(candidate, decide(candidate.policy.policy, candidate.facts, as_of), as_of)


def letter_logs(invoices: list[str]) -> list[dict]:
	"""The letters of these invoices that reached the customer, oldest first, with their tracking."""
	return frappe.get_all(
		"Relance Log",
		filters={
			"sales_invoice": ("in", invoices),
			"channel": ("in", list(LETTER_CHANNELS)),
			"status": ("in", list(DELIVERED_STATUSES)),
		},
		fields=[
			"name",
			"sales_invoice",
			"stage_name",
			"channel",
			"status",
			"relance_date",
			"todo",
			"language",
			*LETTER_FIELDS,
		],
		order_by="relance_date asc, creation asc",
	)


def make_letters(
	acting, stage: Stage, policy_doc, as_of: date, email_sent: bool, approved: dict | None = None
) -> None:
	"""Render the letter PDF, attach it to the invoice, and give the accountant a ToDo to post it."""
	row = policy_doc.get("stages", {"stage_name": stage.stage_name})
	print_format = (row[0].letter_print_format if row else None) or MISE_EN_DEMEURE
	for candidate, s in acting:
		language = letter_language(candidate.facts.name, as_of)
		pdf = letter_pdf(candidate.facts.name, print_format, as_of, language)
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
				language=language,
				**(approved or {}),
			)
