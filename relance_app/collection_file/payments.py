"""The payments received: what reduced each invoice's outstanding (payments, credit notes, journal
entries) from the Payment Ledger, oldest first, the totals per currency and what is still due."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import frappe
from frappe import _

from relance_app.collection_file.loading import FileData
from relance_app.collection_file.parts import Part, common_context, fdate, fmoney, render_html_part
from relance_app.engine.models import ZERO
from relance_app.engine.penalties import to_decimal


def ledger_rows(invoices: list[str]) -> list[dict]:
	"""The Payment Ledger entries against these invoices but their own, oldest first."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	return (
		frappe.qb.from_(ple)
		.select(
			ple.posting_date,
			ple.voucher_type,
			ple.voucher_no,
			ple.against_voucher_no,
			ple.amount_in_account_currency.as_("amount"),
			ple.account_currency,
		)
		.where(
			(ple.against_voucher_type == "Sales Invoice")
			& ple.against_voucher_no.isin(invoices)
			& (ple.voucher_no != ple.against_voucher_no)
			& (ple.delinked == 0)
		)
		.orderby(ple.posting_date)
		.orderby(ple.creation)
		.run(as_dict=True)
	)


def payment_references(rows: list[dict]) -> dict:
	"""The Payment Entries among the rows: mode of payment and reference, by name."""
	entries = [r.voucher_no for r in rows if r.voucher_type == "Payment Entry"]
	return {
		p.name: p
		for p in frappe.get_all(
			"Payment Entry",
			filters={"name": ("in", entries or [""])},
			fields=["name", "reference_no", "reference_date", "mode_of_payment"],
		)
	}


def payment_rows(data: FileData) -> tuple[list[dict], list[dict]]:
	"""What reduced each invoice's outstanding, oldest first; and the totals per currency."""
	rows = ledger_rows(data.invoices)
	references = payment_references(rows)
	lang = data.language
	totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
	out = []
	for r in rows:
		amount = -to_decimal(r.amount)
		totals[r.account_currency] += amount
		pe = references.get(r.voucher_no)
		reference = ""
		if pe:
			reference = " – ".join(
				x for x in (pe.mode_of_payment and _(pe.mode_of_payment), pe.reference_no) if x
			)
		out.append(
			{
				"date": fdate(r.posting_date, lang),
				"voucher_type": _(r.voucher_type),
				"voucher_no": r.voucher_no,
				"invoice": r.against_voucher_no,
				"reference": reference,
				"amount": fmoney(amount, r.account_currency, lang),
			}
		)
	total_rows = [{"currency": c, "amount": fmoney(a, c, lang)} for c, a in sorted(totals.items())]
	return out, total_rows


def payments_part(data: FileData) -> Part:
	rows, totals = payment_rows(data)
	outstanding = defaultdict(lambda: ZERO)
	for c in data.candidates:
		outstanding[c.facts.currency] += c.facts.outstanding
	return render_html_part(
		"payments",
		_("Payments received"),
		_("Payments"),
		{
			**common_context(data),
			"rows": rows,
			"totals": totals,
			"outstanding": [
				{"currency": c, "amount": fmoney(a, c, data.language)} for c, a in sorted(outstanding.items())
			],
		},
	)
