"""Defaults that work out of the box: the shipped Email Templates and one French policy per company."""

from __future__ import annotations

import json
from pathlib import Path

import frappe
from frappe import _

from relance_app.constants import THANK_YOU_STAGE
from relance_app.engine.models import LEGAL_RATE

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "relance"

# The French practice of the seeds: pré-relance J-5, relance 1 J+5, relance 2 J+15, relance 3 J+30
# (firmer, with penalties), mise en demeure J+45 (formal notice, after approval, also by letter).
DEFAULT_STAGES = (
	{"stage_name": "Pré-relance", "offset_days": -5, "key": "pre_relance"},
	{"stage_name": "Relance 1", "offset_days": 5, "key": "relance_1"},
	{"stage_name": "Relance 2", "offset_days": 15, "key": "relance_2"},
	{"stage_name": "Relance 3", "offset_days": 30, "key": "relance_3", "include_penalties": 1},
	{
		"stage_name": "Mise en demeure",
		"offset_days": 45,
		"key": "mise_en_demeure",
		"channel": "Email and Letter",
		"include_penalties": 1,
		"requires_approval": 1,
		"letter_print_format": "Mise en demeure",
	},
)
DEFAULT_LANGUAGE = "fr"


def load_manifest() -> list[dict]:
	return json.loads((TEMPLATE_DIR / "manifest.json").read_text())


def template_name(key: str, language: str = DEFAULT_LANGUAGE, tone: str = "courteous") -> str | None:
	for entry in load_manifest():
		if entry["key"] == key and entry["language"] == language and entry.get("tone", "courteous") == tone:
			return entry["name"]
	return None


def create_email_templates(overwrite: bool = False) -> list[str]:
	"""Create the shipped Email Templates; existing ones are left as the accountant edited them."""
	created = []
	for entry in load_manifest():
		body = (TEMPLATE_DIR / entry["file"]).read_text()
		exists = frappe.db.exists("Email Template", entry["name"])
		if exists and not overwrite:
			continue
		doc = frappe.get_doc("Email Template", entry["name"]) if exists else frappe.new_doc("Email Template")
		if not exists:
			doc.name = entry["name"]
		doc.subject = entry["subject"]
		doc.use_html = 1
		doc.response_html = body
		doc.flags.ignore_permissions = True
		doc.save() if exists else doc.insert()
		created.append(entry["name"])
	return created


def _variant_rows(manifest: list[dict]) -> list[dict]:
	"""Template variants of the default policy: English, and the firm tone where shipped."""
	rows = []
	stage_of = {s["key"]: s["stage_name"] for s in DEFAULT_STAGES}
	stage_of["thank_you"] = THANK_YOU_STAGE  # the thank-you's variants
	for entry in manifest:
		key = entry["key"].removesuffix("_firm")
		stage = stage_of.get(key)
		if not stage:
			continue
		tone = entry.get("tone", "courteous")
		if entry["language"] == DEFAULT_LANGUAGE and tone == "courteous":
			continue  # the stage's own template
		rows.append(
			{
				"stage_name": stage,
				"language": entry["language"] if frappe.db.exists("Language", entry["language"]) else None,
				"tone": "Firm" if tone == "firm" else "",
				"email_template": entry["name"],
			}
		)
	return rows


def default_policy_name(company: str) -> str:
	abbr = frappe.get_cached_value("Company", company, "abbr") or company
	return _("Relance standard") + f" - {abbr}"


def create_default_policy(company: str) -> str | None:
	"""The French default policy of a company, marked default unless the company already has one."""
	name = default_policy_name(company)
	if frappe.db.exists("Dunning Policy", name):
		return name
	create_email_templates()
	manifest = load_manifest()
	has_default = frappe.db.exists("Dunning Policy", {"company": company, "is_default": 1})
	policy = frappe.new_doc("Dunning Policy")
	policy.update(
		{
			"policy_name": name,
			"company": company,
			"enabled": 1,
			"is_default": 0 if has_default else 1,
			"min_days_between": 7,
			"pause_on_reply": 1,
			# L441-10: each semester's ECB rate + 10 points (Relance Legal Rate)
			"interest_rate_basis": LEGAL_RATE,
			"indemnity_currency": "EUR",
			"send_thank_you": 1,
			"thank_you_template": template_name("thank_you"),
		}
	)
	for stage in DEFAULT_STAGES:
		row = {k: v for k, v in stage.items() if k != "key"}
		row["email_template"] = template_name(stage["key"])
		if row.get("letter_print_format") and not frappe.db.exists(
			"Print Format", row["letter_print_format"]
		):
			row.pop("letter_print_format")
		policy.append("stages", row)
	for row in _variant_rows(manifest):
		policy.append("templates", row)
	policy.flags.ignore_permissions = True
	policy.insert()
	return policy.name


def create_default_policies() -> list[str]:
	return [create_default_policy(company) for company in frappe.get_all("Company", pluck="name")]
