"""The day at scale (run_benchmark.py --sizes 3000,10000), the queueing profile (--profile-queue) and the
delivery profile (--profile-delivery).

The day at scale: relance_app's whole day as production runs it, with Relance Settings as a fresh
install leaves them (PDF Engine Automatic: the engine found on this server), end to end (run_dunning,
its jobs, the delivery jobs with every PDF rendered, every email received by an SMTP server on loopback)
at each size with 1 and 2 RQ workers, beside Frappe Notifications at the first size in the same run, on
one book built for the largest size (a smaller size is its first N due invoices; for Notifications the
others are set paid while they run, and put back). It prints the table the README's Performance section
shows: ms per email, ratio to Notifications, PDF ms per attachment, total minutes, duplicates, memory of
each worker with its browser (PSS, pages counted once) in the first and last third, per 1,000 documents.

The queueing profile: the queueing step (Relance Log, Communication, Email Queue row, invoice fields; the
delivery jobs not queued) of `--due` relances in this one process under cProfile, the functions that
cost the most printed per email.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import time
from unittest.mock import patch

from benchmarks import run_benchmark as rb


def due_units(as_of) -> tuple[list[dict], list[str]]:
	"""The book's units of work on `as_of` and the invoices due for a stage, in the order planned."""
	from relance_app.run.daily import plan

	_decisions, units = plan(as_of)
	units = [u for u in units if u["invoices"][0].startswith(f"{rb.PREFIX}-")]
	names = [n for u in units if u["kind"] == "stage" for n in u["invoices"]]
	return units, names


def pdf_sample(units: list[dict], as_of, sample: int, images: str | None) -> dict:
	"""PDF per attachment with both engines on the attachments of `sample` queued relances."""
	import frappe

	from relance_app.pdf import delivery
	from relance_app.run.units import process_units

	stage_units = [u for u in units if u["kind"] == "stage"][:sample]
	with patch.object(delivery, "enqueue"):
		process_units(stage_units, str(as_of))
	rows = frappe.get_all(
		"Email Queue", filters={"reference_name": ("like", f"{rb.PREFIX}-%")}, fields=["attachments"]
	)
	attachments = [
		att
		for row in rows
		for att in frappe.parse_json(row.attachments or "[]")
		if att.get("print_format_attachment")
	][:sample]
	result = rb.compare_engines(attachments, images)
	rb.reset_run(as_of)
	return result


def notifications_at(size: int, due: list[str], stages, sink, timeout: float) -> dict:
	"""Frappe Notifications on the first `size` due invoices: the others read as paid meanwhile."""
	import frappe

	others = due[size:]
	kept = {}
	for i in range(0, len(others), 1000):
		kept.update(
			frappe.get_all(
				"Sales Invoice",
				filters={"name": ("in", others[i : i + 1000])},
				fields=["name", "outstanding_amount"],
				as_list=True,
			)
		)
	si = frappe.qb.DocType("Sales Invoice")
	for i in range(0, len(others), 1000):
		frappe.qb.update(si).set(si.outstanding_amount, 0).where(si.name.isin(others[i : i + 1000])).run()
	frappe.db.commit()
	try:
		return rb.e2e_notifications(stages, sink, size, timeout)
	finally:
		for name, amount in kept.items():
			frappe.db.set_value("Sales Invoice", name, "outstanding_amount", amount, update_modified=False)
		frappe.db.commit()


def run(args, stages, as_of, sink) -> None:
	import frappe

	sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
	workers = [int(w) for w in args.e2e_workers.split(",") if w.strip()]
	larger = [int(w) for w in (args.larger_workers or args.e2e_workers).split(",") if w.strip()]
	units, due = due_units(as_of)
	print(
		f"day at scale: {len(due):,} invoices due for a stage; sizes {sizes}, workers {workers} "
		f"(beyond the first size {larger})",
		flush=True,
	)
	frappe.db.set_single_value("Relance Settings", "business_days_only", 0)
	frappe.db.commit()
	engine_name = rb.fresh_install_settings()
	frappe.db.commit()
	pdf = pdf_sample(units, as_of, args.pdf_sample, args.images) if args.pdf_sample else {}
	if pdf:  # printed now too: a run stopped before the table still has it
		engines = ", ".join(f"{k} {pdf[k]:.0f} ms" for k in ("Chromium", "wkhtmltopdf", "html") if k in pdf)
		print(
			f"PDF per attachment (HTML + PDF) on {pdf.get('sampled', 0)} sampled attachments: {engines}",
			flush=True,
		)
	frappe.flags.mute_emails = False
	results = []  # (size, label, workers, result)
	reference = args.notifications_at or sizes[0]
	if not args.no_notifications:
		load = os.getloadavg()[0]
		print(f"end to end: Frappe Notifications at {reference:,}, load {load:.2f}", flush=True)
		b = notifications_at(reference, due, stages, sink, args.e2e_timeout)
		results.append((reference, "Frappe Notifications", 1, b, load))
		rb.print_e2e([("B  Frappe Notifications", b, load)], reference)
	for size in sizes:
		for n in workers if size == sizes[0] else larger:
			load = os.getloadavg()[0]
			print(
				f"end to end: relance_app at {size:,}, defaults, {n} worker(s), load {load:.2f}", flush=True
			)
			r = rb.e2e_relances(
				as_of, rb.DEFAULTS, n, size, sink, args.e2e_timeout, due[:size], args.memory_every
			)
			engine_name = r["engine"]
			results.append((size, f"relance_app, defaults ({engine_name})", n, r, load))
			rb.print_e2e([(f"A  relance_app, {engine_name}", r, load)], size)
	rb.reset_run(as_of)
	print()
	print_table(results, pdf, engine_name, args)


def print_table(results, pdf: dict, engine_name: str, args) -> None:
	b = next((r for _s, label, _n, r, _l in results if label.startswith("Frappe")), None)
	b_ms = b["delivered_at"] * 1000 / max(1, b["messages"]) if b else 0
	print(
		f"machine: {os.cpu_count()} cores, load at each start shown; {rb.bytecode_note()}; "
		f"PDF per attachment measured on {pdf.get('sampled', 0)} sampled attachments in one process"
	)
	print(
		"| size | path | workers | ms per email | ratio to Notifications | PDF ms per attachment | total min "
		"| sent | duplicates | with PDF | failed jobs | PSS MB per worker, first third | last third | load |"
	)
	print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for size, label, n, r, load in results:
		ms = r["delivered_at"] * 1000 / max(1, r["messages"])
		ratio = f"{ms / b_ms:.2f}" if b_ms else "-"
		is_b = label.startswith("Frappe")
		engine = "wkhtmltopdf" if is_b else r.get("engine", engine_name)
		pdf_ms = f"{pdf[engine]:.0f}" if engine in pdf else "-"
		workers = (r.get("memory") or {}).get("workers", {}).values()
		first = max((w["first_mean"] for w in workers), default=0)
		last = max((w["last_mean"] for w in workers), default=0)
		memory = (f"{first:.0f}", f"{last:.0f}") if workers else ("-", "-")
		print(
			f"| {size:,} | {label} | {n} | {ms:.0f} | {ratio} | {pdf_ms} | {r['delivered_at'] / 60:.1f} "
			f"| {r['messages']:,} | {r['duplicates']} | {r['with_pdf']:,} | {r.get('failed_jobs', '-')} "
			f"| {memory[0]} | {memory[1]} | {load:.2f} |"
		)
	for size, label, n, r, _load in results:
		if r.get("memory"):
			rb.print_memory(f"{size:,}, {label}, {n} worker(s)", r["memory"])
		if r.get("workers_died"):
			print(
				f"  {size:,}, {label}, {n} worker(s): {r['workers_died']} worker(s) ended before the run did"
			)
		if r["status"].get("Expired"):
			print(f"  {size:,}, {label}: INVALID, rows expired by another process while the run went on")


def profile_queue(as_of, top: int = 35) -> None:
	"""The queueing step of the book's due relances in this process under cProfile, per email."""
	import frappe

	from relance_app.pdf import delivery
	from relance_app.run.units import process_units

	units, _due = due_units(as_of)
	units = [u for u in units if u["kind"] == "stage"]
	rb.reset_run(as_of)
	with patch.object(delivery, "enqueue"):  # warm: templates, metadata, stylesheet (as a worker's 2nd job)
		process_units(units[:5], str(as_of))
	rb.reset_run(as_of)
	profiler = cProfile.Profile()
	with patch.object(delivery, "enqueue"), rb.counting() as counter:
		start = time.perf_counter()
		profiler.enable()
		process_units(units, str(as_of))
		profiler.disable()
		wall = time.perf_counter() - start
	emails = rb.email_count()
	print(
		f"queueing in one process: {emails} emails in {wall:.2f} s, {wall * 1000 / max(1, emails):.1f} ms "
		f"and {counter['queries'] / max(1, emails):.1f} queries per email (cProfile on: slower than without)"
	)
	for key in ("tottime", "cumulative"):
		out = io.StringIO()
		stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key)
		stats.print_stats(top)
		print(f"--- by {key}, per run of {emails} emails ---")
		print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])
	if os.environ.get("RELANCE_PROFILE_OUT"):
		profiler.dump_stats(os.environ["RELANCE_PROFILE_OUT"])
	rb.reset_run(as_of)
	queries_by_origin(units, as_of)
	rb.reset_run(as_of)
	frappe.db.commit()


def profile_delivery(as_of, sink, top: int = 30) -> None:
	"""The delivery of the book's due relances in this process under cProfile, as a delivery job sends
	them (claim, PDF through the engine in use, MIME message, SMTP to the sink, status), per email: the
	PDF's share (HTML and rendering) and the rest, then the functions that cost the most."""
	import frappe

	from relance_app.pdf import delivery, engine
	from relance_app.run.units import process_units

	units, _due = due_units(as_of)
	units = [u for u in units if u["kind"] == "stage"]
	rb.reset_run(as_of)
	queued: list[str] = []
	with patch.object(delivery, "enqueue", side_effect=queued.extend):
		process_units(units, str(as_of))
	frappe.flags.mute_emails = False  # the benchmark mutes Frappe's own sending; this is the sending
	try:
		delivery.deliver(queued[:5], more=False)  # warm: browser, templates, SMTP session
		names = queued[5:]
		sink.clear()
		profiler = cProfile.Profile()
		pdf_before = engine.stats["seconds"]
		with rb.counting() as counter:
			start = time.perf_counter()
			profiler.enable()
			counts = delivery.deliver(names, more=False)
			profiler.disable()
			wall = time.perf_counter() - start
	finally:
		frappe.flags.mute_emails = True
		engine.close_browser()
	sent = max(1, counts.get("sent", 0))
	pdf_ms = (engine.stats["seconds"] - pdf_before) * 1000 / sent
	print(
		f"delivery in one process (cProfile on: slower than without): {counts}, {len(sink.messages)} received; "
		f"{wall * 1000 / sent:.1f} ms and {counter['queries'] / sent:.1f} queries per email, of which "
		f"rendering the PDF (engine {engine.selected_engine()}, without the print HTML) {pdf_ms:.1f} ms"
	)
	for key in ("cumulative", "tottime"):
		out = io.StringIO()
		pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(top)
		print(f"--- by {key}, per run of {sent} emails ---")
		print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])
	if os.environ.get("RELANCE_PROFILE_OUT"):
		profiler.dump_stats(os.environ["RELANCE_PROFILE_OUT"])
	rb.reset_run(as_of)
	frappe.db.commit()


def queries_by_origin(units: list[dict], as_of) -> None:
	"""The same queueing without the profiler (its own time per email), each SQL statement counted
	under the function that issued it: relance_app's own, or the Frappe / ERPNext function nearest to
	relance_app's call."""
	import traceback
	from collections import Counter

	import frappe

	from relance_app.pdf import delivery
	from relance_app.run.units import process_units

	origins: Counter = Counter()
	original = frappe.db.sql

	def sql(*args, **kwargs):
		stack = traceback.extract_stack(limit=40)[:-1]
		ours = [i for i, f in enumerate(stack) if "/relance_app/" in f.filename]
		if ours:
			mine = stack[ours[-1]]
			below = stack[ours[-1] + 1] if ours[-1] + 1 < len(stack) else None
			where = f"{os.path.basename(mine.filename)}:{mine.name}"
			if below and "/relance_app/" not in below.filename:
				callee = next(
					(f for f in stack[ours[-1] + 1 :] if "/frappe/database/" not in f.filename), below
				)
				where += f" -> {os.path.basename(callee.filename)}:{callee.name}"
			origins[where] += 1
		return original(*args, **kwargs)

	with patch.object(delivery, "enqueue"):
		start = time.perf_counter()
		process_units(units, str(as_of))
		wall = time.perf_counter() - start
	emails = rb.email_count()
	print(f"queueing without the profiler: {wall * 1000 / max(1, emails):.1f} ms per email")
	rb.reset_run(as_of)
	frappe.db.sql = sql
	try:
		with patch.object(delivery, "enqueue"):
			process_units(units, str(as_of))
	finally:
		frappe.db.sql = original
	print(f"SQL statements per email by origin ({sum(origins.values()) / max(1, emails):.1f} in all):")
	for where, count in origins.most_common(30):
		print(f"  {count / max(1, emails):6.2f}  {where}")
