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

import contextlib
import os
import random
import re
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

import cli

PREFIX = "BENCH"
BENCH_ACCOUNT = "Relance Bench SMTP"
BENCH_EMAIL = "relances@bench.example"
# Relance Settings the benchmark changes and puts back
RESTORED = (
	"pdf_engine",
	"business_days_only",
	"test_mode",
	"chunk_size",
	"chromium_recycle_documents",
	"chromium_recycle_memory_mb",
	"pdf_engine_in_use",
	"chromium_path",
	"chromium_version",
	"pdf_engine_reason",
	"pdf_engine_checked_on",
)


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


def bytecode_note() -> str:
	"""Whether the bench's modules have their bytecode, as on a production bench: without it (Python
	told not to write it, as with PYTHONDONTWRITEBYTECODE, and an env installed by uv) every RQ job's
	fresh process compiles some 800 modules again, about a second."""
	import importlib.util

	import erpnext
	import frappe

	missing = [
		m.__name__
		for m in (frappe, erpnext)
		if not os.path.exists(importlib.util.cache_from_source(m.__file__))
	]
	if missing:
		return f"bytecode: none for {', '.join(missing)}: each job will compile its modules (run scripts/setup_bench.sh)"
	return "bytecode: compiled (as on a production bench)"


def forget_process_caches():
	"""What a new worker process starts with: nothing cached in the process; Redis as it is."""
	import frappe

	from relance_app.common import cache

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

	from relance_app.data.invoices import load_policies

	rng = random.Random(seed)
	company = (
		frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.get_all("Company", pluck="name", limit=1)[0]
	)
	default = next(p for p in load_policies().values() if p.company == company and p.is_default)
	name = bench_policy(default.name)
	policy = load_policies()[name]
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
				"dunning_policy": policy.name,
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


def bench_policy(default_policy: str) -> str:
	"""The company's default policy, copied for the book's customers, sending through the benchmark's
	Email Account (nothing the site's own policies or accounts use is changed)."""
	import frappe

	policy = frappe.copy_doc(frappe.get_doc("Dunning Policy", default_policy))
	policy.policy_name = f"{PREFIX} Policy"
	policy.is_default = 0
	policy.sender = BENCH_ACCOUNT if frappe.db.exists("Email Account", BENCH_ACCOUNT) else None
	policy.insert(ignore_permissions=True)
	return policy.name


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

	from relance_app.analytics import cards as dashboard
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
				delete_stored_pdfs(part)
				frappe.db.delete("Communication Link", {"parent": ("in", part)})
				frappe.db.delete("Communication", {"name": ("in", part)})
			continue
		frappe.db.delete(doctype, {field: ("like", like)})
	frappe.db.delete("ToDo", {"reference_name": ("like", like)})
	if frappe.db.exists("Dunning Policy", f"{PREFIX} Policy"):
		frappe.delete_doc("Dunning Policy", f"{PREFIX} Policy", force=True, ignore_permissions=True)
	if frappe.db.exists("Email Account", BENCH_ACCOUNT):
		frappe.delete_doc("Email Account", BENCH_ACCOUNT, force=True, ignore_permissions=True)
	frappe.db.commit()


def delete_stored_pdfs(communications: list[str]) -> None:
	"""The invoice PDFs Frappe stored with these emails (System Settings › Store Attached PDF Document),
	their files on disk, and the "Attachment" comments it wrote: left behind, they would make each later
	run slower (Frappe's File looks up the attachments folder and each new file's content hash by
	scanning the File table)."""
	import frappe

	if not communications:
		return
	files = frappe.get_all(
		"File",
		filters={"attached_to_doctype": "Communication", "attached_to_name": ("in", communications)},
		fields=["name", "file_url"],
	)
	for row in files:
		url = row.file_url or ""
		if url.startswith("/private/files/"):
			path = frappe.get_site_path(url.lstrip("/"))
		elif url.startswith("/files/"):
			path = frappe.get_site_path("public", url.lstrip("/"))
		else:
			continue
		with contextlib.suppress(OSError):
			os.remove(path)
	if files:
		frappe.db.delete("File", {"name": ("in", [row.name for row in files])})
	frappe.db.delete(
		"Comment", {"reference_doctype": "Communication", "reference_name": ("in", communications)}
	)


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
				# the book's invoices only, as relance_app's runs below (other test invoices may be on the site)
				"condition": f"doc.outstanding_amount > 0 and doc.name.startswith('{PREFIX}-')",
				"channel": "Email",
				"attach_print": 1,
				"message": "<p>Facture {{ doc.name }} : {{ doc.get_formatted('outstanding_amount') }} échue le {{ doc.get_formatted('due_date') }}.</p>",
				"recipients": [{"receiver_by_document_field": "contact_email"}],
				# through the benchmark's Email Account (Frappe matches the account on sender_email)
				**(
					{"sender": BENCH_ACCOUNT, "sender_email": BENCH_EMAIL}
					if frappe.db.exists("Email Account", BENCH_ACCOUNT)
					else {}
				),
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


# --- end to end: queueing, Email Queue flush with every PDF rendered, SMTP delivery ----------------


MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
KEEP = 50  # messages kept whole by the sink, per run


class Sink:
	"""An SMTP server on loopback (aiosmtpd) that keeps each message with its arrival time."""

	def __init__(self):
		import socket

		from aiosmtpd.controller import Controller

		self.messages: list[tuple[float, list[str], bytes]] = []
		self.ids: list[bytes] = []
		self.with_pdf = 0
		with socket.socket() as sock:
			sock.bind(("127.0.0.1", 0))
			self.port = sock.getsockname()[1]
		self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
		self.controller.start()

	async def handle_DATA(self, server, session, envelope):
		raw = envelope.content
		found = MESSAGE_ID.search(raw)
		self.ids.append(found.group(1) if found else b"")
		self.with_pdf += b"application/pdf" in raw
		# the message itself is kept for the first ones only (checked for their PDF): 10,000 messages
		# with their PDFs would hold a gigabyte here
		self.messages.append(
			(time.perf_counter(), list(envelope.rcpt_tos), raw if len(self.ids) <= KEEP else b"")
		)
		return "250 OK"

	def clear(self):
		self.messages.clear()
		self.ids.clear()
		self.with_pdf = 0

	def stop(self):
		self.controller.stop()


def bench_account(port: int) -> str:
	"""The benchmark's own outgoing Email Account (not the default one), pointed at the sink."""
	import frappe

	from relance_app.tests.utils import loopback_email_account

	loopback_email_account(BENCH_ACCOUNT, BENCH_EMAIL, port)
	frappe.db.commit()
	return BENCH_ACCOUNT


def reset_run(as_of):
	"""Undo what a run on `as_of` (or the notifications) added, so the next one finds the same work."""
	import frappe

	like = f"{PREFIX}-%"
	frappe.db.delete("Relance Log", {"sales_invoice": ("like", like), "relance_date": as_of})
	eq = frappe.qb.DocType("Email Queue")
	queues = frappe.qb.from_(eq).select(eq.name).where(eq.reference_name.like(like)).run(pluck=True)
	for i in range(0, len(queues), 1000):
		frappe.db.delete("Email Queue Recipient", {"parent": ("in", queues[i : i + 1000])})
		frappe.db.delete("Email Queue", {"name": ("in", queues[i : i + 1000])})
	comms = frappe.get_all("Communication", filters={"reference_name": ("like", like)}, pluck="name")
	for i in range(0, len(comms), 1000):
		delete_stored_pdfs(comms[i : i + 1000])
		frappe.db.delete("Communication Link", {"parent": ("in", comms[i : i + 1000])})
		frappe.db.delete("Communication", {"name": ("in", comms[i : i + 1000])})
	frappe.db.delete("ToDo", {"reference_name": ("like", like)})
	si = frappe.qb.DocType("Sales Invoice")
	(
		frappe.qb.update(si)
		.set(si.relance_status, None)
		.set(si.relance_last_stage, None)
		.set(si.relance_last_date, None)
		.set(si.relance_next_stage, None)
		.set(si.relance_next_date, None)
		.where(si.name.like(like))
		.run()
	)
	frappe.db.commit()


def start_workers(n: int) -> list:
	"""n RQ workers of this bench on the queues relance_app uses (long: the relances, short: their
	delivery), started like `bench worker`; returned once Redis lists them."""
	import subprocess

	import frappe
	from frappe.utils.background_jobs import get_workers

	from relance_app.pdf import delivery

	before = {w.pid for w in get_workers()}
	procs = [
		subprocess.Popen(
			[
				sys.executable,
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"worker",
				"--queue",
				f"long,{delivery.QUEUE}",
			],
			cwd=os.path.abspath(frappe.local.sites_path),
			stdout=subprocess.DEVNULL,
			stderr=subprocess.DEVNULL,
			start_new_session=True,
			env={k: v for k, v in os.environ.items() if k != "CI"},  # CI would make the jobs tests
		)
		for _ in range(n)
	]
	deadline = time.monotonic() + 120
	while time.monotonic() < deadline:
		pids = {w.pid for w in get_workers()} - before
		if {p.pid for p in procs} <= pids:
			break
		time.sleep(0.5)
	return procs


def stop_workers(procs) -> None:
	import signal

	for p in procs:
		if p.poll() is None:
			os.killpg(p.pid, signal.SIGTERM)
	for p in procs:
		try:
			p.wait(60)
		except Exception:
			os.killpg(p.pid, signal.SIGKILL)
			p.wait(10)


class MemorySampler:
	"""Memory of each worker with its browser, sampled every second: the PSS (/proc/PID/smaps_rollup) of
	every process of the worker's tree (the worker, its job process, the job's Chromium and its
	renderers) summed, so the pages they share are counted once; with the documents delivered so far,
	to read it per 1,000 documents and from the first third of the run to the last. RSS is kept beside
	it for comparison (shared pages counted once per process)."""

	def __init__(self, pids: list[int], sink: Sink | None = None, every: float = 1.0):
		import threading

		self.pids, self.sink, self.every = pids, sink, every
		# (time, documents delivered, {worker pid: (python PSS, browser PSS, python RSS, browser RSS)})
		self.samples: list[tuple[float, int, dict]] = []
		self.stopped = threading.Event()
		self.thread = threading.Thread(target=self.run, daemon=True)
		self.thread.start()

	@staticmethod
	def tree(pid: int) -> tuple[int, int, int, int]:
		from relance_app.pdf import memory

		python = browser = python_rss = browser_rss = 0
		for p in memory.process_tree(pid):
			try:
				with open(f"/proc/{p}/comm") as f:
					name = f.read().strip().lower()
			except OSError:
				continue
			if "chrom" in name or "headless" in name:
				browser, browser_rss = browser + memory.pss(p), browser_rss + memory.rss(p)
			else:
				python, python_rss = python + memory.pss(p), python_rss + memory.rss(p)
		return python, browser, python_rss, browser_rss

	def run(self):
		while not self.stopped.wait(self.every):
			documents = len(self.sink.messages) if self.sink else 0
			self.samples.append((time.perf_counter(), documents, {pid: self.tree(pid) for pid in self.pids}))

	def stop(self, every_documents: int = 1000) -> dict:
		self.stopped.set()
		self.thread.join()
		if not self.samples:
			return {"python": 0, "chrome": 0, "total": 0, "first": 0, "last": 0, "workers": {}}
		mb = 1024 * 1024
		total = self.samples[-1][1]
		workers = {}
		for pid in self.pids:
			series = [(docs, *s[pid]) for _t, docs, s in self.samples if pid in s and s[pid][0]]
			if not series:
				continue
			# from the first document delivered (before it, the worker has not started its job yet)
			both = [(docs, (p + c) / mb) for docs, p, c, _pr, _cr in series if docs] or [
				(docs, (p + c) / mb) for docs, p, c, _pr, _cr in series
			]
			first = [v for docs, v in both if docs <= total / 3] or [both[0][1]]
			last = [v for docs, v in both if docs >= 2 * total / 3] or [both[-1][1]]
			# the PSS at each multiple of `every_documents` delivered (the first sample past it)
			marks, per_k = every_documents, []
			for docs, v in both:
				while docs >= marks:
					per_k.append((marks, v))
					marks += every_documents
			workers[pid] = {
				"first_mean": sum(first) / len(first),
				"first_peak": max(first),
				"last_mean": sum(last) / len(last),
				"last_peak": max(last),
				"peak": max(v for _d, v in both),
				"start": both[0][1],
				"per_k": per_k,
			}
		flat = [s for _t, _d, by in self.samples for s in by.values()]
		return {
			"python": max(p for p, _c, _pr, _cr in flat),
			"chrome": max(c for _p, c, _pr, _cr in flat),
			"total": max(p + c for p, c, _pr, _cr in flat),
			"first": max((w["first_peak"] for w in workers.values()), default=0) * mb,
			"last": max((w["last_peak"] for w in workers.values()), default=0) * mb,
			"python_rss": max(pr for _p, _c, pr, _cr in flat),
			"chrome_rss": max(cr for _p, _c, _pr, cr in flat),
			"workers": workers,
		}


def bench_queue_status():
	import frappe
	from frappe.query_builder.functions import Count

	eq = frappe.qb.DocType("Email Queue")
	rows = (
		frappe.qb.from_(eq)
		.select(eq.status, Count("*"))
		.where(eq.reference_name.like(f"{PREFIX}-%"))
		.groupby(eq.status)
		.run()
	)
	return dict(rows)


def wait_delivered(sink: Sink, start: float, expected: int, timeout: float) -> dict:
	"""Poll until `expected` emails reached the sink and nothing of the book is left to send."""
	import frappe

	queued_at = None
	deadline = time.monotonic() + timeout
	status = {}
	while time.monotonic() < deadline:
		frappe.db.rollback()  # a fresh snapshot
		status = bench_queue_status()
		if queued_at is None and sum(status.values()) >= expected:
			queued_at = time.perf_counter() - start
		pending = sum(v for k, v in status.items() if k in ("Not Sent", "Sending", "Partially Sent"))
		if (
			queued_at is not None
			and not pending
			and len(sink.messages) >= sum(status.get(k, 0) for k in ("Sent",))
		):
			break  # everything queued reached a final state (Expired: a test's setUp took the rows)
		time.sleep(0.5)
	last = max((t for t, _r, _raw in sink.messages), default=time.perf_counter())
	return {"queued_at": queued_at or 0.0, "delivered_at": last - start, "status": status}


def check_messages(sink: Sink, sample: int = 20) -> dict:
	"""Exactly once (one message per Message-ID), a PDF in each, the engine that made a sample."""
	import email

	from relance_app.tests.utils import pdf_text

	chromium, texts_ok = 0, 0
	ids, with_pdf = sink.ids, sink.with_pdf
	for i, (_t, _rcpt, raw) in enumerate(sink.messages[: min(sample, KEEP)]):
		message = email.message_from_bytes(raw)
		pdfs = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
		if i < sample and pdfs:
			data = pdfs[0].get_payload(decode=True)
			chromium += b"Skia/PDF" in data
			name = (pdfs[0].get_filename() or "").removesuffix(".pdf")
			texts_ok += bool(name) and squeeze(name) in squeeze(pdf_text(data))
	return {
		"messages": len(ids),
		"duplicates": len(ids) - len(set(ids)),
		"with_pdf": with_pdf,
		"sampled": min(sample, len(ids)),
		"chromium": chromium,
		"invoice_in_pdf": texts_ok,
	}


def quiet_site(limit: float = 900) -> None:
	"""Wait while a test run is going on this site: a test's setUp expires every queued email of the
	site, the benchmark's included (test runs on the bench's other sites do not touch it)."""
	import frappe
	import psutil

	deadline = time.monotonic() + limit
	while time.monotonic() < deadline:
		busy = [
			p.pid
			for p in psutil.process_iter(["cmdline"])
			if "run-tests" in (p.info.get("cmdline") or [])
			and frappe.local.site in (p.info.get("cmdline") or [])
		]
		if not busy:
			return
		print(f"  waiting: a test run is going on (pids {busy})", flush=True)
		time.sleep(30)


def e2e_relances(
	as_of,
	engine_name: str,
	workers: int,
	expected: int,
	sink: Sink,
	timeout: float,
	invoices: list[str],
	memory_every: int = 1000,
) -> dict:
	"""relance_app's run as production runs it: run_dunning (selection, decision, one job per chunk on
	the long queue), the jobs queue the emails and then their delivery jobs, RQ workers of the bench
	render the PDFs with the engine and deliver to the sink."""
	import frappe

	from relance_app.run.daily import run_dunning

	reset_run(as_of)
	if engine_name == DEFAULTS:
		engine_name = fresh_install_settings()
	else:
		frappe.db.set_single_value("Relance Settings", "pdf_engine", engine_name)
	frappe.db.commit()
	quiet_site()
	failed_before = failed_jobs()
	procs = start_workers(workers)
	sink.clear()
	memory = MemorySampler([p.pid for p in procs], sink)
	try:
		start = time.perf_counter()
		run_dunning(as_of, invoice_names=invoices)
		planned = time.perf_counter() - start
		times = wait_delivered(sink, start, expected, timeout)
	finally:
		peak = memory.stop(memory_every)
		died = sum(p.poll() is not None for p in procs)  # a worker that ended before it was stopped
		stop_workers(procs)
	return {
		"planned": planned,
		**times,
		**check_messages(sink),
		"memory": peak,
		"workers": workers,
		"engine": engine_name,
		"workers_died": died,
		"failed_jobs": failed_jobs() - failed_before,
	}


DEFAULTS = "Defaults"  # an --e2e-configs engine: Relance Settings as a fresh install leaves them


def fresh_install_settings() -> str:
	"""Relance Settings' sending fields at their defaults (PDF Engine Automatic, relances per job, the
	browser's bounds), the engine found as on install; returns the engine in use."""
	import frappe

	from relance_app.pdf import detect

	meta = frappe.get_meta("Relance Settings")
	fields = ("pdf_engine", "chunk_size", "chromium_recycle_documents", "chromium_recycle_memory_mb")
	frappe.db.set_single_value(
		"Relance Settings", {f: meta.get_field(f).default for f in fields if meta.get_field(f)}
	)
	finding = detect.refresh()
	print(f"  defaults of a fresh install: PDF engine {finding.engine} ({finding.version or finding.reason})")
	return finding.engine


def failed_jobs() -> int:
	"""Jobs RQ counts as failed on the queues the workers take (a job process killed, out of memory)."""
	from frappe.utils.background_jobs import generate_qname, get_redis_conn
	from rq import Queue
	from rq.registry import FailedJobRegistry

	conn = get_redis_conn()
	return sum(
		len(FailedJobRegistry(queue=Queue(generate_qname(q), connection=conn))) for q in ("long", "short")
	)


def queue_with_workers(as_of, workers: int, expected: int, invoices: list[str], timeout: float) -> dict:
	"""Queueing as production runs it: run_dunning plans and splits the day's relances in chunks, one
	job each on the long queue, taken by `workers` RQ workers; timed until every email is queued.
	Delivery is held meanwhile (Frappe's suspend_email_queue): the queueing alone is measured."""
	import frappe

	from relance_app.run.daily import run_dunning

	reset_run(as_of)
	frappe.db.set_default("suspend_email_queue", 1)
	frappe.db.commit()
	quiet_site()
	procs = start_workers(workers)
	try:
		start = time.perf_counter()
		outcomes = run_dunning(as_of, invoice_names=invoices)["outcomes"]
		deadline = time.monotonic() + timeout
		queued = 0
		while time.monotonic() < deadline:
			frappe.db.rollback()  # a fresh snapshot
			queued = email_count()
			if queued >= expected:
				break
			time.sleep(0.2)
		wall = time.perf_counter() - start
	finally:
		stop_workers(procs)
		frappe.db.set_default("suspend_email_queue", 0)
		frappe.db.commit()
	return {"seconds": wall, "emails": queued, "workers": workers, **outcomes}


def e2e_notifications(stages, sink: Sink, expected: int, timeout: float) -> dict:
	"""Frappe Notifications, the same invoices: Frappe's daily trigger queues, then Frappe's flush loop
	(one job at a time, as the scheduler runs it) renders each attachment and delivers to the sink."""
	import frappe
	from frappe.email.doctype.notification.notification import trigger_daily_alerts

	as_of = frappe.utils.getdate()
	reset_run(as_of)
	quiet_site()
	notifications = make_notifications(stages)
	sink.clear()
	try:
		start = time.perf_counter()
		trigger_daily_alerts()
		frappe.db.commit()
		queued = time.perf_counter() - start
		# frappe.email.queue.flush, restricted to the book's rows (other tests may use the site)
		for name in frappe.get_all(
			"Email Queue",
			filters={"reference_name": ("like", f"{PREFIX}-%"), "status": "Not Sent"},
			pluck="name",
			order_by="priority desc, retry asc, creation asc",
		):
			try:
				frappe.get_doc("Email Queue", name).send()
			except Exception:
				frappe.get_doc("Email Queue", name).log_error()
		times = {**wait_delivered(sink, start, expected, timeout), "queued_at": queued}
	finally:
		frappe.db.delete("Notification", {"name": ("in", notifications)})
		frappe.db.commit()
	return {"planned": queued, **times, **check_messages(sink), "workers": 1}


# --- PDF engines side by side ---------------------------------------------------------------------


def compare_engines(attachments, images_dir: str | None = None) -> dict:
	"""Each sampled attachment rendered by both engines as the delivery job renders them (print
	templates of the language compiled once), interleaved; their texts compared (pypdf)."""
	import frappe
	from frappe.translate import print_language

	from relance_app.pdf import delivery, engine
	from relance_app.tests.utils import pdf_text

	envs: dict = {}
	totals = {"html": 0.0, "wkhtmltopdf": 0.0, "Chromium": 0.0}
	pdfs: dict = {}
	same_text = 0
	first = None

	def attach(att, name):
		args = {k: v for k, v in att.items() if k != "print_format_attachment"}
		with engine.relance_emails(name), delivery.print_templates(att.get("lang"), envs):
			return frappe.attach_print(**args)["fcontent"]

	def html(att):
		with delivery.print_templates(att.get("lang"), envs), print_language(att.get("lang")):
			return frappe.get_print(att["doctype"], att["name"], att.get("print_format"))

	if attachments:  # warm both engines (browser started, templates compiled)
		attach(attachments[0], "wkhtmltopdf")
		attach(attachments[0], "Chromium")
		html(attachments[0])
	for att in attachments:
		for label, fn in (
			("html", lambda a=att: html(a)),
			("wkhtmltopdf", lambda a=att: attach(a, "wkhtmltopdf")),
			("Chromium", lambda a=att: attach(a, "Chromium")),
		):
			t = time.perf_counter()
			out = fn()
			totals[label] += time.perf_counter() - t
			if label != "html":
				pdfs[label] = out
		doc = frappe.get_cached_doc("Sales Invoice", att["name"])
		wanted = [doc.name, doc.customer_name, *[i.item_name for i in doc.items]]
		wanted += [frappe.format(doc.grand_total, {"fieldtype": "Currency", "options": doc.currency})]
		wanted = [squeeze(w) for w in wanted]
		texts = {k: squeeze(pdf_text(v)) for k, v in pdfs.items()}
		same_text += all(w in t for w in wanted for t in texts.values())
		if first is None:
			first = (att["name"], dict(pdfs), wanted, texts)
	n = max(1, len(attachments))
	result = {k: v * 1000 / n for k, v in totals.items()}
	result.update(
		{"sampled": len(attachments), "same_text": same_text, "fallbacks": engine.stats["fallbacks"]}
	)
	if images_dir and first:
		result["images"] = save_images(images_dir, *first)
	return result


def print_engines(r: dict) -> None:
	n = r["sampled"]
	print(f"PDF per attachment ({n} sampled, rendered as the delivery job renders them):")
	print(f"  print HTML (Frappe's printview)       {r['html']:7.0f} ms")
	for name in ("wkhtmltopdf", "Chromium"):
		print(f"  {name:12} HTML + PDF {r[name]:7.0f} ms, PDF alone {r[name] - r['html']:7.0f} ms")
	print(f"  same text in both (number, customer, lines, total): {r['same_text']}/{n}")
	if r.get("fallbacks"):
		print(f"  Chromium fell back to wkhtmltopdf {r['fallbacks']} times")
	if r.get("images"):
		print(f"  page images: {r['images']}")


def print_e2e(results, expected: int) -> None:
	mb = 1024 * 1024
	print(f"end to end: {expected:,} relance emails, each with its invoice PDF, delivered by SMTP (loopback)")
	print(
		f"{'path':34} {'workers':>7} {'load':>5} {'queued s':>9} {'delivered s':>12} {'ms/email':>9} "
		f"{'sent':>6} {'dup':>4} {'pdf':>6} {'PSS MB':>7} {'+chrome':>8}"
	)
	b = next((r for label, r, _l in results if label.startswith("B")), None)
	for label, r, load in results:
		memory = r.get("memory") or {}
		print(
			f"{label:34} {r['workers']:7d} {load:5.2f} {r['queued_at']:9.1f} {r['delivered_at']:12.1f} "
			f"{r['delivered_at'] * 1000 / max(1, r['messages']):9.1f} {r['messages']:6d} {r['duplicates']:4d} "
			f"{r['with_pdf']:6d} {memory.get('python', 0) / mb:7.0f} {memory.get('chrome', 0) / mb:8.0f}"
		)
	for label, r, _load in results:
		print(f"  {label.strip()}, {r['workers']} worker(s): Email Queue {r['status']}")
		if r["status"].get("Expired"):
			print("  INVALID: rows expired by another process (a test's setUp) while the run went on")
		memory = r.get("memory")
		if memory:
			print_memory(f"{label.strip()}, {r['workers']} worker(s)", memory)
			print(
				f"  {r['chromium']}/{r['sampled']} sampled PDFs by Chromium, invoice number found in "
				f"{r['invoice_in_pdf']}/{r['sampled']}"
			)
	if b and not b["status"].get("Expired"):
		for label, r, _load in results:
			if label.startswith("A") and not r["status"].get("Expired"):
				print(
					f"ratio A/B end to end ({label.split(',')[-1].strip()}, {r['workers']} worker(s)): "
					f"{r['delivered_at'] / b['delivered_at']:.2f}"
				)


def print_memory(label: str, memory: dict) -> None:
	"""Each worker with its browser (PSS, pages counted once): first and last third, per 1,000 documents."""
	mb = 1024 * 1024
	for i, w in enumerate(memory.get("workers", {}).values(), 1):
		per_k = ", ".join(f"{docs:,}: {v:.0f}" for docs, v in w["per_k"]) or "-"
		print(
			f"  {label}, worker {i} with its browser, PSS MB: start {w['start']:.0f}, first third "
			f"{w['first_mean']:.0f} (peak {w['first_peak']:.0f}), last third {w['last_mean']:.0f} "
			f"(peak {w['last_peak']:.0f}), peak {w['peak']:.0f}; per documents delivered: {per_k}"
		)
	print(
		f"  {label}: peak RSS worker + job process {memory.get('python_rss', 0) / mb:.0f} MB, browser "
		f"{memory.get('chrome_rss', 0) / mb:.0f} MB (RSS counts the pages the processes share once each; "
		"PSS above counts them once)"
	)


def squeeze(text: str) -> str:
	return "".join(str(text).split())


def save_images(directory: str, name: str, pdfs: dict, wanted: list[str], texts: dict) -> str:
	"""Both engines' PDFs of one invoice, their first pages as images and side by side (pdftoppm)."""
	import subprocess

	os.makedirs(directory, exist_ok=True)
	pages = []
	for engine_name, data in pdfs.items():
		stem = os.path.join(directory, engine_name.lower())
		with open(f"{stem}.pdf", "wb") as f:
			f.write(data)
		subprocess.run(
			["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", f"{stem}.pdf", stem],
			check=True,
		)
		pages.append(f"{stem}.png")
	from PIL import Image

	images = [Image.open(p).convert("RGB") for p in pages]
	gap = 16
	side = Image.new("RGB", (sum(i.width for i in images) + gap, max(i.height for i in images)), "white")
	x = 0
	for img in images:
		side.paste(img, (x, 0))
		x += img.width + gap
	out = os.path.join(directory, "side-by-side.png")
	side.save(out)
	with open(os.path.join(directory, "text-check.txt"), "w") as f:
		f.write(f"invoice {name}: expected in both PDFs (whitespace removed)\n")
		for w in wanted:
			f.write(
				f"  {w!r}: " + ", ".join(f"{k} {'yes' if w in t else 'NO'}" for k, t in texts.items()) + "\n"
			)
	return out


def main():
	parser = cli.parser(__doc__)
	parser.add_argument("--customers", type=int, default=2000)
	parser.add_argument("--invoices", type=int, default=20000)
	parser.add_argument("--due", type=int, default=3000, help="invoices due for a stage on the measured day")
	parser.add_argument("--pdf-sample", type=int, default=50, help="attachments rendered to measure PDF cost")
	parser.add_argument("--keep", action="store_true", help="keep the data set")
	parser.add_argument(
		"--reports-only", action="store_true", help="build the book, measure the reports and cards, stop"
	)
	parser.add_argument(
		"--e2e-engines", default="Chromium,wkhtmltopdf", help="PDF engines run end to end (comma-separated)"
	)
	parser.add_argument("--e2e-workers", default="1,2", help="RQ worker counts run end to end")
	parser.add_argument(
		"--e2e-configs",
		help="instead of engines x workers, in this order: ENGINE:WORKERS pairs and Notifications, "
		"e.g. Notifications,Chromium:2,Chromium:1,wkhtmltopdf:2",
	)
	parser.add_argument(
		"--queue-workers",
		default="2",
		help="RQ worker counts for queueing as production runs it (run_dunning, chunks on the long queue)",
	)
	parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end runs")
	parser.add_argument("--e2e-timeout", type=float, default=7200, help="seconds allowed per end-to-end run")
	parser.add_argument("--images", help="save both engines' PDFs of one invoice and their page images here")
	parser.add_argument(
		"--sizes",
		help="the day at scale instead: end to end at these numbers of due relances (e.g. 3000,10000) with "
		"the defaults of a fresh install and each of --e2e-workers, beside Notifications (benchmarks/day_at_scale.py)",
	)
	parser.add_argument(
		"--notifications-at", type=int, help="with --sizes: Notifications at this size (default: the first)"
	)
	parser.add_argument("--no-notifications", action="store_true", help="with --sizes: no Notifications run")
	parser.add_argument(
		"--larger-workers",
		help="with --sizes: the RQ worker counts of the sizes after the first (default: --e2e-workers), "
		"e.g. 2 to run 10,000 with 2 workers only",
	)
	parser.add_argument(
		"--memory-every", type=int, default=1000, help="memory reported every this many documents delivered"
	)
	parser.add_argument(
		"--profile-queue",
		action="store_true",
		help="only profile the queueing of --due relances in this process (cProfile), then stop",
	)
	parser.add_argument(
		"--profile-delivery",
		action="store_true",
		help="only profile the delivery of --due relances in this process (cProfile), then stop",
	)
	args = parser.parse_args()
	if args.sizes:
		args.due = max(int(s) for s in args.sizes.split(",") if s.strip())
		args.queue_workers = ""
	if args.profile_queue or args.profile_delivery:
		args.queue_workers, args.no_e2e = "", True

	cli.importable()
	import signal

	signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: workers, servers and data cleaned up
	queue = None
	workers_for_queueing = [int(w) for w in args.queue_workers.split(",") if w.strip()]
	if not args.reports_only and (workers_for_queueing or not args.no_e2e):
		from relance_app.tests.utils import PrivateQueue

		queue = PrivateQueue()
		os.environ["FRAPPE_REDIS_QUEUE"] = queue.url  # for this process and the workers it starts
	import frappe

	frappe.init(site=args.site)
	frappe.connect()
	import logging

	import cssutils

	cssutils.log.setLevel(logging.FATAL)  # Frappe's print CSS parsing, once per PDF, is noisy
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	from frappe.utils import getdate, today

	from relance_app.run.daily import plan
	from relance_app.run.units import process_units

	as_of = getdate(today())
	cleanup()
	rows = []
	sink = None
	saved = frappe.db.get_singles_dict("Relance Settings")
	send_as_pdf = frappe.db.get_single_value("Print Settings", "send_print_as_pdf")
	try:
		if not args.reports_only:
			sink = Sink()
			bench_account(sink.port)
			frappe.db.set_single_value("Print Settings", "send_print_as_pdf", 1)
			frappe.db.commit()
		print(bytecode_note())
		t = time.perf_counter()
		_company, _policy, stages, invoice_names = build_book(args.customers, args.invoices, args.due, as_of)
		print(
			f"book: {args.customers:,} customers, {args.invoices:,} invoices built in {time.perf_counter() - t:.1f} s"
		)
		frappe.db.set_single_value("Relance Settings", {"test_mode": 0, "business_days_only": 1})
		frappe.db.commit()
		if args.profile_queue or args.profile_delivery or args.sizes:
			from benchmarks import day_at_scale

			if args.profile_queue:
				day_at_scale.profile_queue(as_of)
			elif args.profile_delivery:
				day_at_scale.profile_delivery(as_of, sink)
			else:
				day_at_scale.run(args, stages, as_of, sink)
			return
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
		# the book's invoices only are acted on (the site may hold other engineers' test invoices)
		due = sum(1 for c, d in decisions if d and d.stage and c.facts.name.startswith(f"{PREFIX}-"))
		units = [u for u in units if u["invoices"][0].startswith(f"{PREFIX}-")]
		due_names = [n for u in units for n in u["invoices"] if u["kind"] == "stage"]
		rows.append(("A1 select + decide (new worker)", sel["seconds"], sel["queries"], 0, len(decisions)))
		with counting() as warm:
			plan(as_of)
		rows.append(("A1 select + decide (warm)", warm["seconds"], warm["queries"], 0, len(decisions)))

		# A2: queueing, PDF rendering deferred to the queue (the delivery jobs are counted, not queued:
		# the end-to-end runs below send)
		from relance_app.pdf import delivery

		delivery_jobs = []
		with patch.object(delivery, "enqueue", side_effect=delivery_jobs.append), counting() as q:
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

		engines = compare_engines(attachments, args.images)
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

		# end to end, every PDF rendered and every email delivered to the sink: relance_app with each
		# engine and worker count, then Frappe Notifications
		e2e = []
		queue_runs = []
		if workers_for_queueing or not args.no_e2e:
			frappe.flags.mute_emails = False
			frappe.db.set_single_value("Relance Settings", "business_days_only", 0)
			frappe.db.commit()
		for n in workers_for_queueing:
			print(f"queueing: run_dunning over {n} worker(s), delivery held", flush=True)
			queue_runs.append(queue_with_workers(as_of, n, queued, due_names, args.e2e_timeout))
		if not args.no_e2e:
			if args.e2e_configs:
				configs = [
					(c.split(":")[0].strip(), int(c.split(":")[1]) if ":" in c else 1)
					for c in args.e2e_configs.split(",")
				]
			else:
				configs = [
					(e.strip(), int(w))
					for e in args.e2e_engines.split(",")
					if e.strip()
					for w in args.e2e_workers.split(",")
					if w.strip()
				]
				configs.append(("Notifications", 1))
			for engine_name, n in configs:
				load = os.getloadavg()[0]
				if engine_name == "Notifications":
					print(f"end to end: Frappe Notifications, load {load:.2f}", flush=True)
					result = e2e_notifications(stages, sink, queued_b, args.e2e_timeout)
					e2e.append(("B  Frappe Notifications", result, load))
					print_e2e(e2e[-1:], queued_b)
					continue
				print(f"end to end: relance_app, {engine_name}, {n} worker(s), load {load:.2f}", flush=True)
				result = e2e_relances(as_of, engine_name, n, queued, sink, args.e2e_timeout, due_names)
				e2e.append((f"A  relance_app, {engine_name}", result, load))
				print_e2e(e2e[-1:], queued)
		if queue_runs or e2e:
			reset_run(as_of)

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
		from relance_app.analytics.panels import customer_panel

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
		for r in queue_runs:
			ms = r["seconds"] * 1000 / max(1, r["emails"])
			print(
				f"A2 queue as production runs it (run_dunning, {r['enqueued']} relances in {r['jobs']} jobs, "
				f"{r['workers']} worker(s)): {r['seconds']:.2f} s, "
				f"{r['emails']} emails, {ms:.2f} ms/email; per email vs Notifications {ms / b_ms:.2f}"
			)
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
		print_engines(engines)
		if e2e:
			print()
			print_e2e(e2e, queued)
		print()
		print(f"reports on {args.invoices:,} invoices and {logs_now:,} relance logs")
		print_reports(report_rows)
	finally:
		if sink:
			sink.stop()
		if not args.keep:
			cleanup()
		frappe.db.set_single_value(
			"Relance Settings",
			{k: saved.get(k) for k in RESTORED if k in saved},
		)
		frappe.db.set_single_value("Print Settings", "send_print_as_pdf", send_as_pdf)
		frappe.db.commit()
		if queue:  # last: the clean-up's own jobs go there, not to the bench's queues
			queue.stop()
		frappe.destroy()


if __name__ == "__main__":
	main()
