"""The default policies made before the thank-you had variants: the shipped English thank-you as the
variant of stage __thank_you__ (relance_app.setup.defaults), where the policy still sends the shipped
French thank-you and has no variant for it; a policy the accountant changed otherwise stays as it is."""

import frappe

from relance_app.constants import THANK_YOU_STAGE
from relance_app.setup.defaults import load_manifest, template_name


def execute():
	french = template_name("thank_you")
	variants = [
		e
		for e in load_manifest()
		if e["key"] == "thank_you" and e["language"] != "fr" and frappe.db.exists("Email Template", e["name"])
	]
	if not french or not variants:
		return
	for name in frappe.get_all("Dunning Policy", filters={"thank_you_template": french}, pluck="name"):
		policy = frappe.get_doc("Dunning Policy", name)
		if any((row.stage_name or "").strip() == THANK_YOU_STAGE for row in policy.templates):
			continue
		for entry in variants:
			language = entry["language"] if frappe.db.exists("Language", entry["language"]) else None
			policy.append(
				"templates",
				{"stage_name": THANK_YOU_STAGE, "language": language, "email_template": entry["name"]},
			)
		policy.flags.ignore_permissions = True
		policy.flags.ignore_validate = True  # only the variant rows are added
		policy.save()
