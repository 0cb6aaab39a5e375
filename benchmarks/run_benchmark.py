"""relance_app's daily run against what ERPNext users do today (Frappe Notifications), side by side.

Run with the bench's Python against a site (the data set is removed afterwards):

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/relance_app/benchmarks/run_benchmark.py --site SITE \
        [--customers 2000] [--invoices 20000] [--due 3000] [--pdf-sample 50]

It builds a synthetic book (customers with contacts, submitted Sales Invoices spread over due dates
and amounts, some paid, some on hold, and the relance history that puts about `--due` of them at a
stage on the measured day), then times in the same process, on the same data:

A. relance_app's run: selection and decision; queueing (PDF rendering deferred to the queue); and
   PDF rendering of every attachment (measured on a sample, compared with Frappe's own get_print);
B. the equivalent Frappe Notifications (one per stage, "Days After" on due_date, condition
   doc.outstanding_amount > 0, attach print) evaluated by Frappe's own daily trigger.

It prints wall time, SQL queries, emails queued, ms per email and the ratio A/B, the engine's pure
decisions per second, the Customer panel's server time for a customer with 500 invoices and
2,000 logs, and each report and workspace card on the whole book (wall time, queries, rows;
`--reports-only` builds the book and measures just these). Figures, not assertions.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from contextlib import contextmanager
from datetime import timedelta

PREFIX = "BENCH"


@contextmanager
def counting():
	"""Count SQL statements issued through frappe.db.sql while the block runs."""
	import frappe

	counter = {"queries": 0}
	original = frappe.db.sql

	def sql(*args, **kwargs):
		counter["queries"] += 1
		return original(*args, **kwargs)

	frappe.db.sql = sql
	start = time.perf_counter()
	try:
		yield counter
	finally:
		counter["seconds"] = time.perf_counter() - start
		frappe.db.sql = original


def forget_process_caches():
	"""What a new worker process starts with: nothing cached in the process; Redis as it is."""
	import frappe

	from relance_app.relance import cache

	frappe.local.cache = {}
	if hasattr(frappe.local, "document_cache"):
		frappe.local.document_cache = {}
	cache.clear()


def bulk(doctype, rows):
	import frappe

	if not rows:
		return
	fields = list(rows[0].keys())
	frappe.db.bulk_insert(doctype, fields, [tuple(r[f] for f in fields) for r in rows], chunk_size=5000)


def build_book(n_customers: int, n_invoices: int, n_due: int, as_of, seed: int = 7):
	"""Customers, contacts, invoices and history, inserted set-wise (no GL entries: the dunning and
	the notifications only read the invoices)."""
	import frappe
	from frappe.utils import now_datetime

	from relance_app.relance.selection import load_policies

	rng = random.Random(seed)
	company = (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)
	policy = next(p for p in load_policies().values() if p.company == company and p.is_default)
	stages = [s for s in policy.policy.ordered_stages() if not s.requires_approval]
	group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
	territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
	item = frappe.db.get_value("Item", {"is_stock_item": 0}, "name") or frappe.db.get_value(
		"Item", {}, "name"
	)
	income = frappe.db.get_value("Company", company, "default_income_account")
	receivable = frappe.db.get_value("Company", company, "default_receivable_account")
	now = now_datetime()
	base = {
		"creation": now,
		"modified": now,
		"owner": "Administrator",
		"modified_by": "Administrator",
		"docstatus": 0,
	}

	customers, contacts, emails, links = [], [], [], []
	for i in range(n_customers):
		name = f"{PREFIX}-C{i:05d}"
		customers.append(
			{
				**base,
				"name": name,
				"customer_name": f"Client Banc {i}",
				"customer_type": "Company",
				"customer_group": group,
				"territory": territory,
				"language": "fr",
				"disabled": 0,
				"relance_exclude": 0,
			}
		)
		contact = f"{PREFIX}-CT{i:05d}"
		email = f"client{i}@bench.example"
		contacts.append(
			{
				**base,
				"name": contact,
				"first_name": f"Client {i}",
				"email_id": email,
				"is_primary_contact": 1,
				"status": "Passive",
			}
		)
		emails.append(
			{
				**base,
				"name": f"{PREFIX}-CE{i:05d}",
				"parent": contact,
				"parenttype": "Contact",
				"parentfield": "email_ids",
				"idx": 1,
				"email_id": email,
				"is_primary": 1,
			}
		)
		links.append(
			{
				**base,
				"name": f"{PREFIX}-DL{i:05d}",
				"parent": contact,
				"parenttype": "Contact",
				"parentfield": "links",
				"idx": 1,
				"link_doctype": "Customer",
				"link_name": name,
			}
		)
	bulk("Customer", customers)
	bulk("Contact", contacts)
	bulk("Contact Email", emails)
	bulk("Dynamic Link", links)

	invoices, items, logs = [], [], []
	due_today = 0
	for i in range(n_invoices):
		name = f"{PREFIX}-SINV-{i:06d}"
		customer = f"{PREFIX}-C{rng.randrange(n_customers):05d}"
		amount = round(rng.uniform(80, 25000), 2)
		history = []
		if due_today < n_due:
			# due for stage k today: due date at its offset, earlier stages already sent
			k = rng.randrange(len(stages))
			due = as_of - timedelta(days=stages[k].offset_days)
			history = [(s.stage_name, due + timedelta(days=s.offset_days)) for s in stages[:k]]
			if k and (as_of - history[-1][1]).days < policy.policy.min_days_between:
				history = history[:-1]
			due_today += 1
			paid, hold = False, False
		else:
			# between stages, not yet due, paid or on hold: nothing to do today
			due = as_of + timedelta(days=rng.randint(-200, 60))
			all_stages = policy.policy.ordered_stages()
			offsets = {as_of - timedelta(days=s.offset_days) for s in all_stages}
			while due in offsets:
				due += timedelta(days=1)
			history = [
				(s.stage_name, due + timedelta(days=s.offset_days))
				for s in all_stages
				if due + timedelta(days=s.offset_days) < as_of
			]
			paid = rng.random() < 0.3
			hold = not paid and rng.random() < 0.05
		invoices.append(
			{
				**base,
				"docstatus": 1,
				"name": name,
				"naming_series": "BENCH-",
				"title": customer,
				"customer": customer,
				"customer_name": customer,
				"company": company,
				"posting_date": due - timedelta(days=30),
				"due_date": due,
				"currency": "EUR",
				"conversion_rate": 1,
				"selling_price_list": "Standard Selling",
				"price_list_currency": "EUR",
				"plc_conversion_rate": 1,
				"debit_to": receivable,
				"total": amount,
				"net_total": amount,
				"base_total": amount,
				"base_net_total": amount,
				"grand_total": amount,
				"base_grand_total": amount,
				"rounded_total": amount,
				"base_rounded_total": amount,
				"outstanding_amount": 0 if paid else amount,
				"status": "Paid" if paid else "Overdue",
				"is_return": 0,
				"contact_email": f"client{int(customer.rsplit('C', 1)[1])}@bench.example",
				"relance_hold": 1 if hold else 0,
				"relance_hold_reason": "Dispute" if hold else None,
				"relance_exclude": 0,
				"language": "fr",
			}
		)
		items.append(
			{
				**base,
				"docstatus": 1,
				"name": f"{PREFIX}-SII-{i:06d}",
				"parent": name,
				"parenttype": "Sales Invoice",
				"parentfield": "items",
				"idx": 1,
				"item_code": item,
				"item_name": item,
				"description": "Prestation",
				"qty": 1,
				"stock_qty": 1,
				"conversion_factor": 1,
				"uom": "Nos",
				"stock_uom": "Nos",
				"rate": amount,
				"amount": amount,
				"base_rate": amount,
				"base_amount": amount,
				"net_rate": amount,
				"net_amount": amount,
				"income_account": income,
			}
		)
		for j, (stage_name, day) in enumerate(history):
			logs.append(
				{
					**base,
					"name": f"{PREFIX}-RL-{i:06d}-{j}",
					"sales_invoice": name,
					"customer": customer,
					"company": company,
					"dunning_policy": policy.name,
					"stage_name": stage_name,
					"status": "Sent",
					"relance_date": day,
					"relance_key": f"{name}::{stage_name}",
					"attempts": 1,
				}
			)
	bulk("Sales Invoice", invoices)
	bulk("Sales Invoice Item", items)
	bulk("Relance Log", logs)
	bulk("Payment Ledger Entry", ledger_entries(invoices, logs, receivable, base, rng))
	frappe.db.commit()
	return company, policy, stages, [i["name"] for i in invoices]


def ledger_entries(invoices, logs, receivable, base, rng):
	"""The invoices' Payment Ledger Entries (what ERPNext writes on submit and payment), so that the
	reports that read payments (Stage Effectiveness) work on the book: each invoice's own entry, and
	for the paid ones a payment a few days after their last relance (or their due date)."""
	last_log = {}
	for log in logs:
		last_log[log["sales_invoice"]] = max(
			last_log.get(log["sales_invoice"], log["relance_date"]), log["relance_date"]
		)
	rows = []
	for inv in invoices:
		common = {
			**base,
			"docstatus": 1,
			"company": inv["company"],
			"account_type": "Receivable",
			"account": receivable,
			"party_type": "Customer",
			"party": inv["customer"],
			"against_voucher_type": "Sales Invoice",
			"against_voucher_no": inv["name"],
			"account_currency": "EUR",
			"due_date": inv["due_date"],
			"delinked": 0,
		}
		rows.append(
			{
				**common,
				"name": f"{inv['name']}-PLE",
				"posting_date": inv["posting_date"],
				"voucher_type": "Sales Invoice",
				"voucher_no": inv["name"],
				"amount": inv["grand_total"],
				"amount_in_account_currency": inv["grand_total"],
			}
		)
		if inv["outstanding_amount"] == 0:
			start = last_log.get(inv["name"], inv["due_date"])
			rows.append(
				{
					**common,
					"name": f"{inv['name']}-PLE-PAY",
					"posting_date": start + timedelta(days=rng.randint(1, 40)),
					"voucher_type": "Payment Entry",
					"voucher_no": f"{inv['name']}-PAY",
					"amount": -inv["grand_total"],
					"amount_in_account_currency": -inv["grand_total"],
				}
			)
	return rows


def measure_reports(as_of):
	"""Each report (and the workspace cards) on the whole book, as a new worker process runs it:
	wall time, SQL queries, rows."""
	import frappe
	from frappe.utils import add_months

	from relance_app.relance import dashboard
	from relance_app.relance.report.overdue_by_stage import overdue_by_stage
	from relance_app.relance.report.relance_register import relance_register

	calls = [
		("Relance Register (open invoices)", lambda: relance_register.execute({})[1]),
		("Relance Register (+ paid in 30 days)", lambda: relance_register.execute({"include_closed": 1})[1]),
		("Overdue by Stage", lambda: overdue_by_stage.execute({})[1]),
	]
	try:
		from relance_app.relance.report.stage_effectiveness import stage_effectiveness

		calls.append(
			(
				"Stage Effectiveness (12 months)",
				lambda: stage_effectiveness.execute({"from_date": add_months(as_of, -12), "to_date": as_of})[
					1
				],
			)
		)
	except ImportError:
		pass
	calls += [
		("card: total overdue", lambda: [dashboard.total_overdue()]),
		("card: on hold", lambda: [dashboard.on_hold()]),
		("chart: relances per week by stage", lambda: dashboard.relances_by_stage(chart="{}")["labels"]),
	]
	out = []
	for label, call in calls:
		call()  # metadata in Redis, as on a running site
		forget_process_caches()
		with counting() as c:
			result = call()
		out.append((label, c["seconds"], c["queries"], len(result)))
	frappe.db.rollback()
	return out


def print_reports(rows):
	print(f"{'report':40} {'wall s':>8} {'queries':>8} {'rows':>7}")
	for label, secs, queries, n in rows:
		print(f"{label:40} {secs:8.2f} {queries:8d} {n:7d}")


def cleanup():
	import frappe

	like = f"{PREFIX}-%"
	for doctype, field in (
		("Payment Ledger Entry", "against_voucher_no"),
		("Relance Log", "sales_invoice"),
		("Email Queue Recipient", "parent"),
		("Communication Link", "parent"),
		("Sales Invoice Item", "parent"),
		("Sales Invoice", "name"),
		("Dynamic Link", "name"),
		("Contact Email", "name"),
		("Contact", "name"),
		("Customer", "name"),
		("Notification", "name"),
	):
		if doctype == "Email Queue Recipient":
			eq = frappe.qb.DocType("Email Queue")
			queues = frappe.qb.from_(eq).select(eq.name).where(eq.reference_name.like(like)).run(pluck=True)
			for chunk in range(0, len(queues), 1000):
				part = queues[chunk : chunk + 1000]
				frappe.db.delete("Email Queue Recipient", {"parent": ("in", part)})
				frappe.db.delete("Email Queue", {"name": ("in", part)})
			continue
		if doctype == "Communication Link":
			comms = frappe.get_all("Communication", filters={"reference_name": ("like", like)}, pluck="name")
			for chunk in range(0, len(comms), 1000):
				part = comms[chunk : chunk + 1000]
				frappe.db.delete("Communication Link", {"parent": ("in", part)})
				frappe.db.delete("Communication", {"name": ("in", part)})
			continue
		frappe.db.delete(doctype, {field: ("like", like)})
	frappe.db.delete("ToDo", {"reference_name": ("like", like)})
	frappe.db.commit()


def make_notifications(stages):
	import frappe

	names = []
	for s in stages:
		name = f"{PREFIX}-N {s.stage_name}"
		doc = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": name,
				"subject": f"Relance {s.stage_name} – Facture n° {{{{ doc.name }}}}",
				"document_type": "Sales Invoice",
				"event": "Days After" if s.offset_days >= 0 else "Days Before",
				"date_changed": "due_date",
				"days_in_advance": abs(s.offset_days),
				"condition": "doc.outstanding_amount > 0",
				"channel": "Email",
				"attach_print": 1,
				"message": "<p>Facture {{ doc.name }} : {{ doc.get_formatted('outstanding_amount') }} échue le {{ doc.get_formatted('due_date') }}.</p>",
				"recipients": [{"receiver_by_document_field": "contact_email"}],
				"enabled": 1,
			}
		)
		doc.insert(ignore_permissions=True)
		names.append(doc.name)
	frappe.db.commit()
	return names


def email_count(like=f"{PREFIX}-%"):
	import frappe

	return frappe.db.count("Email Queue", {"reference_name": ("like", like)})


def main():
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument("--site", required=True)
	parser.add_argument("--customers", type=int, default=2000)
	parser.add_argument("--invoices", type=int, default=20000)
	parser.add_argument("--due", type=int, default=3000, help="invoices due for a stage on the measured day")
	parser.add_argument("--pdf-sample", type=int, default=50, help="attachments rendered to measure PDF cost")
	parser.add_argument("--keep", action="store_true", help="keep the data set")
	parser.add_argument(
		"--reports-only", action="store_true", help="build the book, measure the reports and cards, stop"
	)
	args = parser.parse_args()

	sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
	import frappe

	frappe.init(site=args.site)
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	from frappe.utils import getdate, today

	from relance_app.relance.run import plan
	from relance_app.relance.sender import process_units

	as_of = getdate(today())
	cleanup()
	rows = []
	try:
		t = time.perf_counter()
		_company, _policy, stages, invoice_names = build_book(args.customers, args.invoices, args.due, as_of)
		print(
			f"book: {args.customers:,} customers, {args.invoices:,} invoices built in {time.perf_counter() - t:.1f} s"
		)
		frappe.db.set_single_value("Relance Settings", {"test_mode": 0, "business_days_only": 1})
		frappe.db.commit()
		if args.reports_only:
			logs = frappe.db.count("Relance Log", {"sales_invoice": ("like", f"{PREFIX}-%")})
			print(f"reports on {args.invoices:,} invoices and {logs:,} relance logs")
			print_reports(measure_reports(as_of))
			return

		# A1: selection and decision, first as a new worker process on a running site sees it (DocType
		# metadata in Redis, nothing in the process), then warm (a worker that already ran a job).
		# An untimed pass puts the metadata in Redis in case the cache was just flushed.
		plan(as_of)
		forget_process_caches()
		with counting() as sel:
			decisions, units = plan(as_of)
		due = sum(1 for _c, d in decisions if d and d.stage)
		rows.append(("A1 select + decide (new worker)", sel["seconds"], sel["queries"], 0, len(decisions)))
		with counting() as warm:
			plan(as_of)
		rows.append(("A1 select + decide (warm)", warm["seconds"], warm["queries"], 0, len(decisions)))

		# A2: queueing, PDF rendering deferred to the queue
		with counting() as q:
			process_units(units, str(as_of))
		queued = email_count()
		rows.append(("A2 queue (PDF deferred)", q["seconds"], q["queries"], queued, due))
		total_a = sel["seconds"] + q["seconds"]
		total_a_queries = sel["queries"] + q["queries"]

		# A3: PDF rendering of the attachments (sample, extrapolated), against Frappe's own get_print
		sample = frappe.get_all(
			"Email Queue",
			filters={"reference_name": ("like", f"{PREFIX}-%")},
			fields=["name", "attachments"],
			limit=args.pdf_sample,
		)
		attachments = [
			att
			for row in sample
			for att in frappe.parse_json(row.attachments or "[]")
			if att.get("print_format_attachment")
		]
		from frappe.translate import print_language

		def ours(att):
			att = {k: v for k, v in att.items() if k != "print_format_attachment"}
			return frappe.attach_print(**att)  # what the Email Queue calls when it sends our relance

		def frappes(att):
			# the same document through Frappe's own get_print: same language, same letter head
			with print_language(att.get("lang")):
				return frappe.get_print(
					att["doctype"],
					att["name"],
					att.get("print_format"),
					as_pdf=True,
					no_letterhead=not att.get("print_letterhead", True),
				)

		if attachments:  # warm both paths (templates, CSS, fonts) before measuring
			ours(attachments[0])
			frappes(attachments[0])
		pdf_ours = {"seconds": 0.0, "queries": 0}
		pdf_frappe = {"seconds": 0.0, "queries": 0}
		for att in attachments:  # interleaved, so load and caches weigh the same on both
			for fn, total in ((frappes, pdf_frappe), (ours, pdf_ours)):
				with counting() as c:
					fn(att)
				total["seconds"] += c["seconds"]
				total["queries"] += c["queries"]
		per_pdf = pdf_ours["seconds"] / max(1, len(sample))
		per_pdf_frappe = pdf_frappe["seconds"] / max(1, len(sample))
		rows.append(
			(
				f"A3 PDF render ({len(sample)} sampled)",
				pdf_ours["seconds"],
				pdf_ours["queries"],
				len(sample),
				len(sample),
			)
		)

		# B: Frappe Notifications, Frappe's daily trigger, same invoices
		frappe.db.delete("Email Queue", {"reference_name": ("like", f"{PREFIX}-%")})
		frappe.db.commit()
		notifications = make_notifications(stages)
		from frappe.email.doctype.notification.notification import trigger_daily_alerts

		with counting() as b:
			trigger_daily_alerts()
		frappe.db.commit()
		queued_b = email_count()
		rows.append(("B  Notifications (daily trigger)", b["seconds"], b["queries"], queued_b, queued_b))
		frappe.db.delete("Notification", {"name": ("in", notifications)})
		frappe.db.commit()

		# engine, pure
		from benchmarks.engine_decisions import POLICY, book
		from relance_app.engine.decide import decide

		pure = book(100_000, as_of)
		t = time.perf_counter()
		for inv in pure:
			decide(POLICY, inv, as_of)
		engine_rate = len(pure) / (time.perf_counter() - t)

		# Customer panel: 500 invoices and 2,000 logs
		panel_customer = f"{PREFIX}-C00000"
		frappe.db.set_value(
			"Sales Invoice", {"name": ("in", invoice_names[:500])}, "customer", panel_customer
		)
		logs = frappe.get_all(
			"Relance Log", filters={"sales_invoice": ("like", f"{PREFIX}-%")}, pluck="name", limit=2000
		)
		frappe.db.set_value("Relance Log", {"name": ("in", logs)}, "customer", panel_customer)
		frappe.db.commit()
		from relance_app.relance.views import customer_panel

		customer_panel(panel_customer)  # warm caches
		with counting() as panel:
			customer_panel(panel_customer)
		logs_now = frappe.db.count("Relance Log", {"sales_invoice": ("like", f"{PREFIX}-%")})
		report_rows = measure_reports(as_of)

		print()
		print(
			f"machine: {os.cpu_count()} cores; site {args.site}; as of {as_of}; {due:,} invoices due for a stage"
		)
		print(f"{'path':36} {'wall s':>8} {'queries':>8} {'emails':>7} {'ms/email':>9}")
		for label, secs, queries, emails, per in rows:
			ms = secs * 1000 / per if per else 0
			print(f"{label:36} {secs:8.2f} {queries:8d} {emails:7d} {ms:9.2f}")
		b_ms = b["seconds"] * 1000 / max(1, queued_b)
		a_ms = q["seconds"] * 1000 / max(1, queued)
		print()
		print(
			f"A (select + decide + queue): {total_a:.2f} s, {total_a_queries} queries, {queued} emails, {total_a * 1000 / max(1, queued):.2f} ms/email"
		)
		print(
			f"B (Notifications):           {b['seconds']:.2f} s, {b['queries']} queries, {queued_b} emails, {b_ms:.2f} ms/email"
		)
		print(f"ratio A/B wall time: {total_a / b['seconds']:.2f}; per email (queue only) {a_ms / b_ms:.2f}")
		print(
			f"PDF per attachment: ours {per_pdf * 1000:.0f} ms, Frappe get_print {per_pdf_frappe * 1000:.0f} ms, overhead {100 * (per_pdf / per_pdf_frappe - 1):+.1f} %"
		)
		print(
			f"PDF for every attachment ({queued}): about {per_pdf * queued:.0f} s (extrapolated from the sample)"
		)
		print(f"engine: {engine_rate:,.0f} decisions per second (pure, 100,000 invoices)")
		print(
			f"customer panel (500 invoices, 2,000 logs): {panel['seconds'] * 1000:.0f} ms, {panel['queries']} queries"
		)
		print()
		print(f"reports on {args.invoices:,} invoices and {logs_now:,} relance logs")
		print_reports(report_rows)
	finally:
		if not args.keep:
			cleanup()
		frappe.destroy()


if __name__ == "__main__":
	main()
