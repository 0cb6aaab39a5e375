"""The debtor page's data (relance_app/www/relance.py renders it): the customer's open invoices of the
company, their status and answers, what the debtor may still answer, how to pay."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import frappe
from frappe import _
from frappe.utils import cint, flt, getdate, today

from relance_app.constants import ANSWERED, CUSTOMER_REPLIED, DISPUTE, PAYMENT_PROMISE
from relance_app.data.invoices import invoice_outstanding, is_open
from relance_app.debtor_page.access import (
	INVOICE_FIELDS,
	invalid_message,
	resolve,
)
from relance_app.documents.message_data import company_party, payment_details
from relance_app.documents.sepa_qr import invoice_transfer
from relance_app.engine import debtor_answers as P
from relance_app.engine.message import format_date, format_money


def page_context(token) -> dict:
	"""Everything the page shows, or the "no longer valid" page; a fixed number of queries whatever
	the number of invoices."""
	access = resolve(token)
	if access is None:
		return invalid_context()
	frappe.local.lang = lang = access.language
	today_ = getdate(today())
	customer, company, conf = access.customer, access.company, access.settings
	si = frappe.qb.DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(si)
		.select(*(si[f] for f in INVOICE_FIELDS))
		.where(is_open(si) & (si.customer == customer.name) & (si.company == company.name))
		.orderby(si.due_date)
		.orderby(si.name)
		.run(as_dict=True)
	)
	names = [r.name for r in rows]
	answers = answers_of(names)
	links = pay_links(names)

	party = company_party(company.name)
	payment = payment_details(company.name)
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
				"transfer": invoice_transfer(
					payment, party.name, r.name, invoice_outstanding(r), r.currency, lang
				),
			}
		)
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
	if invoice.relance_hold and invoice.relance_hold_reason == PAYMENT_PROMISE and invoice.relance_hold_until:
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
		if r.relance_hold_reason == PAYMENT_PROMISE and until:
			return _("Payment promised for {0}").format(format_date(until, lang))
		if r.relance_hold_reason == DISPUTE:
			return _("Disputed: we are looking into it")
		if r.relance_hold_reason == CUSTOMER_REPLIED:
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
