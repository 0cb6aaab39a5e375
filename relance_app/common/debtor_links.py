"""Signed links to the debtor page `/relance/<token>`: one customer of one company, signed with a key
derived from the site's encryption key (the rules are pure: relance_app.engine.debtor_answers), valid
`portal_link_validity_days` after they are issued, revoked per customer (Customer
`relance_link_version`). The relance emails carry one (`portal_url`); the page reads it back
(relance_app.debtor_page.access)."""

from __future__ import annotations

import hashlib
import hmac
import time

import frappe
from frappe import _
from frappe.utils import cint, get_url, now_datetime
from frappe.utils.password import get_encryption_key

from relance_app.common import args
from relance_app.common.cache import memo
from relance_app.common.settings import value_or_default
from relance_app.engine import debtor_answers as P
from relance_app.exceptions import DebtorAnswerError

ROUTE = "relance"


KEY_PURPOSE = b"relance_app debtor page links v1"


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

	return hmac.new(get_encryption_key().encode(), KEY_PURPOSE, hashlib.sha256).digest()


def link_for(customer: str, company: str, generation: int | None = None) -> str:
	"""A new link to the debtor page of `customer` for `company`, issued now."""
	if generation is None:
		generation = cint(frappe.db.get_value("Customer", customer, "relance_link_version"))
	token = P.sign_link(_key(), customer, company, int(time.time()), generation)
	return get_url(f"/{ROUTE}/{token}")


def portal_url(customer: str, company: str) -> str:
	"""The relance email's `portal_url`: a link issued now, or "" when the page is turned off."""

	if not settings().enabled:
		return ""
	return memo(("portal_url", customer, company), lambda: link_for(customer, company))


def get_link(customer: str, company: str | None = None) -> str:
	"""relance_app.api.get_portal_link: the arguments are checked there; without a company, the user's
	default company, else the site's."""
	if not settings().enabled:
		frappe.throw(
			_("The debtor page is turned off in Relance Settings."),
			DebtorAnswerError,
			title=_("Debtor Page Turned Off"),
		)
	company = company or frappe.defaults.get_user_default("Company")
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
