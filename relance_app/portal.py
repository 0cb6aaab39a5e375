"""The debtor page: `/relance/<token>`, one customer of one company, no account needed.

Links are signed with a key derived from the site's encryption key (the rules are pure:
relance_app.engine.debtor_answers), work `portal_link_validity_days` after they are issued, and are revoked
per customer (Customer `relance_link_version`, bumped by "Revoke Relance Links"). The page
(relance_app/www/relance.py) and every guest method below read the token the same way: a forged,
altered, expired or revoked token, a disabled customer or a page turned off all give the same
"this link is no longer valid", and nothing changes.

Guest methods (names are public): `promise`, `dispute`, `already_paid` (POST, rate-limited per IP
address), `invoice_pdf`, `statement_pdf` (GET). An answer locks the invoice, checks the rules, then
writes in the request's transaction: a Relance Log "Answered" (source Debtor Page, time, IP address;
its unique key makes the same answer posted twice a no-op), the hold through
`relance_app.holds.hold_invoice` (the code of `set_hold` / `record_payment_promise`), and for a promise
the written confirmation by email (shipped Email Template per language), for a dispute or an
"already paid" a ToDo for the accountant and a received Communication on the invoice to answer
with Reply. What the debtor typed is stored and shown HTML-escaped.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from contextlib import contextmanager
from datetime import date
from types import SimpleNamespace
from urllib.parse import quote

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import add_days, cint, escape_html, flt, get_url, getdate, now_datetime, today

from relance_app.common import args
from relance_app.common.settings import value_or_default
from relance_app.constants import TEST_PREFIX
from relance_app.documents.attachments import default_print_format, statement_attachment
from relance_app.engine import debtor_answers as P
from relance_app.engine.message import Party, format_date, format_money
from relance_app.exceptions import DebtorAnswerError, InvalidLinkError
from relance_app.holds import hold_invoice

ROUTE = "relance"
KEY_PURPOSE = b"relance_app debtor page links v1"
SOURCE = "Debtor Page"
ANSWERED = "Answered"
# per IP address and method: answers, and PDFs (each renders a document)
ANSWER_LIMIT = 30
PDF_LIMIT = 120
LIMIT_WINDOW = 3600
HOLD_OF = {P.PROMISE: "Payment Promise", P.DISPUTE: "Dispute", P.ALREADY_PAID: "Customer Replied"}
TEMPLATE_KEY = "portal_promise"
INVOICE_FIELDS = (
	"name",
	"customer",
	"company",
	"posting_date",
	"due_date",
	"currency",
	"party_account_currency",
	"grand_total",
	"outstanding_amount",
	"contact_email",
	"relance_last_stage",
	"relance_hold",
	"relance_hold_reason",
	"relance_hold_until",
)


# --- settings and links --------------------------------------------------------------------------


def settings() -> frappe._dict:
	doc = frappe.get_cached_doc("Relance Settings")
	return frappe._dict(
		enabled=bool(cint(doc.get("portal_enabled"))),
		validity_days=value_or_default(doc, "portal_link_validity_days"),
		max_promise_days=value_or_default(doc, "portal_max_promise_days"),
		paid_hold_days=value_or_default(doc, "portal_paid_hold_days"),
		todo_user=doc.get("portal_todo_user"),
		test_mode=bool(cint(doc.test_mode)),
		test_email=doc.test_email,
	)


def _key() -> bytes:
	"""The links' signing key: derived from the site's encryption key, never stored."""
	from frappe.utils.password import get_encryption_key

	return hmac.new(get_encryption_key().encode(), KEY_PURPOSE, hashlib.sha256).digest()


def link_for(customer: str, company: str, generation: int | None = None) -> str:
	"""A new link to the debtor page of `customer` for `company`, issued now."""
	if generation is None:
		generation = cint(frappe.db.get_value("Customer", customer, "relance_link_version"))
	token = P.sign_link(_key(), customer, company, int(time.time()), generation)
	return get_url(f"/{ROUTE}/{token}")


def portal_url(customer: str, company: str) -> str:
	"""The relance email's `portal_url`: a link issued now, or "" when the page is turned off."""
	from relance_app.common.cache import memo

	if not settings().enabled:
		return ""
	return memo(("portal_url", customer, company), lambda: link_for(customer, company))


def get_link(customer: str, company: str | None = None) -> str:
	"""relance_app.api.get_portal_link: the arguments are checked there."""
	if not settings().enabled:
		frappe.throw(
			_("The debtor page is turned off in Relance Settings."),
			DebtorAnswerError,
			title=_("Debtor Page Turned Off"),
		)
	if not company:
		latest = frappe.get_list(
			"Sales Invoice",
			filters={"customer": customer, "docstatus": 1, "outstanding_amount": (">", 0)},
			pluck="company",
			order_by="posting_date desc",
			limit_page_length=1,
		)
		company = (latest and latest[0]) or frappe.defaults.get_user_default("Company")
		company = company or frappe.db.get_single_value("Global Defaults", "default_company")
	if not company:
		frappe.throw(
			_("Give the company of the link."), args.InvalidArgumentError, title=_("Missing Argument")
		)
	return link_for(customer, company)


def revoke_links(customer: str) -> dict:
	"""relance_app.api.revoke_portal_links: every link issued until now stops working."""
	version = cint(frappe.db.get_value("Customer", customer, "relance_link_version")) + 1
	when = now_datetime()
	frappe.db.set_value(
		"Customer", customer, {"relance_link_version": version, "relance_links_revoked_on": when}
	)
	frappe.get_doc("Customer", customer).add_comment(
		"Info",
		_("Relance links revoked: the links to the debtor page issued before {0} no longer work.").format(
			frappe.format(when, "Datetime")
		),
	)
	return {"customer": customer, "revoked_on": str(when), "version": version}


# --- reading a token -----------------------------------------------------------------------------


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
	from relance_app.documents.message_data import customer_language

	return frappe._dict(
		token=token,
		claims=claims,
		customer=customer,
		company=company,
		language=customer_language(customer),
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


# --- the page ------------------------------------------------------------------------------------


def page_context(token) -> dict:
	"""Everything the page shows, or the "no longer valid" page; a fixed number of queries whatever
	the number of invoices."""
	access = resolve(token)
	if access is None:
		return invalid_context()
	frappe.local.lang = lang = access.language
	today_ = getdate(today())
	customer, company, conf = access.customer, access.company, access.settings
	rows = frappe.get_all(
		"Sales Invoice",
		filters={
			"customer": customer.name,
			"company": company.name,
			"docstatus": 1,
			"is_return": 0,
			"outstanding_amount": (">", 0),
		},
		fields=list(INVOICE_FIELDS),
		order_by="due_date asc, name asc",
	)
	names = [r.name for r in rows]
	answers = answers_of(names)
	links = pay_links(names)
	from relance_app.documents.message_data import company_party, payment_details

	party = company_party(company.name)
	token_q = quote(token, safe="")
	first, last = P.promise_window(today_, conf.max_promise_days)
	invoices, totals = [], {}
	for r in rows:
		mine = answers.get(r.name, [])
		currency = r.party_account_currency or r.currency
		totals[currency] = totals.get(currency, 0) + flt(r.outstanding_amount)
		refusal = promise_refusal(r, mine, today_, conf.max_promise_days, first)
		invoices.append(
			{
				"name": r.name,
				"posting_date": format_date(getdate(r.posting_date), lang) if r.posting_date else "",
				"due_date": format_date(getdate(r.due_date), lang) if r.due_date else "",
				"grand_total": format_money(flt(r.grand_total), r.currency, lang),
				"outstanding": format_money(flt(r.outstanding_amount), currency, lang),
				"days_late": P.days_late(getdate(r.due_date) if r.due_date else None, today_),
				"stage": r.relance_last_stage or "",
				"status": invoice_status(r, today_, lang),
				"on_hold": hold_shown(r, today_),
				"last_answer": answer_text(mine[-1], lang) if mine else "",
				"pay_link": links.get(r.name) or "",
				"pdf_url": f"/api/method/relance_app.portal.invoice_pdf?token={token_q}&sales_invoice={quote(r.name, safe='')}",
				"can_promise": refusal is None,
				"promise_note": refusal_text(refusal) if refusal else "",
			}
		)
	payment = payment_details(company.name)
	logo = company.company_logo or ""
	return {
		"valid": True,
		"title": _("Your invoices – {0}").format(company.company_name or company.name),
		"lang": lang,
		"token": token,
		"company_name": company.company_name or company.name,
		"company_logo": logo if logo.startswith(("/files/", "http://", "https://")) else "",
		"company_email": party.email or "",
		"company_phone": party.phone or "",
		"customer_name": customer.customer_name or customer.name,
		"invoices": invoices,
		"totals": [format_money(amount, cur, lang) for cur, amount in sorted(totals.items())],
		"iban": payment.get("iban") or "",
		"bic": payment.get("bic") or "",
		"bank": payment.get("bank") or "",
		"any_pay_link": any(i["pay_link"] for i in invoices),
		"statement_url": f"/api/method/relance_app.portal.statement_pdf?token={token_q}",
		"promise_min": first.isoformat(),
		"promise_max": last.isoformat(),
		"today_iso": today_.isoformat(),
		"dispute_reasons": [{"value": r, "label": _(r)} for r in P.DISPUTE_REASONS],
		"comment_max": P.COMMENT_MAX,
		"strings": page_strings(),
	}


def invalid_context() -> dict:
	return {
		"valid": False,
		"title": _("Link No Longer Valid"),
		"invalid_message": invalid_message(),
		"http_status_code": 404,
		"invoices": [],
		"strings": page_strings(),
	}


def page_strings() -> dict:
	"""The texts the page's script shows, translated here (the page has no desk translations)."""
	return {
		"promise": _("Promise to pay invoice {0} by"),
		"dispute": _("Dispute invoice {0}"),
		"already_paid": _("Invoice {0} is already paid"),
		"sending": _("Sending…"),
		"failed": _("Your answer could not be sent. Please try again later or contact us."),
		"too_many": _("Too many attempts from your connection. Please try again in an hour."),
	}


def answers_of(names: list[str]) -> dict[str, list]:
	if not names:
		return {}
	log = frappe.qb.DocType("Relance Log")
	out: dict[str, list] = {}
	for r in (
		frappe.qb.from_(log)
		.select(log.sales_invoice, log.answer, log.promised_date, log.paid_on, log.answered_at)
		.where(log.sales_invoice.isin(names) & (log.status == ANSWERED))
		.orderby(log.creation)
		.run(as_dict=True)
	):
		out.setdefault(r.sales_invoice, []).append(r)
	return out


def pay_links(names: list[str]) -> dict[str, str]:
	"""The open Payment Requests' gateway links of these invoices (the relance emails' pay link)."""
	if not names:
		return {}
	pr = frappe.qb.DocType("Payment Request")
	out: dict[str, str] = {}
	for r in (
		frappe.qb.from_(pr)
		.select(pr.reference_name, pr.payment_url)
		.where(
			(pr.reference_doctype == "Sales Invoice")
			& pr.reference_name.isin(names)
			& (pr.payment_request_type == "Inward")
			& (pr.docstatus == 1)
			& pr.status.isin(("Requested", "Initiated", "Partially Paid"))
			& pr.payment_url.isnotnull()
			& (pr.payment_url != "")
		)
		.orderby(pr.creation)
		.run(as_dict=True)
	):
		out[r.reference_name] = r.payment_url  # the latest wins
	return out


def promise_refusal(invoice, answers, today_: date, max_days: int, first: date) -> str | None:
	"""Why no promise can be made for this invoice now (whatever the date), or None."""
	promised = [getdate(a.promised_date) for a in answers if a.answer == P.PROMISE and a.promised_date]
	if (
		invoice.relance_hold
		and invoice.relance_hold_reason == "Payment Promise"
		and invoice.relance_hold_until
	):
		promised.append(getdate(invoice.relance_hold_until))
	count = sum(1 for a in answers if a.answer == P.PROMISE)
	return P.promise_refusal(first, today_, max_days, count, P.promise_broken(promised, today_))


def refusal_text(code: str) -> str:
	return {
		P.BROKEN_PROMISE: _(
			"A payment date promised for this invoice has passed: please contact us to agree on a new one."
		),
		P.TOO_MANY_PROMISES: _(
			"Two payment dates were already promised for this invoice from this page: please contact us."
		),
		P.TOO_EARLY: _("The promised date must be tomorrow at the earliest."),
		P.TOO_LATE: _(
			"The promised date can be at most {0} days ahead: please contact us for a longer delay."
		),
	}[code]


def hold_shown(r, today_: date) -> bool:
	until = getdate(r.relance_hold_until) if r.relance_hold_until else None
	return bool(cint(r.relance_hold) and (until is None or until >= today_))


def invoice_status(r, today_: date, lang: str) -> str:
	until = getdate(r.relance_hold_until) if r.relance_hold_until else None
	if hold_shown(r, today_):
		if r.relance_hold_reason == "Payment Promise" and until:
			return _("Payment promised for {0}").format(format_date(until, lang))
		if r.relance_hold_reason == "Dispute":
			return _("Disputed: we are looking into it")
		if r.relance_hold_reason == "Customer Replied":
			return _("We are checking your answer")
		return _("Reminders paused")
	late = P.days_late(getdate(r.due_date) if r.due_date else None, today_)
	if late:
		return _("{0} days late").format(late)
	return _("Due on {0}").format(format_date(getdate(r.due_date), lang)) if r.due_date else ""


def answer_text(answer, lang: str) -> str:
	when = format_date(getdate(answer.answered_at), lang) if answer.answered_at else ""
	if answer.answer == P.PROMISE:
		what = _("payment promised for {0}").format(format_date(getdate(answer.promised_date), lang))
	elif answer.answer == P.DISPUTE:
		what = _("dispute")
	else:
		what = _("paid on {0}").format(format_date(getdate(answer.paid_on), lang) if answer.paid_on else "")
	return _("Your answer of {0}: {1}").format(when, what)


# --- the answers ---------------------------------------------------------------------------------


def for_guests(fn):
	"""Under a web request, a refusal (bad link, wrong invoice, bounds, the rate limit's 429) is a plain
	JSON answer with its HTTP status and message, and an unexpected error a logged 500 with a plain
	message: no traceback ever reaches the debtor, whatever the site's traceback settings. Called
	from Python (tests, scripts), the method raises as usual."""

	@functools.wraps(fn)
	def wrapper(*args, **kwargs):
		if not getattr(frappe.local, "request", None):
			return fn(*args, **kwargs)
		frappe.local.flags.disable_traceback = True
		try:
			return fn(*args, **kwargs)
		except (frappe.ValidationError, frappe.PermissionError) as e:
			frappe.db.rollback()
			status, message = getattr(e, "http_status_code", 417) or 417, str(e)
		except Exception:
			frappe.db.rollback()
			frappe.log_error(title=_("Debtor page answer failed"), reference_doctype="Sales Invoice")
			frappe.db.commit()  # nosemgrep: keep the error log of a request that is rolled back
			status, message = (
				500,
				_("Your answer could not be recorded. Please try again later or contact us."),
			)
			frappe.local.message_log = []
		frappe.local.response["http_status_code"] = status
		frappe.local.response.pop("type", None)  # a refused PDF answers in JSON
		return {"ok": 0, "message": message}

	return wrapper


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
		if invoice.relance_hold_reason == "Payment Promise" and invoice.relance_hold_until:
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


def summary(kind: str, fields: dict, lang: str | None = None) -> str:
	"""The answer in one line, for the log, the register and the timelines."""
	if kind == P.PROMISE:
		return _("Payment promised for {0}").format(frappe.format(fields["promised_date"], "Date"))
	if kind == P.DISPUTE:
		return _("Dispute: {0}").format(_(fields["dispute_reason"]))
	reference = fields.get("payment_reference")
	text = _("Already paid on {0}").format(frappe.format(fields["paid_on"], "Date"))
	return text + (" – " + _("reference {0}").format(reference) if reference else "")


def insert_answer_log(access, invoice, kind, fields, key, now):
	from relance_app.data.invoices import PolicyResolver, load_policies

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
	from relance_app.data.invoices import PolicyResolver, load_policies

	info = PolicyResolver(load_policies()).resolve(
		access.company.name, access.customer.dunning_policy, access.customer.customer_group
	)
	owner = frappe.db.get_value("Dunning Policy", info.name, "owner") if info else None
	if owner and owner != "Guest" and frappe.db.get_value("User", owner, "enabled"):
		return owner
	return "Administrator"


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
			"description": f"<p><strong>{escape_html(title)}</strong></p><p>{details_html(kind, fields, now)}</p>",
			"priority": "High",
			"date": getdate(now),
		}
	)
	todo.flags.ignore_permissions = True
	todo.insert()
	return todo.name


def debtor_recipients(access, invoice) -> list[str]:
	"""Whom the relances write to: the invoice's contact email, else the customer's primary or
	billing contact (relance_app.run.units.recipients_for), minus who unsubscribed."""
	from relance_app.run.units import recipients_for, unsubscribed

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
	from relance_app.documents.message_data import TUTOIEMENT, company_party
	from relance_app.documents.rendering import render
	from relance_app.run import units as S
	from relance_app.setup.defaults import template_name

	name = template_name(TEMPLATE_KEY, access.language) or template_name(TEMPLATE_KEY, "en")
	recipients = debtor_recipients(access, invoice)
	if not name or not frappe.db.exists("Email Template", name) or not recipients:
		return None
	from relance_app.data.invoices import PolicyResolver, load_policies

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
	subject = render(template.subject, context).strip()
	body = render(template.response_html if cint(template.use_html) else template.response, context)
	if conf.test_mode and conf.test_email:
		recipients, subject = [conf.test_email], TEST_PREFIX + subject
	comm, _queue = S.queue_email(
		invoices=[invoice.name],
		customer=access.customer.name,
		subject=subject,
		body=body,
		recipients=recipients,
		cc=[],
		sender=S.sender_for(policy_doc) if policy_doc else None,
		reply_to=policy_doc.reply_to if policy_doc else None,
		attachments=[],
		template=name,
	)
	return comm


# --- documents -----------------------------------------------------------------------------------


@frappe.whitelist(allow_guest=True, methods=["GET"])
@for_guests
@rate_limit(limit=PDF_LIMIT, seconds=LIMIT_WINDOW)
def invoice_pdf(token=None, sales_invoice=None):
	"""The invoice's PDF, in the print format, letter head and language of the relance attachments."""
	access = require_access(token)
	invoice = own_invoice(access, sales_invoice, open_only=False)
	print_format, letter_head = print_settings(access, invoice)
	pdf = as_guest_print(
		lambda: frappe.get_print(
			"Sales Invoice", invoice.name, print_format, as_pdf=True, letterhead=letter_head
		),
		access.language,
	)
	_download(f"{invoice.name}.pdf", pdf)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@for_guests
@rate_limit(limit=PDF_LIMIT, seconds=LIMIT_WINDOW)
def statement_pdf(token=None):
	"""The customer's statement of account for the token's company (the relance attachment's)."""

	access = require_access(token)
	candidate = SimpleNamespace(
		facts=SimpleNamespace(customer=access.customer.name),
		row=frappe._dict(company=access.company.name, customer_name=access.customer.customer_name),
	)
	out = as_guest_print(
		lambda: statement_attachment(candidate, getdate(today()), access.language), access.language
	)
	_download(out["fname"], out["fcontent"])


def print_settings(access, invoice) -> tuple[str, str | None]:
	"""The relance's print format and letter head: the stage of the invoice's last relance, else the
	policy's first stage that attaches the invoice, else the site's default print format."""
	from relance_app.data.invoices import PolicyResolver, load_policies

	info = PolicyResolver(load_policies()).resolve(
		access.company.name, access.customer.dunning_policy, access.customer.customer_group
	)
	rows = frappe.get_cached_doc("Dunning Policy", info.name).stages if info else []
	row = next((r for r in rows if r.stage_name == invoice.relance_last_stage), None) or next(
		(r for r in rows if cint(r.attach_invoice)), None
	)
	return (row and row.print_format) or default_print_format(), (row.get("letter_head") if row else None)


def as_guest_print(render_fn, language: str):
	"""Render as the email queue does for attachments: print permissions waived for this document
	only (the token was checked), in the customer's language."""
	previous = frappe.local.lang
	frappe.flags.ignore_print_permissions = True
	try:
		frappe.local.lang = language
		return render_fn()
	finally:
		frappe.flags.ignore_print_permissions = False
		frappe.local.lang = previous


def _download(filename: str, content: bytes):
	frappe.local.response.filename = filename
	frappe.local.response.filecontent = content
	frappe.local.response.type = "download"
	frappe.local.response.content_type = "application/pdf"
