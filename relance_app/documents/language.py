"""The language of each document, decided once (relance_app.engine.template_choice):

- a relance or thank-you email, and its letter: the language of the template the stage uses for the
  customer (a variant's language; the stage's own template is in the policy's default language,
  else French);
- what has no template of its own (the debtor page, its confirmation email, its PDFs, the collection
  file): the customer's language when the customer's policy has a template variant in it, else the
  policy's default language, else French.

Never the site's, the user's or the worker's language."""

from __future__ import annotations

import frappe

from relance_app.data.invoices import PolicyResolver, load_policies
from relance_app.data.policies import variants_from_doc
from relance_app.engine.models import Stage
from relance_app.engine.template_choice import TemplateChoice, choose_template, page_language


def template_choice(
	stage: Stage, policy_doc, customer_language: str | None, tone: str | None
) -> TemplateChoice:
	"""The template of `stage` (a stage of `policy_doc`, or the thank-you) for this customer, and the
	language of the whole message."""
	return choose_template(
		stage.stage_name,
		stage.email_template,
		variants_from_doc(policy_doc) if policy_doc else (),
		customer_language,
		tone,
		policy_doc.get("default_language") if policy_doc else None,
	)


def customer_policy_doc(customer: dict, company: str):
	"""The Dunning Policy that applies to `customer` (a dict with name, dunning_policy, customer_group)
	with `company`, or None."""
	info = PolicyResolver(load_policies()).resolve(
		company, customer.get("dunning_policy"), customer.get("customer_group")
	)
	return frappe.get_cached_doc("Dunning Policy", info.name) if info else None


def customer_page_language(customer: dict | str, company: str, policy_doc=None) -> str:
	"""The language of the debtor page, its emails and PDFs, and the collection file of `customer`
	(a name, or a dict with language, dunning_policy, customer_group) with `company`."""
	if isinstance(customer, str):
		customer = frappe.db.get_value(
			"Customer", customer, ["name", "language", "dunning_policy", "customer_group"], as_dict=True
		) or {"name": customer}
	policy_doc = policy_doc or customer_policy_doc(customer, company)
	return page_language(
		customer.get("language"),
		variants_from_doc(policy_doc) if policy_doc else (),
		policy_doc.get("default_language") if policy_doc else None,
	)
