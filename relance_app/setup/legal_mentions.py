"""The mandatory payment mentions of a French company's invoices (Code de commerce L441-9, L441-10,
D441-5) as a Terms and Conditions template for its Sales Invoices, filled from its default Dunning
Policy: the penalty rate basis, the fixed indemnity, the early-payment discount (Relance Settings,
none unless set). Made on install, by a patch, for a new company, and on demand (the Dunning
Policy's button). The text: relance_app.engine.mentions. On uninstall the templates nobody edited and
no document prints go, with the company defaults naming them."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint

from relance_app.constants import FRANCE, LEGAL_RATE
from relance_app.data.payment_terms import early_payment_discount, french_companies
from relance_app.engine.mentions import TEXTS, mention_agrees, mentions_html, rate_phrase, texts
from relance_app.exceptions import RelanceSettingsError

DOCTYPE = "Terms and Conditions"
COMPANY_DEFAULTS = ("default_selling_terms", "default_buying_terms")


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


# --- uninstall ----------------------------------------------------------------------------------


def app_terms() -> list[str]:
	"""The payment mentions the app wrote that are on the site: one name per company and language."""
	names = [terms_name(c, lang) for c in frappe.get_all("Company", pluck="name") for lang in TEXTS]
	return frappe.get_all(DOCTYPE, filters={"name": ("in", names)}, pluck="name") if names else []


def _link_fields() -> list[tuple[str, str]]:
	"""(doctype, field) of every Link to Terms and Conditions in a table, the Company's defaults apart."""
	fields = frappe.get_all(
		"DocField", filters={"fieldtype": "Link", "options": DOCTYPE}, fields=["parent", "fieldname"]
	) + frappe.get_all(
		"Custom Field",
		filters={"fieldtype": "Link", "options": DOCTYPE},
		fields=["dt as parent", "fieldname"],
	)
	return sorted(
		{
			(f.parent, f.fieldname)
			for f in fields
			if f.parent != "Company"
			and frappe.db.table_exists(f.parent)
			and frappe.db.has_column(f.parent, f.fieldname)
		}
	)


def in_use(name: str, link_fields: list[tuple[str, str]] | None = None) -> bool:
	"""Some document (an invoice, an order, a quotation...) prints these terms."""
	return any(frappe.db.exists(dt, {field: name}) for dt, field in link_fields or _link_fields())


def edited(name: str) -> bool:
	"""Saved after the app created it: by a user, or rewritten on their demand (the policy's button)."""
	row = frappe.db.get_value(DOCTYPE, name, ["creation", "modified"], as_dict=True)
	return bool(row) and row.modified != row.creation


def removable_terms() -> tuple[list[str], list[str]]:
	"""(removable, kept): the app's payment mentions nobody edited and no document prints, and the
	others, which are the user's now."""
	link_fields = _link_fields()
	removable, kept = [], []
	for name in app_terms():
		(kept if edited(name) or in_use(name, link_fields) else removable).append(name)
	return removable, kept


def remove_unused_mentions(removed: dict) -> list[str]:
	"""Uninstall: the removable payment mentions go, and the company defaults naming them are emptied
	(as before the install). Returns the names kept."""
	removable, kept = removable_terms()
	for name in removable:
		for field in COMPANY_DEFAULTS:
			for company in frappe.get_all("Company", filters={field: name}, pluck="name"):
				frappe.db.set_value("Company", company, field, None, update_modified=False)
				removed[f"Company ({field})"] += 1
		frappe.delete_doc(DOCTYPE, name, force=True, ignore_permissions=True, delete_permanently=True)
		removed[DOCTYPE] += 1
	return kept
