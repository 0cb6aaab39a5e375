"""What the app writes about a credit hold, and what it tells the people it stops.

- the words: the form's headline ("Orders held: Mise en demeure sent on 12/03") and the refusal, which
  names the overdue invoices, their amounts and stages, and who may release;
- the log: every change is a Relance Credit Hold Log row and a Comment on the Customer's timeline
  (and on the document's for a bypass): Hold Started and Hold Lifted are noticed by `sync_customer`
  (after a payment, a credit note, a release, and every hour for the whole book), Bypassed and
  Released are written when they happen;
- the Customer's `relance_credit_hold` and `relance_credit_hold_since` follow the hold (the list's
  indicator and filter), written without touching the customer's `modified`.

The decision itself always comes from relance_app.data.credit_hold, computed live.
"""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, fmt_money, formatdate, getdate, today

from relance_app.constants import (
	HOLD_BYPASSED,
	HOLD_LIFTED,
	HOLD_REFUSE,
	HOLD_RELEASED,
	HOLD_STARTED,
	MAX_RELEASE_DAYS,
	TRIGGER_AMOUNT,
	TRIGGER_DAYS_LATE,
	TRIGGER_STAGE,
)
from relance_app.data.credit_hold import (
	LOG,
	Found,
	all_holds,
	controller_role,
	controllers,
	decide_rows,
	hold_of,
	may_release,
	overdue_invoices,
)
from relance_app.exceptions import CreditHoldBypassError

SHOWN_INVOICES = 10
SHOWN_USERS = 5  # names in the refusal message; the others counted


def _d(value) -> str:
	return formatdate(value, "dd/MM") if value else ""


def _currency(company: str) -> str:
	return frappe.get_cached_value("Company", company, "default_currency")


def _money(amount, company: str) -> str:
	return fmt_money(float(amount), currency=_currency(company))


# --- the words ----------------------------------------------------------------------------------------


def headline(found: Found) -> str:
	"""One line: why the customer's orders are held."""
	hold = found.hold
	if not hold.held:
		if hold.released_until:
			return _("Credit hold released until {0}").format(formatdate(hold.released_until))
		return ""
	if TRIGGER_STAGE in hold.triggers and hold.stage:
		return _("Orders held: {0} sent on {1}").format(hold.stage, _d(hold.stage_date))
	if TRIGGER_DAYS_LATE in hold.triggers:
		return _("Orders held: oldest invoice {0} days late").format(hold.oldest_days_late)
	return _("Orders held: {0} overdue").format(_money(hold.overdue, found.company))


def _reasons(found: Found) -> list[str]:
	hold = found.hold
	out = []
	if TRIGGER_STAGE in hold.triggers:
		out.append(_("the relance reached {0} on {1}").format(hold.stage, formatdate(hold.stage_date)))
	if TRIGGER_DAYS_LATE in hold.triggers:
		out.append(_("its oldest overdue invoice is {0} days late").format(hold.oldest_days_late))
	if TRIGGER_AMOUNT in hold.triggers:
		out.append(_("it owes {0} overdue").format(_money(hold.overdue, found.company)))
	return out


def invoices_table(found: Found) -> str:
	rows = "".join(
		f"<tr><td>{escape_html(i.name)}</td><td>{formatdate(i.due_date)}</td>"
		f"<td class='text-right'>{_money(i.outstanding, found.company)}</td>"
		f"<td>{escape_html(i.stage or _('No relance yet'))}</td></tr>"
		for i in found.hold.invoices[:SHOWN_INVOICES]
	)
	more = len(found.hold.invoices) - SHOWN_INVOICES
	return (
		"<table class='table table-bordered table-sm'><tr>"
		f"<th>{_('Invoice')}</th><th>{_('Due Date')}</th><th>{_('Outstanding')}</th><th>{_('Stage Reached')}</th>"
		f"</tr>{rows}</table>" + (f"<p>{_('And {0} more.').format(more)}</p>" if more > 0 else "")
	)


def who_may_release() -> str:
	role, users = controller_role(), controllers()
	if users:
		names = ", ".join(escape_html(u) for u in sorted(users)[:SHOWN_USERS])
		if len(users) > SHOWN_USERS:
			names = _("{0} and {1} others").format(names, len(users) - SHOWN_USERS)
		return _("Who may submit anyway or release the hold: the role {0} ({1}).").format(_(role), names)
	return _("Who may submit anyway or release the hold: the role {0}.").format(_(role))


def message(found: Found, doctype: str) -> str:
	"""The refusal or warning of a `doctype` document of a held customer, as HTML."""
	hold = found.hold
	customer = escape_html(
		frappe.get_cached_value("Customer", found.customer, "customer_name") or found.customer
	)
	first = _("{0} is on credit hold with {1}: {2}.").format(
		f"<b>{customer}</b>", escape_html(found.company), "; ".join(_reasons(found))
	)
	if hold.action(doctype) == HOLD_REFUSE:
		then = _(
			"This {0} cannot be submitted until the overdue invoices are paid or the hold is released."
		).format(_(doctype))
	else:
		then = _("The policy {0} asks to warn before going on with this {1}.").format(
			escape_html(found.policy or ""), _(doctype)
		)
	total = _("Overdue: {0} on {1} invoices.").format(_money(hold.overdue, found.company), len(hold.invoices))
	if frappe.has_permission("Sales Invoice", "read"):
		detail = invoices_table(found)
	else:
		detail = ""
	return f"<p>{first}</p><p>{then}</p><p>{total}</p>{detail}<p class='text-muted'>{who_may_release()}</p>"


def for_form(found: Found, doctype: str | None = None) -> dict:
	"""What the forms show (the read door: relance_app.api.get_credit_hold)."""
	hold = found.hold
	action = hold.action(doctype) if doctype else None
	return {
		"customer": found.customer,
		"company": found.company,
		"held": hold.held,
		"headline": headline(found),
		"indicator": "red" if hold.held else ("orange" if hold.released_until else "green"),
		"since": str(hold.since) if hold.since else None,
		"released_until": str(hold.released_until) if hold.released_until else None,
		"action": action,
		"message": message(found, doctype or "Sales Order") if hold.held else "",
		"overdue": float(hold.overdue),
		"invoices": len(hold.invoices),
		"policy": found.policy,
		"can_release": may_release(),
	}


def refusal_action(doctype: str, name: str) -> dict | None:
	"""The refusal's "Submit Anyway" button, for those who may (relance_app/public/js/credit_hold.js)."""
	if not may_release() or not name:
		return None
	return {
		"label": _("Submit Anyway..."),
		"client_action": "relance_app.credit_hold.bypass",
		"args": {"doctype": doctype, "name": name},
	}


def warn_or_refuse_title(action: str) -> str:
	return _("Customer on Credit Hold") if action == HOLD_REFUSE else _("Customer on Credit Hold: Warning")


# --- the log --------------------------------------------------------------------------------------------


def record(
	event: str, found: Found, reason: str = "", reference=None, valid_until=None, invoices=None
) -> str:
	"""A Relance Credit Hold Log row and its Comment on the Customer (and on `reference`, a document)."""
	names = invoices if invoices is not None else [i.name for i in found.hold.invoices]
	log = frappe.get_doc(
		{
			"doctype": LOG,
			"customer": found.customer,
			"company": found.company,
			"event": event,
			"user": frappe.session.user,
			"dunning_policy": found.policy,
			"reason": reason,
			"invoices": " ".join(names),
			"valid_until": valid_until,
			"reference_doctype": reference.doctype if reference else None,
			"reference_name": reference.name if reference else None,
		}
	)
	log.insert(ignore_permissions=True)
	text = comment_text(event, found, reason, reference, valid_until)
	frappe.get_doc("Customer", found.customer).add_comment("Info", text)
	if reference is not None:
		reference.add_comment("Info", text)
	return log.name


def comment_text(event: str, found: Found, reason: str, reference, valid_until) -> str:
	company = escape_html(found.company)
	reason = escape_html(reason or "")
	if event == HOLD_STARTED:
		return _("Orders held with {0}: {1}.").format(company, "; ".join(_reasons(found)))
	if event == HOLD_LIFTED:
		return _("Orders no longer held with {0}: {1}").format(company, reason)
	if event == HOLD_BYPASSED:
		return _("submitted {0} {1} despite the credit hold with {2}. Reason: {3}").format(
			_(reference.doctype), escape_html(reference.name), company, reason
		)
	return _("released the credit hold with {0} until {1}. Reason: {2}").format(
		company, formatdate(valid_until), reason
	)


def bypassed(doctype: str, name: str) -> bool:
	"""A bypass was recorded for this document (once: a submitted document is never submitted again)."""
	return bool(
		frappe.db.exists(LOG, {"event": HOLD_BYPASSED, "reference_doctype": doctype, "reference_name": name})
	)


def bypass_and_submit(doctype: str, name: str, customer: str, reason: str) -> dict:
	"""Record the bypass, then submit the document: in one transaction, so a submit refused for another
	reason leaves no bypass behind. The caller checked the role and the document permission."""
	doc = frappe.get_doc(doctype, name)
	if doc.docstatus != 0:
		frappe.throw(
			_("{0} {1} is not a draft.").format(_(doctype), name),
			CreditHoldBypassError,
			title=_("Not a Draft"),
		)
	found = hold_of(customer, doc.company)
	if found.hold.action(doctype) != HOLD_REFUSE:
		frappe.throw(
			_("{0} is not on credit hold for this {1}: submit it as usual.").format(customer, _(doctype)),
			CreditHoldBypassError,
			title=_("No Credit Hold"),
		)
	record(HOLD_BYPASSED, found, reason, reference=doc)
	doc.submit()
	return {"doctype": doctype, "name": name, "docstatus": doc.docstatus}


def release(customer: str, company: str, reason: str, until) -> dict:
	"""The accountant lifts the hold by hand until `until`, for the invoices behind it now."""
	until = getdate(until)
	if until < getdate(today()) or until > getdate(add_days(today(), MAX_RELEASE_DAYS)):
		frappe.throw(
			_("A release lasts from today to at most {0} days ahead; {1} is outside.").format(
				MAX_RELEASE_DAYS, formatdate(until)
			),
			CreditHoldBypassError,
			title=_("Invalid Date"),
		)
	found = hold_of(customer, company)
	if not found.hold.held:
		frappe.throw(
			_("{0} is not on credit hold with {1}.").format(customer, company),
			CreditHoldBypassError,
			title=_("No Credit Hold"),
		)
	name = record(HOLD_RELEASED, found, reason, valid_until=until)
	sync_customer(customer)
	return {"log": name, "customer": customer, "company": company, "valid_until": str(until)}


# --- noticing changes --------------------------------------------------------------------------------------


def last_events(customers) -> dict[tuple[str, str], str]:
	"""(customer, company) -> the latest Hold Started or Hold Lifted."""
	out = {}
	for row in frappe.get_all(
		LOG,
		filters={"event": ("in", [HOLD_STARTED, HOLD_LIFTED]), "customer": ("in", list(customers))},
		fields=["customer", "company", "event"],
		order_by="creation asc",
	):
		out[(row.customer, row.company)] = row.event
	return out


def lift_reason(found: Found) -> str:
	if found.hold.released_until:
		return _("released by hand until {0}.").format(formatdate(found.hold.released_until))
	if found.hold.graced:
		return _("the overdue invoices left are under a payment promise or in dispute.")
	return _("no overdue invoice meets the policy's trigger any more (paid, credited or the policy changed).")


def apply(customers, decisions: dict[tuple[str, str], Found]) -> int:
	"""Write what changed for `customers`: the log, the comments, the Customer's fields. Returns the
	number of changes."""
	customers = set(customers)
	last = last_events(customers) if customers else {}
	changes = 0
	for pair in sorted(set(decisions) | set(last)):
		if pair[0] not in customers:
			continue
		found = decisions.get(pair) or Found(pair[0], pair[1], hold_of(*pair).hold)
		was = last.get(pair) == HOLD_STARTED
		if found.hold.held and not was:
			record(HOLD_STARTED, found, "; ".join(_reasons(found)))
			changes += 1
		elif was and not found.hold.held:
			record(HOLD_LIFTED, found, lift_reason(found), invoices=[])
			changes += 1
	for customer in customers:
		held = [f.hold for (c, _co), f in decisions.items() if c == customer and f.hold.held]
		since = min((h.since for h in held if h.since), default=getdate(today())) if held else None
		frappe.db.set_value(
			"Customer",
			customer,
			{"relance_credit_hold": 1 if held else 0, "relance_credit_hold_since": since},
			update_modified=False,
		)
	return changes


def sync_customer(customer: str, as_of: date | None = None) -> int:
	"""Notice a change of the customer's hold (after a payment, a credit note, a release)."""
	as_of = getdate(as_of or today())
	rows = overdue_invoices((customer,), None, as_of)
	if not rows and not frappe.db.get_value("Customer", customer, "relance_credit_hold"):
		return 0
	started = {pair for pair, event in last_events((customer,)).items() if event == HOLD_STARTED}
	return apply((customer,), decide_rows(rows, as_of, started))


def sync_all(as_of: date | None = None) -> int:
	"""Hourly: notice every hold that started or lifted (a relance sent, a promise broken, a day more
	late), then commit."""
	as_of = getdate(as_of or today())
	decisions = all_holds(None, as_of)
	flagged = set(frappe.get_all("Customer", filters={"relance_credit_hold": 1}, pluck="name"))
	customers = {c for (c, _co), f in decisions.items() if f.hold.held} | flagged
	started = (
		{pair for pair, event in last_events(customers).items() if event == HOLD_STARTED}
		if customers
		else set()
	)
	for pair in started - set(decisions):
		decisions[pair] = hold_of(*pair, as_of)
	changes = apply(customers, decisions) if customers else 0
	frappe.db.commit()  # nosemgrep: a scheduled job; the changes noticed stay
	return changes
