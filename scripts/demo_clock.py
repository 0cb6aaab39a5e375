"""The demo by the clock (scripts/demo.sh runs it with the bench's Python, from its sites folder):

	cd BENCH/sites && ../env/bin/python CHECKOUT/scripts/demo_clock.py --site SITE [--force] [--date D]

relance_app.demo's book (twelve customers, one invoice each, placed so that today is the day of each
stage) and its earlier days' relances, sent by running the dunning on each of the previous days and
delivered by the bench's workers; then today's run goes by the clock, as every day: it is made due
(Relance Settings' run hour, the hourly job's last execution), the bench's scheduler starts it at its
next tick, the workers queue the relances (the mise en demeure approved as the accountant would) and
deliver them to an SMTP server on loopback in this process, the Relance Logs follow the delivery. A
progress line while it waits, the times it waited, then relance_app.demo's report of what went out.
With --date (another day than today) that day's run is called directly: the scheduler runs today's.

Also the clock helpers of .ci/clock_test.py (make_run_due, restore_run_hour, scheduler_state).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from datetime import timedelta
from types import SimpleNamespace

import frappe
from frappe.utils import add_days, cint, get_datetime, getdate, now_datetime, today

WAIT_SECONDS = 600  # for the scheduler's tick (a minute), the workers and the delivery
THANK_YOU_STAGE = "__thank_you__"


# --- the day's run made due -----------------------------------------------------------------------


def scheduled_run_job() -> str:
	"""The Scheduled Job Type of relance_app's hourly entry (`scheduled_run` in its hooks.py)."""
	hourly = frappe.get_hooks("scheduler_events").get("hourly", [])
	methods = [m for m in hourly if m.startswith("relance_app.") and m.endswith(".scheduled_run")]
	name = methods and frappe.db.get_value("Scheduled Job Type", {"method": methods[-1]})
	if not name:
		frappe.throw("No Scheduled Job Type for relance_app's scheduled_run: run `bench migrate`.")
	return name


def make_run_due() -> dict:
	"""Today's run due at the scheduler's next tick: Relance Settings on, the run hour not after this
	hour, no run yet today; the hourly job last executed an hour ago, so that Frappe's
	ScheduledJobType.is_event_due() finds it due (its cron's next time after the last execution has
	passed). Returns what `restore_run_hour` needs."""
	now = now_datetime()
	settings = frappe.get_single("Relance Settings")
	values = {"enabled": 1, "last_run_on": None}
	if cint(settings.run_hour) > now.hour:
		values["run_hour"] = now.hour
	frappe.db.set_single_value("Relance Settings", values)
	job = scheduled_run_job()
	frappe.db.set_value(
		"Scheduled Job Type",
		job,
		{"last_execution": now - timedelta(hours=1), "stopped": 0},
		update_modified=False,
	)
	frappe.db.commit()
	return {"job": job, "at": now, "run_hour": cint(settings.run_hour), "lowered": "run_hour" in values}


def restore_run_hour(due: dict, force: bool = False) -> bool:
	"""The run hour as it was, once the run has ended (True), or now with `force`. Not when the run
	starts: Frappe writes and commits its Scheduled Job Log before the worker imports the method and the
	run reads the hour (a second or more in a worker just started), so a run hour put back at that moment
	makes the run find it is not yet time, and it sends nothing."""
	if not due.get("lowered"):
		return True
	if not force and not job_ended(due["job"], due["at"]):
		return False
	due.pop("lowered")
	frappe.db.set_single_value("Relance Settings", "run_hour", due["run_hour"])
	frappe.db.commit()
	return True


def job_ended(job: str, since):
	"""When the scheduled job's run started after `since` ended (Complete or Failed), or None."""
	return run_log(job, since, "modified", ("Complete", "Failed"))


def job_started(job: str, since):
	"""When the scheduled job started after `since` (its Scheduled Job Log), or None."""
	return run_log(job, since, "creation")


def run_log(job: str, since, field: str, statuses: tuple[str, ...] | None = None):
	"""`field` of the scheduled job's first Scheduled Job Log since `since` (in one of `statuses`)."""
	filters = {"scheduled_job_type": job, "creation": (">=", since)}
	if statuses:
		filters["status"] = ("in", statuses)
	return frappe.db.get_value("Scheduled Job Log", filters, field, order_by="creation asc")


def scheduler_state() -> str | None:
	"""Why the bench's scheduler would not start this site's jobs, or None."""
	from frappe.utils.scheduler import is_scheduler_inactive

	if is_scheduler_inactive(verbose=False):
		return "the site's scheduler is disabled or paused (bench --site SITE enable-scheduler)"
	return None


class Waiter:
	"""A progress line while waiting (rewritten in place on a terminal), the seconds each step took."""

	def __init__(self, t0, timeout: int = WAIT_SECONDS):
		self.t0, self.timeout, self.times = t0, timeout, {}
		self.tty, self.last = sys.stdout.isatty(), ""

	def elapsed(self) -> int:
		return int((now_datetime() - self.t0).total_seconds())

	def mark(self, step: str, at=None) -> None:
		if step not in self.times:
			self.times[step] = int((get_datetime(at) - self.t0).total_seconds()) if at else self.elapsed()

	def show(self, text: str) -> None:
		line = f"  waiting {self.elapsed():3d}s: {text}"
		if self.tty:
			print("\r" + line.ljust(len(self.last)), end="", flush=True)
			self.last = line
		elif text != self.last:
			print(line, flush=True)
			self.last = text

	def done(self) -> None:
		if self.tty:
			print()

	def sleep(self, what: str) -> None:
		if self.elapsed() > self.timeout:
			self.done()
			frappe.throw(
				f"Waited {self.timeout}s for {what}. Are the bench's services up (scripts/services.sh "
				"status)? Their logs are in the bench's logs/ folder."
			)
		time.sleep(1)
		frappe.db.rollback()  # a fresh snapshot of what the scheduler and the workers committed


# --- the demo -------------------------------------------------------------------------------------


def book_logs(names, since) -> list:
	return frappe.get_all(
		"Relance Log",
		filters={"sales_invoice": ("in", names), "creation": (">", since)},
		fields=["name", "sales_invoice", "stage_name", "status", "email_queue"],
	)


def wait_delivered(names, since) -> tuple[int, int]:
	"""Wait until the workers delivered the emails queued for these invoices since `since`."""
	waiter = Waiter(since)
	while True:
		statuses = frappe.get_all(
			"Email Queue",
			filters={
				"reference_doctype": "Sales Invoice",
				"reference_name": ("in", names),
				"creation": (">", since),
			},
			pluck="status",
		)
		done = [s for s in statuses if s in ("Sent", "Error")]
		waiter.show(f"the workers delivered {len(done)}/{len(statuses)} emails")
		if len(done) == len(statuses):
			waiter.done()
			return statuses.count("Sent"), waiter.elapsed()
		waiter.sleep("the workers to deliver the emails")


def by_the_clock(names, plan) -> dict:
	"""Make today's run due and wait: the scheduler starts it, the workers queue and deliver the relances
	(the formal notice approved as the accountant would), the logs follow the delivery."""
	from relance_app.demo import _approve_waiting

	problem = scheduler_state()
	if problem:
		frappe.throw(f"The scheduler will not start the run: {problem}.")
	actions = plan.get("actions", [])
	expected = {(a["sales_invoice"], a["stage"]) for a in actions if a["stage"]}
	expected |= {(a["sales_invoice"], THANK_YOU_STAGE) for a in actions if a["thank_you"]}
	due = make_run_due()
	hour = f"run hour {due['run_hour']}" + (f", {due['at'].hour} for the demo" if due["lowered"] else "")
	print()
	print(
		f"Today's run made due at {due['at']:%H:%M:%S} ({hour}; {due['job']} last executed an hour ago):"
		" the scheduler starts it at its next tick"
	)
	waiter = Waiter(due["at"])
	approved: list[str] = []
	try:
		while True:
			started = job_started(due["job"], due["at"])
			if started:
				restore_run_hour(due)
				waiter.mark("scheduler", started)
			logs = book_logs(names, due["at"])
			have = {(x.sales_invoice, x.stage_name) for x in logs}
			if started and expected <= have:
				waiter.mark("decided")
				if any(x.status == "Awaiting Approval" for x in logs):
					approved += _approve_waiting(names)
					frappe.db.commit()
					waiter.mark("approved")
					continue
			mails = [x for x in logs if x.email_queue]
			delivered = frappe.get_all(
				"Email Queue",
				filters={
					"name": ("in", [x.email_queue for x in mails] or [""]),
					"status": ("in", ["Sent", "Error"]),
				},
				pluck="name",
			)
			sent = [x for x in mails if x.status in ("Sent", "Failed")]
			at = waiter.times.get("scheduler")
			waiter.show(
				" · ".join(
					[
						f"scheduler started the run at +{at}s" if started else "scheduler: not yet",
						f"relances {len(expected & have)}/{len(expected)}",
						f"delivered {len(delivered)}/{len(mails)}",
						f"logs Sent {len(sent)}/{len(mails)}",
					]
				)
			)
			if "decided" in waiter.times and mails:
				if len(delivered) == len(mails):
					waiter.mark("delivered")
				if len(sent) == len(mails):
					waiter.mark("logs")
					waiter.done()
					break
			waiter.sleep("today's run by the clock")
	finally:
		restore_run_hour(due, force=True)
	return {"approved": approved, "times": waiter.times, "job": due["job"]}


def directly(day, names) -> dict:
	"""Another day than today: that day's run called directly; the workers deliver."""
	from relance_app.demo import _approve_waiting
	from relance_app.run.daily import run_dunning

	start = now_datetime()
	run_dunning(as_of=day, invoice_names=names, enqueue=False)
	frappe.db.commit()
	approved = _approve_waiting(names)
	frappe.db.commit()
	wait_delivered(names, start)
	return {"approved": approved}


def print_times(waited: dict) -> None:
	times = waited.get("times")
	if not times:
		return
	print()
	print(f"By the clock, seconds after the run was made due ({waited['job']}):")
	print(f"  +{times['scheduler']:>3}s  the scheduler started the run (its next tick; the job on a worker)")
	print(f"  +{times['decided']:>3}s  the workers had queued the book's relances")
	if "approved" in times:
		print(f"  +{times['approved']:>3}s  the accountant approved the mise en demeure")
	print(f"  +{times['delivered']:>3}s  the delivery jobs had delivered them to the SMTP server")
	print(f"  +{times['logs']:>3}s  every Relance Log said Sent (it follows the delivery)")


def demo(force: bool = False, as_of: str | None = None) -> None:
	from relance_app import demo as book
	from relance_app.run.daily import run_dunning

	with book.demo_day(force, as_of) as (day, capture, account, tag, invoices):
		names = list(invoices.values())
		# the earlier relances, one day at a time, as the daily scheduler would have sent them
		earlier = 0
		start = now_datetime()
		for back in range(book.HISTORY_DAYS, 0, -1):
			earlier += run_dunning(as_of=add_days(day, -back), invoice_names=names, enqueue=False)["units"]
			frappe.db.commit()
		sent_before, took = wait_delivered(names, start)
		print(f"Earlier days: {earlier} relances, {sent_before} emails delivered (by the workers, {took}s)")

		book._after_history(invoices, day)
		frappe.db.commit()
		capture.clear()
		first_log = frappe.db.sql("select max(creation) from `tabRelance Log`")[0][0]

		# what the run will decide for the book (a dry run changes nothing)
		plan = run_dunning(as_of=day, dry_run=True, invoice_names=names)
		if day == getdate(today()):
			waited = by_the_clock(names, plan)
		else:
			print(f"\n{day} is not today: its run is called directly (the scheduler runs today's)")
			waited = directly(day, names)
		print_times(waited)
		# the book's emails (the site's run also sends what is due for the site's other invoices)
		addresses = {row[2] for row in book.BOOK}
		mine = SimpleNamespace(
			port=capture.port, messages=[m for m in capture.messages if set(m.rcpt_tos) & addresses]
		)
		others = len(capture.messages) - len(mine.messages)
		if others:
			print(
				f"  (the site's run also delivered {others} emails for other invoices due today: not listed)"
			)
		book._report(day, tag, invoices, plan, waited["approved"], mine, account, first_log)


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--force", action="store_true")
	parser.add_argument("--date")
	args = parser.parse_args()
	warnings.simplefilter("ignore")  # as frappe's CLI (bench execute) does outside a dev server
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	try:
		demo(force=args.force, as_of=args.date)
	except frappe.ValidationError as e:
		print(f"demo: {e}", file=sys.stderr)
		return 1
	finally:
		frappe.destroy()
	return 0


if __name__ == "__main__":
	sys.exit(main())
