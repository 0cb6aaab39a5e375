"""The shipped Email Templates already on a site say "X % a year over N days" with one rate: with the
rate by semester (and payments in the period) they must show every period's rate. Only the shipped
sentences are replaced where they are still word for word; anything the accountant rewrote stays."""

import frappe

from relance_app.setup.defaults import TEMPLATE_DIR, load_manifest

NEW_RATES = (
	"({{ penalties.rates_text }}{% if penalties.is_legal_rate %}, {{ penalties.basis_text }}{% endif %})"
)
OLD_RATES = (
	"({{ penalties.rate_formatted }} l'an sur {{ penalties.days_late }} jours)",
	"({{ penalties.rate_formatted }} a year over {{ penalties.days_late }} days)",
)
# the total of the shipped mise en demeure before the per-period detail
OLD_TOTAL = {
	"fr": "{% if single_currency %}<p>Total dû : <strong>{{ total_with_penalties }}</strong>{% if penalties %} (principal {{ total_amount_due }}, pénalités au taux annuel de {{ penalties.rate_formatted }} et indemnité forfaitaire de 40 € par facture, articles L441-10 et D441-5 du Code de commerce){% endif %}.</p>{% endif %}",
	"en": "{% if single_currency %}<p>Total due: <strong>{{ total_with_penalties }}</strong>{% if penalties %} (principal {{ total_amount_due }}, interest at {{ penalties.rate_formatted }} a year and a €40 fixed indemnity per invoice, articles L441-10 and D441-5 of the French Code de commerce){% endif %}.</p>{% endif %}",
}
NOTICE = {"fr": "<p><strong>La présente", "en": "<p><strong>This letter"}


def detail_and_total(entry: dict) -> str:
	"""The shipped lines between the invoices table and the formal notice: per-period detail and total."""
	lines = (TEMPLATE_DIR / entry["file"]).read_text().splitlines()
	start = next(i for i, line in enumerate(lines) if line.startswith("</table>")) + 1
	end = next(i for i, line in enumerate(lines) if line.startswith(NOTICE[entry["language"]]))
	return "\n".join(lines[start:end])


def execute():
	for entry in load_manifest():
		name = entry["name"]
		if not frappe.db.exists("Email Template", name):
			continue
		html = frappe.db.get_value("Email Template", name, "response_html") or ""
		new = html
		for old in OLD_RATES:
			new = new.replace(old, NEW_RATES)
		old_total = OLD_TOTAL.get(entry["language"]) if entry["key"] == "mise_en_demeure" else None
		if old_total and old_total in new:
			new = new.replace(old_total, detail_and_total(entry))
		if new != html:
			frappe.db.set_value("Email Template", name, "response_html", new)
