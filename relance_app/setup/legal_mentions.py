"""The mandatory payment mentions of a French company's invoices (Code de commerce L441-9, L441-10,
D441-5) as a Terms and Conditions template for its Sales Invoices, filled from its default Dunning
Policy: the penalty rate basis, the fixed indemnity, the early-payment discount (Relance Settings,
none unless set). Made on install, by a patch, for a new company, and on demand (the Dunning
Policy's button). The text: relance_app.engine.mentions."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint

from relance_app.constants import FRANCE, LEGAL_RATE
from relance_app.data.payment_terms import early_payment_discount, french_companies
from relance_app.engine.mentions import mention_agrees, mentions_html, rate_phrase, texts
from relance_app.exceptions import RelanceSettingsError

DOCTYPE = "Terms and Conditions"


def default_policy(company: str) -> str | None:
	return frappe.db.get_value("Dunning Policy", {"company": company, "is_default": 1}, "name")


def terms_name(company: str, language: str | None = "fr") -> str:
	return f"{texts(language)['title']} - {company}"


def policy_language(policy) -> str:
	return (policy.get("default_language") or "fr").split("-")[0]


def mentions_of(policy, company: str) -> str:
	return mentions_html(
		basis=policy.interest_rate_basis or LEGAL_RATE,
		rate=policy.late_interest_rate or 0,
		indemnity=policy.fixed_indemnity or 40,
		currency=policy.indemnity_currency or "EUR",
		discount=early_payment_discount(company),
		language=policy_language(policy),
	)


def write_mentions(company: str, policy_name: str | None = None, overwrite: bool = False) -> str | None:
	"""The company's Terms and Conditions from `policy_name` (else its default policy); an existing
	text is kept unless `overwrite`. The company's default selling terms when it has none. Returns
	the template's name, None for a company outside France or without a policy."""
	if frappe.get_cached_value("Company", company, "country") != FRANCE:
		return None
	policy_name = policy_name or default_policy(company)
	if not policy_name:
		return None
	policy = frappe.get_doc("Dunning Policy", policy_name)
	name = terms_name(company, policy_language(policy))
	if frappe.db.exists(DOCTYPE, name):
		if overwrite:
			doc = frappe.get_doc(DOCTYPE, name)
			doc.terms = mentions_of(policy, company)
			doc.save(ignore_permissions=True)
	else:
		frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"title": name,
				"terms": mentions_of(policy, company),
				"selling": 1,
				"buying": 0,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.get_value("Company", company, "default_selling_terms"):
		frappe.db.set_value("Company", company, "default_selling_terms", name)
	return name


def write_for_policy(policy_name: str) -> dict:
	"""The button of the Dunning Policy: its company's mentions rewritten from it."""
	company = frappe.db.get_value("Dunning Policy", policy_name, "company")
	for ptype in ("create", "write"):
		if not frappe.has_permission(DOCTYPE, ptype):
			frappe.throw(
				_("You are not permitted to write {0}.").format(_(DOCTYPE)),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
	if frappe.get_cached_value("Company", company, "country") != FRANCE:
		frappe.throw(
			_("{0} is not a French company: its invoices need no French payment mentions.").format(
				frappe.bold(company)
			),
			RelanceSettingsError,
			title=_("Not a French Company"),
		)
	name = write_mentions(company, policy_name, overwrite=True)
	return {"terms": name, "company": company}


def create_legal_mentions() -> list[str]:
	"""Install and patch: every French company with a default policy gets its mentions (kept if
	they exist)."""
	return [n for n in (write_mentions(company) for company in french_companies()) if n]


def printed_terms(company: str) -> tuple[str | None, str | None]:
	"""(name, text) of the terms the company's invoices print by default: its default selling
	terms, else the app's template."""
	name = frappe.db.get_value("Company", company, "default_selling_terms")
	if not name:
		for language in ("fr", "en"):
			if frappe.db.exists(DOCTYPE, terms_name(company, language)):
				name = terms_name(company, language)
				break
	if not name:
		return None, None
	return name, frappe.db.get_value(DOCTYPE, name, "terms")


def disagreement(policy) -> tuple[str, str] | None:
	"""(terms name, the sentence they miss) when the default policy of a French company and the
	terms its invoices print disagree on the penalty rate; None when they agree or nothing prints."""
	if not cint(policy.is_default) or not policy.company:
		return None
	if frappe.get_cached_value("Company", policy.company, "country") != FRANCE:
		return None
	name, text = printed_terms(policy.company)
	if not name:
		return None
	basis, rate = policy.interest_rate_basis or LEGAL_RATE, policy.late_interest_rate or 0
	language = policy_language(policy)
	if mention_agrees(text, basis, rate, language):
		return None
	return name, rate_phrase(basis, rate, language)
