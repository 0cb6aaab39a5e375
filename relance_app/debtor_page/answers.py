"""The debtor's answers: a promise, a dispute, an "already paid". An answer locks the invoice, checks
the rules, then writes in the request's transaction: a Relance Log "Answered" (source Debtor Page,
time, IP address; its unique key makes the same answer posted twice a no-op), the hold through
relance_app.holds, and for a promise the written confirmation by email, for a dispute or an "already
paid" a ToDo for the accountant and a received Communication on the invoice to answer with Reply.
What the debtor typed is stored and shown HTML-escaped."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, flt, getdate, now_datetime, today

from relance_app.common import args
from relance_app.constants import ANSWERED, CUSTOMER_REPLIED, DISPUTE, PAYMENT_PROMISE
from relance_app.data.bank import customer_matches
from relance_app.data.invoices import PolicyResolver, load_policies
from relance_app.debtor_page.access import (
	INVOICE_FIELDS,
	SOURCE,
	own_invoice,
	request_ip,
	require_access,
	site_language,
)
from relance_app.debtor_page.emails import (
	details_html,
	received_communication,
	send_confirmation,
	summary,
)
from relance_app.debtor_page.page import (
	refusal_text,
)
from relance_app.engine import debtor_answers as P
from relance_app.engine.message import format_date
from relance_app.exceptions import DebtorAnswerError
from relance_app.holds import hold_invoice

# per IP address and method: answers, and PDFs (each renders a document)
ANSWER_LIMIT = 30


PDF_LIMIT = 120


LIMIT_WINDOW = 3600


HOLD_OF = {P.PROMISE: PAYMENT_PROMISE, P.DISPUTE: DISPUTE, P.ALREADY_PAID: CUSTOMER_REPLIED}


def _answer(kind: str, token, sales_invoice, values: dict) -> dict:
	try:
		return record_answer(kind, token, sales_invoice, values)
	except (frappe.ValidationError, frappe.PermissionError):
		raise
	except Exception:
		# a bug must not show a traceback to a guest: logged for the developer, a plain message out
		frappe.db.rollback()
		frappe.log_error(title=_("Debtor page answer failed"), reference_doctype="Sales Invoice")
		frappe.db.commit()  # nosemgrep: keep the error log of a request that is rolled back
		frappe.throw(
			_("Your answer could not be recorded. Please try again later or contact us."),
			DebtorAnswerError,
			title=_("Not Recorded"),
		)


def _arg(spec: args.Arg, name: str, value):
	spec.name = name
	return spec.read(value)


def parse_answer(kind: str, values: dict, invoice) -> dict:
	"""The answer's values, read and bounded (messages in the debtor's language); the fields of its
	Relance Log, what the debtor typed escaped."""
	if kind == P.PROMISE:
		day = _arg(args.Date(required=True), _("Promised date"), values.get("promised_date"))
		return {"promised_date": day}
	if kind == P.DISPUTE:
		reason = _arg(args.Choice(P.DISPUTE_REASONS), _("Reason"), values.get("reason"))
		comment = _arg(
			args.Text(required=True, max_length=P.COMMENT_MAX), _("Comment"), values.get("comment")
		)
		return {"dispute_reason": reason, "debtor_comment": escape_html(comment)}
	paid_on = _arg(
		args.Date(required=True, minimum=getdate(invoice.posting_date), maximum="today"),
		_("Payment date"),
		values.get("paid_on"),
	)
	reference = _arg(args.Text(max_length=P.REFERENCE_MAX), _("Payment reference"), values.get("reference"))
	return {"paid_on": paid_on, "payment_reference": escape_html(reference or "")}


def lock_invoice(access, name: str) -> frappe._dict:
	"""The invoice row locked until the end of the request, read fresh: one answer at a time per
	invoice, so the promise count and the duplicate check below see every committed answer."""
	si = frappe.qb.DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(si)
		.select(*[si[f] for f in INVOICE_FIELDS])
		.where(
			(si.name == name) & (si.customer == access.customer.name) & (si.company == access.company.name)
		)
		.for_update()
		.run(as_dict=True)
	)
	return rows[0]


def locked_answers(name: str) -> list:
	log = frappe.qb.DocType("Relance Log")
	return (
		frappe.qb.from_(log)
		.select(log.name, log.relance_key, log.answer, log.promised_date, log.answered_at)
		.where((log.sales_invoice == name) & (log.status == ANSWERED))
		.orderby(log.creation)
		.for_update()
		.run(as_dict=True)
	)


def record_answer(kind: str, token, sales_invoice, values: dict) -> dict:
	access = require_access(token)
	conf = access.settings
	invoice = own_invoice(access, sales_invoice)
	fields = parse_answer(kind, values, invoice)
	today_ = getdate(today())

	invoice = lock_invoice(access, invoice.name)
	answers = locked_answers(invoice.name)
	key = P.answer_key(invoice.name, kind, *fields.values())
	done = next((a for a in answers if a.relance_key == key), None)
	if done:
		return result(kind, invoice, fields, access, already=done)
	if kind == P.PROMISE:
		promised = [getdate(a.promised_date) for a in answers if a.answer == P.PROMISE and a.promised_date]
		if invoice.relance_hold_reason == PAYMENT_PROMISE and invoice.relance_hold_until:
			promised.append(getdate(invoice.relance_hold_until))
		code = P.promise_refusal(
			fields["promised_date"],
			today_,
			conf.max_promise_days,
			sum(1 for a in answers if a.answer == P.PROMISE),
			P.promise_broken(promised, today_),
		)
		if code:
			frappe.throw(
				refusal_text(code).format(conf.max_promise_days),
				DebtorAnswerError,
				title=_("Promise Not Accepted"),
			)

	now = now_datetime()
	with site_language():
		log = insert_answer_log(access, invoice, kind, fields, key, now)
		updates = apply_answer(access, invoice, kind, fields, log, now) if log else {}
	if log is None:  # the same answer, posted at the same moment, was recorded first
		done = frappe.db.get_value("Relance Log", {"relance_key": key}, ["answered_at"], as_dict=True)
		return result(kind, invoice, fields, access, already=done or frappe._dict())
	return result(kind, invoice, fields, access, confirmed=bool(updates.get("communication")))


def apply_answer(access, invoice, kind, fields, log, now) -> dict:
	"""The hold (relance_app.holds.hold_invoice, as set_hold does it), then the confirmation email of a
	promise, or the ToDo and the received Communication of a dispute or an "already paid"."""
	note = _("(from the debtor page, {0}, IP address {1})").format(
		frappe.format(now, "Datetime"), request_ip() or "?"
	)
	until = {
		P.PROMISE: fields.get("promised_date"),
		P.DISPUTE: None,
		P.ALREADY_PAID: add_days(getdate(now), access.settings.paid_hold_days),
	}[kind]
	hold_invoice(invoice.name, HOLD_OF[kind], until, ignore_permissions=True, note=note)
	updates = {}
	if kind == P.PROMISE:
		updates["communication"] = send_confirmation(access, invoice, fields["promised_date"], now)
		if not updates["communication"]:
			updates["reason"] = log.reason + " – " + _("no email address: no written confirmation sent.")
	else:
		updates["todo"] = make_todo(access, invoice, kind, fields, now)
		updates["communication"] = received_communication(access, invoice, kind, fields, now)
	frappe.db.set_value("Relance Log", log.name, updates, update_modified=False)
	return updates


def insert_answer_log(access, invoice, kind, fields, key, now):

	info = PolicyResolver(load_policies()).resolve(
		access.company.name, access.customer.dunning_policy, access.customer.customer_group
	)
	due = getdate(invoice.due_date) if invoice.due_date else None
	doc = frappe.get_doc(
		{
			"doctype": "Relance Log",
			"sales_invoice": invoice.name,
			"customer": access.customer.name,
			"customer_name": access.customer.customer_name,
			"company": access.company.name,
			"dunning_policy": info.name if info else None,
			"stage_name": SOURCE,
			"status": ANSWERED,
			"source": SOURCE,
			"answer": kind,
			"reason": summary(kind, fields),
			"relance_key": key,
			"relance_date": getdate(now),
			"due_date": due,
			"days_late": P.days_late(due, getdate(now)),
			"currency": invoice.party_account_currency or invoice.currency,
			"outstanding_amount": flt(invoice.outstanding_amount),
			"amount_due": flt(invoice.outstanding_amount),
			"answered_at": now,
			"remote_ip": request_ip(),
			**fields,
		}
	)
	doc.flags.ignore_permissions = True
	doc.flags.ignore_links = True
	try:
		frappe.db.savepoint("relance_answer")
		doc.insert()
	except (frappe.DuplicateEntryError, frappe.UniqueValidationError):
		frappe.db.rollback(save_point="relance_answer")
		frappe.local.message_log = []  # Frappe's "must be unique" is not for the debtor
		return None
	return doc


def result(kind, invoice, fields, access, already=None, confirmed=False) -> dict:
	if already is not None:
		message = _("This answer was already recorded on {0}.").format(
			frappe.format(already.answered_at, "Datetime") if already.answered_at else ""
		)
	elif kind == P.PROMISE:
		message = _("Thank you: your promise to pay invoice {0} by {1} is recorded.").format(
			invoice.name, format_date(fields["promised_date"], access.language)
		)
		if confirmed:
			message += " " + _("We have sent you a written confirmation by email.")
	elif kind == P.DISPUTE:
		message = _(
			"Thank you: your dispute about invoice {0} is recorded. We will look into it and come back to you."
		).format(invoice.name)
	else:
		message = _(
			"Thank you: we will check the payment of invoice {0} and come back to you if we do not find it."
		).format(invoice.name)
	return {
		"ok": 1,
		"message": message,
		"already_recorded": already is not None,
		"sales_invoice": invoice.name,
	}


def accountant(access) -> str:
	user = access.settings.todo_user
	if user and frappe.db.get_value("User", user, "enabled"):
		return user

	info = PolicyResolver(load_policies()).resolve(
		access.company.name, access.customer.dunning_policy, access.customer.customer_group
	)
	owner = frappe.db.get_value("Dunning Policy", info.name, "owner") if info else None
	if owner and owner != "Guest" and frappe.db.get_value("User", owner, "enabled"):
		return owner
	return "Administrator"


def make_todo(access, invoice, kind, fields, now) -> str:
	title = (
		_("Dispute of {0} from the debtor page")
		if kind == P.DISPUTE
		else _("{0} said paid on the debtor page")
	).format(invoice.name)
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": accountant(access),
			"reference_type": "Sales Invoice",
			"reference_name": invoice.name,
			"description": f"<p><strong>{escape_html(title)}</strong></p><p>{details_html(kind, fields, now)}</p>"
			+ (bank_note(access, invoice.name) if kind == P.ALREADY_PAID else ""),
			"priority": "High",
			"date": getdate(now),
		}
	)
	todo.flags.ignore_permissions = True
	todo.insert()
	return todo.name


def bank_note(access, invoice: str) -> str:
	"""For an "already paid": whether an unreconciled deposit in the bank matches the invoice."""
	matches = customer_matches(access.customer.name, access.company.name).get(invoice)
	if not matches:
		return (
			"<p>"
			+ escape_html(_("No matching deposit in the bank's unreconciled transactions yet."))
			+ "</p>"
		)
	links = ", ".join(
		f'<a href="/app/bank-transaction/{escape_html(m.deposit)}">{escape_html(m.deposit)}</a>'
		for m in matches
	)
	text = escape_html(
		_("A matching deposit is in the bank, not yet reconciled: {0}. Reconcile it with a Payment Entry.")
	)
	return f"<p><strong>{text.format(links)}</strong></p>"
