"""Overdue by Stage: the outstanding amount and number of open invoices per last relance stage reached
and ageing bucket, per company and currency, with a chart. Each cell opens the Relance Register
filtered on it."""

from __future__ import annotations

from frappe import _
from frappe.utils import flt

from relance_app.analytics.register import NO_RELANCE, bucket_label, register_rows, stage_order
from relance_app.engine import register as G
from relance_app.engine.register import BUCKET_KEYS


def slug(bucket: str) -> str:
	return {"Not due": "not_due", "90+": "90_plus"}.get(bucket, bucket.replace("-", "_"))


def execute(filters=None):
	rows = [r for r in register_rows(filters, with_next=False) if r.procedure != G.PAID]
	data = aggregate(rows)
	return columns(), data, None, chart(data, rows)


def columns() -> list[dict]:
	out = [
		{
			"fieldname": "company",
			"label": _("Company"),
			"fieldtype": "Link",
			"options": "Company",
			"width": 150,
		},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"width": 70,
		},
		{"fieldname": "stage_label", "label": _("Last Relance"), "fieldtype": "Data", "width": 150},
	]
	for b in BUCKET_KEYS:
		out.append(
			{
				"fieldname": f"count_{slug(b)}",
				"label": _("{0}: invoices").format(bucket_label(b)),
				"fieldtype": "Int",
				"width": 90,
			}
		)
		out.append(
			{
				"fieldname": f"amount_{slug(b)}",
				"label": bucket_label(b),
				"fieldtype": "Currency",
				"options": "currency",
				"width": 120,
			}
		)
	out += [
		{"fieldname": "count_total", "label": _("Invoices"), "fieldtype": "Int", "width": 80},
		{
			"fieldname": "amount_total",
			"label": _("Total Outstanding"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 130,
		},
		{"fieldname": "stage", "label": _("Stage"), "fieldtype": "Data", "hidden": 1},
	]
	return out


def aggregate(rows) -> list[dict]:
	"""One row per (company, currency, last stage), its stages in policy order."""
	order = stage_order()
	cells: dict[tuple, dict] = {}
	for r in rows:
		stage = r.last_stage or NO_RELANCE
		# outstanding amounts are in the receivable account's currency (ERPNext's own rule)
		key = (r.company, r.party_account_currency, stage)
		cell = cells.get(key)
		if cell is None:
			cell = cells[key] = {f"count_{slug(b)}": 0 for b in (*BUCKET_KEYS, "total")}
			cell.update({f"amount_{slug(b)}": 0.0 for b in (*BUCKET_KEYS, "total")})
			cell.update(
				company=r.company,
				currency=r.party_account_currency,
				stage=stage,
				stage_label=_("No relance yet") if stage == NO_RELANCE else stage,
			)
		b = slug(r.ageing)
		cell[f"count_{b}"] += 1
		cell[f"amount_{b}"] += flt(r.outstanding_amount)
		cell["count_total"] += 1
		cell["amount_total"] += flt(r.outstanding_amount)

	def sort_key(item):
		(company, currency, stage), _cell = item
		rank = (-1, -1) if stage == NO_RELANCE else order.get(stage, (10**6, 0))
		return (company, currency, rank, stage)

	return [cell for _key, cell in sorted(cells.items(), key=sort_key)]


def chart(data, rows) -> dict | None:
	"""Stacked bars: one bar per ageing bucket, one colour per last relance stage; amounts when every row
	is in one currency, else numbers of invoices (euros and pounds do not add up)."""
	if not data:
		return None
	currencies = {r["currency"] for r in data}
	by_amount = len(currencies) == 1
	stages: list[str] = []
	for r in data:
		if r["stage_label"] not in stages:
			stages.append(r["stage_label"])
	datasets = []
	for stage in stages:
		values = []
		for b in BUCKET_KEYS:
			field = f"{'amount' if by_amount else 'count'}_{slug(b)}"
			values.append(round(sum(r[field] for r in data if r["stage_label"] == stage), 2))
		datasets.append({"name": stage, "values": values})
	return {
		"data": {"labels": [bucket_label(b) for b in BUCKET_KEYS], "datasets": datasets},
		"type": "bar",
		"barOptions": {"stacked": 1},
		"fieldtype": "Currency" if by_amount else "Int",
		"title": _("Outstanding by ageing and last relance ({0})").format(next(iter(currencies)))
		if by_amount
		else _("Invoices by ageing and last relance"),
	}
