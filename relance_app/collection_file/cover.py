"""The cover page: creditor and debtor with their legal identifiers, each invoice with principal, late
interest (one line per period and rate) and fixed indemnity on the date of the file, the rates used
and the totals claimed per currency (the relances' own context); the contents are added by
building.py once the other parts are rendered."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import frappe
from frappe import _
from frappe.contacts.doctype.address.address import get_address_display
from frappe.utils import strip_html

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import common_context, fmoney
from relance_app.documents.message_data import message_context
from relance_app.engine.models import ZERO, Stage
from relance_app.engine.penalties import round_money

# custom fields some sites add for French identifiers, shown when the doctype has them
IDENTIFIER_FIELDS = ("siren", "siren_number", "siret", "siret_number", "rcs", "naf_code", "ape_code")
# the stage the cover's amounts are computed for: penalties included, no offset
COVER_STAGE = "__collection_file__"


def identifiers(doctype: str, name: str) -> list[dict]:
	"""Legal identifiers of a company or customer: its tax id (VAT number, SIREN...), its registration
	details, and the SIREN/SIRET-like custom fields the site has."""
	meta = frappe.get_meta(doctype)
	fields = ["tax_id", *(f for f in IDENTIFIER_FIELDS if meta.has_field(f))]
	if meta.has_field("registration_details"):
		fields.append("registration_details")
	values = frappe.db.get_value(doctype, name, fields, as_dict=True) or {}
	out = []
	for f in fields:
		if values.get(f):
			label = _("Tax ID (VAT, SIREN)") if f == "tax_id" else _(meta.get_label(f))
			out.append({"label": label, "value": str(values[f]).strip()})
	return out


def address_text(name: str | None) -> str:
	if not name:
		return ""
	return strip_html((get_address_display(name) or "").replace("<br>", "\n")).strip()


def debtor(data: FileData) -> dict:
	c = frappe.db.get_value(
		"Customer",
		data.customer,
		["customer_name", "customer_type", "customer_primary_address", "email_id", "mobile_no"],
		as_dict=True,
	)
	address = address_text(c.customer_primary_address)
	if not address:
		invoice_address = frappe.db.get_value("Sales Invoice", data.invoices[0], "customer_address")
		address = address_text(invoice_address)
	return {
		"name": c.customer_name or data.customer,
		"code": data.customer,
		"type": _(c.customer_type or ""),
		"address": address,
		"email": c.email_id or "",
		"phone": c.mobile_no or "",
		"identifiers": identifiers("Customer", data.customer),
	}


def creditor(data: FileData, ctx: dict) -> dict:
	company = ctx["company"]
	address = strip_html((company.get("address") or "").replace("<br>", "\n")).strip()
	return {
		"name": company["name"],
		"address": address,
		"email": company.get("email") or "",
		"phone": company.get("phone") or "",
		"identifiers": identifiers("Company", data.company),
		"payment": ctx.get("payment") or {},
	}


def invoice_rows(data: FileData, ctx: dict) -> tuple[list[dict], list[dict], list[str]]:
	"""The invoices with their total and paid amounts, the totals claimed per currency and the rates
	used, from the relances' context."""
	lang = data.language
	totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
	rates: list[str] = []
	invoices = []
	for row, candidate in zip(ctx["invoices"], data.candidates, strict=True):
		p = row["penalties"]
		cur = row["currency"]
		totals[cur]["principal"] += row["amount_due"]
		totals[cur]["interest"] += p["interest"] if p else ZERO
		if p and p["indemnity"]:
			totals[p["indemnity_currency"]]["indemnity"] += p["indemnity"]
		for line in (p or {}).get("lines", []):
			if line["rate_formatted"] not in rates:
				rates.append(line["rate_formatted"])
		invoices.append(
			{
				**row,
				"grand_total_formatted": fmoney(candidate.facts.grand_total, cur, lang),
				"paid_formatted": fmoney(
					(candidate.facts.grand_total or ZERO) - candidate.facts.outstanding, cur, lang
				),
			}
		)
	total_rows = [
		{
			"currency": cur,
			"principal": fmoney(t["principal"], cur, lang),
			"interest": fmoney(round_money(t["interest"], cur), cur, lang),
			"indemnity": fmoney(t["indemnity"], cur, lang),
			"total": fmoney(t["principal"] + t["interest"] + t["indemnity"], cur, lang),
		}
		for cur, t in sorted(totals.items())
	]
	return invoices, total_rows, rates


def cover_context(data: FileData) -> dict:
	"""Everything on the cover but its contents."""
	stage = Stage(COVER_STAGE, 0, include_penalties=True)
	ctx = message_context(
		stage,
		data.policy,
		data.policy_doc,
		data.candidates,
		data.as_of,
		language=data.language,
		tone="courteous",
	)
	invoices, total_rows, rates = invoice_rows(data, ctx)
	first_p = next((r["penalties"] for r in ctx["invoices"] if r["penalties"]), None)
	return {
		**common_context(data),
		"creditor": creditor(data, ctx),
		"debtor": debtor(data),
		"invoices": invoices,
		"totals": total_rows,
		"rates_used": ", ".join(rates),
		"basis_text": first_p["basis_text"] if first_p else "",
		"is_legal_rate": bool(first_p and first_p["is_legal_rate"]),
		"assumed": any(r["penalties"] and r["penalties"]["assumed"] for r in ctx["invoices"]),
		"policy": data.policy.name,
		"b2b_only": data.policy.indemnity_b2b_only,
	}
