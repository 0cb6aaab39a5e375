"""The day's run by the clock, on a bench whose scheduler and workers run (scripts/services.sh): nothing
here calls the app's functions. A due invoice (its own customer, contact and policy; the outgoing Email
Account one of its own, pointed at an SMTP server on loopback in this process), the run made due as
the hour's tick would find it (Relance Settings' run hour, the hourly job's last execution), then only
waiting and looking:

- the scheduler starts the run, the workers queue the relance and deliver it: the email reaches the SMTP
  server. The run is the site's: what else is due today goes out in it too, before the test's email
  (delivered in the order they were queued), and each takes its PDF and its SMTP delivery. So the wait is
  bounded by progress, not by a speed: the test fails when EMAIL_BOUND seconds pass without any email
  reaching the server while the test's has not (the scheduler, the run or the delivery stopped), or
  after EMAIL_BOUND + MAX_PER_EMAIL seconds for each other relance email of the run at worst. How fast a
  run delivers is measured by the benchmarks (benchmarks/run_benchmark.py), not here;
- its Relance Log turns Sent within SENT_BOUND seconds of the delivery (not at the next hourly sync);
- the debtor answers from the email's link (a payment promise, posted to the web server as a guest):
  the confirmation email reaches the SMTP server the same way, within CONFIRMATION_BOUND seconds.

Run from the bench's sites folder with the bench's Python (.ci/run does it):

	cd BENCH/sites && ../env/bin/python CHECKOUT/.ci/clock_test.py --site SITE

It starts on a bench at rest: the jobs already waiting in the bench's queues (the scheduler catching up
on a day's jobs of every site after the bench was stopped) are left to the workers first, within
IDLE_BOUND seconds, and named. When the email does not come, it says where the relance stands (the run's
job, the Relance Log, the Email Queue row, what the workers are doing).

The settings it changes (Relance Settings, the default outgoing account) are restored; its rows stay (the
invoice excluded from later runs). The run is the site's: what else is due today goes out in it too.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import Counter
from pathlib import Path

import frappe
from frappe.utils import add_days, getdate, today

EMAIL_BOUND = 300  # the scheduler ticks every minute; a run, a PDF and a delivery take seconds
SENT_BOUND = 60
CONFIRMATION_BOUND = 120
MAX_PER_EMAIL = 30  # the outer bound, per other relance email of the run: a stall is caught long before
IDLE_BOUND = 900  # for the bench's queues to empty before the run is made due
SETTINGS = ("enabled", "run_hour", "test_mode", "business_days_only", "portal_enabled")


class Capture:
	"""aiosmtpd on 127.0.0.1: each message with the time it arrived."""

	def __init__(self):
		from aiosmtpd.controller import Controller

		self.messages: list[tuple[float, list[str], email.message.EmailMessage]] = []
		self.lock = threading.Lock()
		outer = self

		class Handler:
			async def handle_DATA(self, server, session, envelope):
				message = email.message_from_bytes(envelope.content, policy=email.policy.default)
				with outer.lock:
					outer.messages.append((time.time(), list(envelope.rcpt_tos), message))
				return "250 OK"

		with socket.socket() as s:  # a free port (aiosmtpd checks the one it is given)
			s.bind(("127.0.0.1", 0))
			self.port = s.getsockname()[1]
		self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

	def start(self):
		self.controller.start()
		return self

	def stop(self):
		self.controller.stop()

	def to(self, address: str, after: float = 0.0):
		with self.lock:
			return [(t, m) for t, rcpt, m in self.messages if address in rcpt and t >= after]


class Report:
	def __init__(self):
		self.passed = self.failed = 0

	def ok(self, text: str):
		self.passed += 1
		print(f"ok - {text}", flush=True)

	def fail(self, text: str):
		self.failed += 1
		print(f"not ok - {text}", flush=True)

	def note(self, text: str):
		print(f"clock: {text}", flush=True)


def fresh():
	frappe.db.rollback()  # a new snapshot: what the scheduler, the workers and the web server committed


def wait(check, timeout: float, interval: float = 0.5):
	"""check() until it returns something truthy, or None after `timeout` seconds."""
	end = time.time() + timeout
	while time.time() < end:
		fresh()
		found = check()
		if found:
			return found
		time.sleep(interval)
	return None


def job_label(job) -> str:
	"""site: the scheduled job type or the method of a Frappe background job."""
	kwargs = job.kwargs or {}
	inner = kwargs.get("kwargs") or {}
	return f"{kwargs.get('site', '?')}: {inner.get('job_type') or kwargs.get('job_name') or job.func_name}"


def bench_jobs() -> tuple[Counter, list[str]]:
	"""The jobs waiting in the bench's queues (by label) and those its workers are running."""
	from frappe.utils.background_jobs import get_queues, get_workers

	waiting = Counter(job_label(job) for queue in get_queues() for job in queue.get_jobs())
	running = [job_label(job) for worker in get_workers() if (job := worker.get_current_job())]
	return waiting, running


def summary(jobs: Counter, top: int = 8) -> str:
	shown = ", ".join(f"{label} x{n}" if n > 1 else label for label, n in jobs.most_common(top))
	more = sum(jobs.values()) - sum(n for _label, n in jobs.most_common(top))
	return shown + (f" and {more} more" if more > 0 else "")


def wait_for_rest(report: Report) -> bool:
	"""The bench's queues empty before the run is made due (True), the jobs found named."""
	t0 = time.time()
	first, _running = bench_jobs()
	while time.time() - t0 < IDLE_BOUND:
		waiting, running = bench_jobs()
		if not waiting and not running:
			if first:
				report.note(
					f"the bench's queues held {sum(first.values())} jobs ({summary(first)}): the workers "
					f"ran them in {time.time() - t0:.0f}s before the run was made due"
				)
			return True
		time.sleep(1)
	waiting, running = bench_jobs()
	report.fail(
		f"the bench's queues did not empty within {IDLE_BOUND}s: {sum(waiting.values())} jobs waiting "
		f"({summary(waiting)}); the workers running {', '.join(running) or 'nothing'}"
	)
	return False


def other_emails(rows: dict, since) -> int:
	"""Relance emails the site's run queued for other invoices since the run was made due."""
	return frappe.db.count(
		"Relance Log",
		{"creation": (">=", since), "email_queue": ("is", "set"), "sales_invoice": ("!=", rows["invoice"])},
	)


def where_it_stands(rows: dict, due: dict) -> str:
	"""Why the email has not come: the run's job, the invoice's Relance Log and Email Queue row, the
	bench's queues and workers."""
	run = frappe.get_all(
		"Scheduled Job Log",
		filters={"scheduled_job_type": due["job"], "creation": (">=", due["at"])},
		fields=["status", "creation", "modified"],
		order_by="creation asc",
		limit=1,
	)
	marked = frappe.db.get_single_value("Relance Settings", "last_run_on", cache=False)
	log = frappe.db.get_value(
		"Relance Log",
		{"sales_invoice": rows["invoice"]},
		["name", "status", "email_queue", "error"],
		as_dict=True,
	)
	queue = (
		frappe.db.get_value("Email Queue", log.email_queue, ["status", "error", "send_after"], as_dict=True)
		if log and log.email_queue
		else None
	)
	waiting, running = bench_jobs()
	return (
		f"run job: {run[0] if run else 'no Scheduled Job Log'}; the run marked the day (last_run_on): "
		f"{marked or 'no, it returned before (disabled or before the run hour)'}; Relance Log: {log or 'none'}; "
		f"Email Queue: {queue or 'none'}; {other_emails(rows, due['at'])} other relance emails queued by the "
		f"run; queues: {sum(waiting.values())} waiting ({summary(waiting)}); workers running: "
		f"{', '.join(running) or 'nothing'}"
	)


def html_of(message) -> str:
	part = message.get_body(preferencelist=("html", "plain"))
	return part.get_content() if part else ""


def make_rows(capture: Capture, tag: str) -> dict:
	"""A customer with its contact, its own policy (Relance 1 by email, no approval), the site's default
	outgoing Email Account one of the test's own, pointed at the loopback server, and an invoice due six
	days ago: Relance 1 is due today. (Not a sender of the policy's own: in a job that has already sent
	through the default account, Frappe's per-process cache of outgoing accounts (cache_email_account)
	answers the default one for any sender.)"""
	from relance_app.tests.utils import loopback_email_account, make_customer, make_invoice, policy_copy

	address = f"clock-{tag}@client-horloge.example"
	defaults = frappe.get_all("Email Account", filters={"default_outgoing": 1}, pluck="name")
	for name in defaults:  # unset first: Frappe would save them, checking their (maybe dead) SMTP server
		frappe.db.set_value("Email Account", name, "default_outgoing", 0)
	account = loopback_email_account(
		"Relance Clock Test", "relances@relance-clock.example", capture.port, default_outgoing=1
	)
	customer = make_customer(f"Client Horloge {tag}", address)
	policy = policy_copy(
		customer, {1: {"requires_approval": 0, "channel": "Email"}}, sender=None, group_by_customer=0
	)
	si = make_invoice(customer, add_days(getdate(today()), -6), amount=777.0)
	frappe.db.commit()
	return {
		"address": address,
		"customer": customer,
		"invoice": si.name,
		"stage": policy.stages[1].stage_name,
		"account": account.name,
		"defaults": [d for d in defaults if d != account.name],
	}


def main() -> int:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", required=True)
	args = parser.parse_args()
	warnings.simplefilter("ignore")  # as frappe's CLI (bench execute) does outside a dev server
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
	from demo_clock import make_run_due, restore_run_hour, scheduler_state

	report = Report()
	problem = scheduler_state()
	if problem:
		report.fail(f"the scheduler will not run: {problem}")
		return 1
	capture = Capture().start()
	saved = frappe.db.get_values_from_single(SETTINGS, None, "Relance Settings", as_dict=True)[0]
	rows = None
	started = time.time()
	try:
		tag = frappe.generate_hash(length=6)
		rows = make_rows(capture, tag)
		frappe.db.set_single_value(
			"Relance Settings", {"test_mode": 0, "business_days_only": 0, "portal_enabled": 1}
		)
		report.note(
			f"invoice {rows['invoice']} of {rows['customer']}, due six days ago ({rows['stage']} due today), "
			f"the default outgoing Email Account sending to the SMTP server on 127.0.0.1:{capture.port}"
		)
		if not wait_for_rest(report):
			return 1
		due = make_run_due()
		t0 = time.time()
		report.note(
			f"the run made due at {due['at']:%H:%M:%S} ({due['job']} last executed an hour ago, run hour "
			f"{due['run_hour']}{' lowered to this hour' if due['lowered'] else ''}); waiting for the scheduler"
		)

		def job_log():
			return frappe.db.get_value(
				"Scheduled Job Log",
				{"scheduled_job_type": due["job"], "creation": (">=", due["at"])},
				["creation", "status"],
				as_dict=True,
				order_by="creation asc",
			)

		log = wait(job_log, EMAIL_BOUND)
		if log:
			# the hour back once the run has read it (it has ended), not when its log appears
			wait(lambda: restore_run_hour(due), EMAIL_BOUND)
			seconds = (log.creation - due["at"]).total_seconds()
			report.ok(f"the scheduler started the run {seconds:.0f}s after it was made due ({due['job']})")
		else:
			report.fail(f"the scheduler did not start the run within {EMAIL_BOUND}s")

		mail, others, delivered, last_progress = None, 0, len(capture.messages), time.time()
		while not mail:  # as long as the run's emails keep reaching the server (see the docstring)
			fresh()
			mail, others = capture.to(rows["address"]), other_emails(rows, due["at"])
			if len(capture.messages) > delivered:
				delivered, last_progress = len(capture.messages), time.time()
			stalled = time.time() - last_progress > EMAIL_BOUND
			if not mail and (stalled or time.time() - t0 > EMAIL_BOUND + MAX_PER_EMAIL * others):
				break
			time.sleep(0.5)
		before = len([m for m in capture.messages if not mail or m[0] < mail[0][0]])
		if not mail:
			why = (
				f"{EMAIL_BOUND}s without any email reaching the server"
				if stalled
				else f"the outer bound, {EMAIL_BOUND}s + {MAX_PER_EMAIL}s for each of the run's {others} other "
				"relance emails"
			)
			report.fail(
				f"no relance email reached the SMTP server ({why}; {before} other emails had, "
				f"{time.time() - t0:.0f}s after the run was made due): " + where_it_stands(rows, due)
			)
			return 1
		t_mail, message = mail[0]
		report.ok(
			f"the relance email reached the SMTP server {t_mail - t0:.0f}s after the run was made due, after "
			f"{before} other emails of the run's {others} other relance emails (never {EMAIL_BOUND}s without a "
			f"delivery): {str(message['Subject']).strip()}"
		)

		def sent_log():
			return frappe.db.get_value(
				"Relance Log",
				{"sales_invoice": rows["invoice"], "stage_name": rows["stage"], "status": "Sent"},
				"name",
			)

		name = wait(sent_log, SENT_BOUND + 5)
		lag = time.time() - t_mail
		if name and lag <= SENT_BOUND:
			report.ok(
				f"its Relance Log {name} said Sent {lag:.1f}s after the delivery (bound {SENT_BOUND}s; the hourly "
				"sync would take up to an hour)"
			)
		else:
			status = frappe.db.get_value(
				"Relance Log", {"sales_invoice": rows["invoice"], "stage_name": rows["stage"]}, "status"
			)
			report.fail(f"its Relance Log still says {status} {lag:.0f}s after the delivery")

		# the debtor answers from the email's link: a payment promise, as a guest of the web server
		found = re.search(
			r'href="(https?://[^"]+)/relance/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)"', html_of(message)
		)
		if not found:
			report.fail("no debtor page link in the relance email")
			return 1
		base, token = found.groups()
		promised = str(add_days(getdate(today()), 7))
		data = urllib.parse.urlencode(
			{"token": token, "sales_invoice": rows["invoice"], "promised_date": promised}
		).encode()
		t_answer = time.time()
		try:
			with urllib.request.urlopen(
				f"{base}/api/method/relance_app.portal.promise", data, timeout=60
			) as r:
				answer = r.read().decode()
		except urllib.error.HTTPError as e:
			answer = f"HTTP {e.code} {e.read().decode()[:300]}"
		try:
			recorded = json.loads(answer)["message"]["ok"] == 1
		except (ValueError, KeyError, TypeError):
			recorded = False
		if recorded:
			report.ok(
				f"the debtor's promise to pay on {promised} was recorded ({base}/relance/…, as a guest)"
			)
		else:
			report.fail(f"the debtor's promise was refused: {answer[:300]}")
			return 1
		confirmation = wait(lambda: capture.to(rows["address"], after=t_answer), CONFIRMATION_BOUND)
		if confirmation:
			t_conf, conf = confirmation[0]
			report.ok(
				f"its confirmation email reached the SMTP server {t_conf - t_answer:.0f}s after the answer "
				f"(bound {CONFIRMATION_BOUND}s): {str(conf['Subject']).strip()}"
			)
		else:
			report.fail(f"no confirmation email within {CONFIRMATION_BOUND}s of the answer")
	finally:
		fresh()
		frappe.db.set_single_value("Relance Settings", {k: saved.get(k) for k in SETTINGS})
		if rows:  # the default outgoing account(s) as they were; its invoice out of later runs
			frappe.db.set_value("Email Account", rows["account"], "default_outgoing", 0)
			for name in rows["defaults"]:
				frappe.db.set_value("Email Account", name, "default_outgoing", 1)
			frappe.db.set_value("Sales Invoice", rows["invoice"], "relance_exclude", 1)
		frappe.db.commit()
		capture.stop()
		print(
			f"clock test: {report.passed} passed, {report.failed} failed (in {time.time() - started:.0f}s)",
			flush=True,
		)
		frappe.destroy()
	return 1 if report.failed else 0


if __name__ == "__main__":
	sys.exit(main())
