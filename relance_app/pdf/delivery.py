"""Delivery of relance emails: the Email Queue rows a batch of relances created, sent by background jobs
spread over the RQ workers that exist, each job rendering its attachments with the PDF engine of Relance
Settings and reusing what is the same for every email (the browser, the SMTP session, the print
templates of a language). A job goes on with the relance emails still waiting (queued by other batches
of the run) for a while, so a run starts few browsers, and every worker running a delivery job takes
its share.

The relance's own transaction stays as it was (log, Communication, Email Queue row, one commit). The
row is queued with `send_after` a little ahead (HOLD_MINUTES), so Frappe's scheduled flush leaves it to
the delivery job queued right after the commit. A relance email still held STRANDED_MINUTES later
with no delivery job waiting (a job lost with its worker) is given one by the scheduler
(`deliver_stranded`); if no job delivers it within the hold (no worker on the queue), Frappe's flush
sends it as before, with wkhtmltopdf. Each row is claimed under a
row lock before it is sent, and Frappe's own send marks it Sending first: a row is sent once. A failed
send is left to Frappe's retries (retry count, then Error), which the next run syncs into the log.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from contextvars import ContextVar
from datetime import timedelta
from functools import partial

import frappe
from frappe import _
from frappe.utils import cint, now_datetime

from relance_app.common.frappe_compat import language_environment
from relance_app.constants import QUEUED
from relance_app.pdf import detect, engine

JOB = "relance_app.pdf.delivery.deliver"
QUEUE = "short"  # where Frappe sends emails now (email_queue.send_mail); every bench worker serves it
HOLD_MINUTES = 30
JOB_SIZE = 50  # emails per delivery job, and per look for more
TAKE_MORE_SECONDS = 1200  # a delivery job takes more waiting emails for this long, then ends
STRANDED_MINUTES = 10  # held this long with no delivery job waiting: deliver_stranded queues one
SENDABLE = ("Not Sent", "Partially Sent")
JOB_PREFIX = "relance-delivery"
WAITING_JOB_KEY = "relance_delivery_waiting_job"  # the delivery job queued last, in Redis

# the emails committed inside the current `batch()` (None outside one)
_outbox: ContextVar[list[str] | None] = ContextVar("relance_outbox", default=None)


def hold_until():
	"""`send_after` of a relance email: Frappe's flush takes it only if no delivery job did."""
	return now_datetime() + timedelta(minutes=HOLD_MINUTES)


# --- collecting what a batch queued ------------------------------------------------------------


def track(email_queue: str | None) -> None:
	"""A relance email was queued in the current transaction: deliver it once that commits (a
	rollback forgets it). Inside `batch()` the delivery waits for the end of the batch."""
	if email_queue:
		frappe.db.after_commit.add(partial(_committed, email_queue))


def _committed(email_queue: str) -> None:
	outbox = _outbox.get()
	if outbox is not None:
		outbox.append(email_queue)
	else:
		enqueue([email_queue])


@contextlib.contextmanager
def batch():
	"""Collect the emails committed by a batch of relances, then queue their delivery in jobs."""
	outer = _outbox.get()
	if outer is not None:  # nested: the outer batch delivers
		yield outer
		return
	outbox: list[str] = []
	token = _outbox.set(outbox)
	try:
		yield outbox
	finally:
		_outbox.reset(token)
		enqueue(outbox)


def enqueue(email_queues: list[str]) -> int:
	"""Delivery jobs for these rows, JOB_SIZE emails each, on the queue every worker serves. None when
	a delivery job is still waiting for a worker: once started it takes these rows too, as the other
	waiting relance emails (`deliver(more=True)`), so a run of many batches on busy workers does not
	leave one job per batch, each a process to start for nothing. Tests send the queue themselves
	(nothing is enqueued under frappe.flags.in_test)."""
	if not email_queues or frappe.flags.in_test or job_waiting():
		return 0
	jobs = 0
	for i in range(0, len(email_queues), JOB_SIZE):
		job_id = f"{JOB_PREFIX}::{frappe.generate_hash(length=12)}"
		frappe.enqueue(
			JOB, queue=QUEUE, timeout=3600, job_id=job_id, email_queues=email_queues[i : i + JOB_SIZE]
		)
		jobs += 1
	# the last one: workers take a queue's jobs in order, it is the last of them to start
	frappe.cache.set(frappe.cache.make_key(WAITING_JOB_KEY), job_id, ex=HOLD_MINUTES * 60)
	return jobs


def job_waiting() -> bool:
	"""The delivery job queued last is still in its queue, waiting for a worker. Its status alone does
	not say so: RQ leaves a job "queued" once a worker took it from the queue until the job starts, and
	for good when that worker stopped in between (the job stays in RQ's intermediate queue): trusted,
	such a job would hold every batch's delivery back until Frappe's flush, half an hour later."""
	from frappe.utils.background_jobs import get_job
	from rq.job import JobStatus

	job_id = frappe.cache.get(frappe.cache.make_key(WAITING_JOB_KEY))
	if not job_id:
		return False
	job = get_job(job_id.decode())  # None once RQ forgot it
	return bool(job) and job.get_status(refresh=False) == JobStatus.QUEUED and job.get_position() is not None


# --- the job ------------------------------------------------------------------------------------


def deliver(email_queues: list[str], engine_name: str | None = None, more: bool = True) -> dict:
	"""Background job: send these relance emails now, their PDFs through the selected engine; then,
	while there is time (TAKE_MORE_SECONDS), the other relance emails still waiting for a delivery job
	(`more`): one browser start and one SMTP session serve the whole run, and every worker that picks
	a delivery job shares what is left with the others (each row claimed under its lock). When its
	time is up with emails still waiting, it queues the job that goes on with them."""
	counts: Counter = Counter()
	if sending_suspended():
		counts["held"] = len(email_queues)  # Frappe's flush sends them when the queue resumes
		return dict(counts)
	chosen = engine_name or engine.selected_engine()
	envs: dict = {}
	servers: dict = {}
	tried: set[str] = set()  # tried here and maybe still held (a sent or claimed row no longer is)
	deadline = time.monotonic() + TAKE_MORE_SECONDS
	todo = list(email_queues)
	try:
		while todo:
			for name in todo:
				outcome = send_one(name, chosen, envs, servers, counts)
				counts[outcome] += 1
				if outcome != "sent":
					tried.add(name)
			frappe.db.commit()  # nosemgrep: a fresh read: the emails batches committed meanwhile
			todo = waiting(exclude=tried) if more and time.monotonic() < deadline else []
		if more and time.monotonic() >= deadline:
			# time is up, relance emails still waiting: a new job takes over (the run's batches may all
			# have queued theirs long ago, and nothing else would deliver them before the hold ends)
			counts["relayed"] = enqueue(waiting(exclude=tried))
	finally:
		for server in servers.values():
			with contextlib.suppress(Exception):
				server.quit()
		if frappe.job:  # Frappe's background job, when this runs as one
			engine.close_browser()  # a job's process ends with it: no browser left behind
	return dict(counts)


def send_one(name: str, chosen: str, envs: dict, servers: dict, counts: Counter) -> str:
	if not claim(name):
		return "not_sendable"  # sent by someone else already, cancelled, or gone
	doc = frappe.get_doc("Email Queue", name)
	reasons: list[str] = []  # why its PDF fell back to wkhtmltopdf, if it did
	try:
		with engine.relance_emails(chosen), print_templates(attachment_language(doc), envs):
			reasons = engine.fallbacks()
			doc.send(smtp_server_instance=smtp_server(doc, servers), force_send=True)
	except Exception:
		frappe.db.rollback()
		frappe.get_doc("Email Queue", name).log_error(title=_("Relance email not sent"))
		frappe.db.commit()  # nosemgrep: the error log survives
		return "error"
	finally:
		if note_fallbacks(name, reasons):
			counts["pdf_fallback"] += 1
	status = frappe.db.get_value("Email Queue", name, "status")
	return "sent" if status == "Sent" else "not_sent"


def queued_relance_emails():
	"""Relance Logs still Queued joined to their Email Queue rows: (query, log table, queue table)."""
	log = frappe.qb.DocType("Relance Log")
	eq = frappe.qb.DocType("Email Queue")
	query = frappe.qb.from_(log).join(eq).on(eq.name == log.email_queue).where(log.status == QUEUED)
	return query, log, eq


def held_emails(queued_before=None):
	"""Query of the relance emails queued for a delivery job and not sent yet: still held from Frappe's
	flush (send_after ahead), never tried (a failed send is left to Frappe's retries); oldest first."""
	query, _log, eq = queued_relance_emails()
	query = (
		query.select(eq.name)
		.distinct()
		.where((eq.status == "Not Sent") & (eq.retry == 0) & (eq.send_after > now_datetime()))
		.orderby(eq.creation)
	)
	return query.where(eq.creation < queued_before) if queued_before else query


def waiting(exclude: set[str], limit: int = JOB_SIZE) -> list[str]:
	"""Relance emails held for a delivery job, not tried here."""
	rows = held_emails().limit(limit + len(exclude)).run(pluck=True)
	return [name for name in rows if name not in exclude][:limit]


def sending_suspended() -> bool:
	"""Emails muted or Frappe's email queue suspended: its flush sends the held ones when it resumes."""
	return frappe.are_emails_muted() or bool(cint(frappe.db.get_default("suspend_email_queue")))


def deliver_stranded() -> int:
	"""Scheduler, every few minutes: relance emails held STRANDED_MINUTES after they were queued while
	no delivery job waits for a worker get one (which takes the others waiting, as every delivery job).
	A delivery job can be lost (its worker stopped or killed with it) or end at its time limit after the
	run's last batch queued its own; its emails would otherwise wait for Frappe's flush at the end of
	their hold. Returns the jobs queued."""
	if sending_suspended() or job_waiting():
		return 0
	names = held_emails(queued_before=now_datetime() - timedelta(minutes=STRANDED_MINUTES))
	return enqueue(names.limit(JOB_SIZE).run(pluck=True))


def claim(name: str) -> bool:
	"""Take the row for this job: sendable, locked while it is marked Sending, committed."""
	status = frappe.db.get_value("Email Queue", name, "status", for_update=True)
	if status not in SENDABLE:
		frappe.db.rollback()
		return False
	frappe.db.set_value("Email Queue", name, "status", "Sending", update_modified=False)
	frappe.db.commit()  # nosemgrep: the claim is visible before the email goes out
	return True


def smtp_server(doc, servers: dict):
	"""One SMTP session per email account for the whole job."""
	account = doc.get_email_account(raise_error=True)
	if account.name not in servers:
		servers[account.name] = account.get_smtp_server()
	return servers[account.name]


def attachment_language(doc) -> str | None:
	for attachment in doc.attachments_list:
		if attachment.get("print_format_attachment"):
			return attachment.get("lang")
	return None


@contextlib.contextmanager
def print_templates(language: str | None, envs: dict):
	"""Frappe's print_language() gives every attachment in another language than the process's a new
	Jinja environment, so each print renders after compiling its templates again. Here the emails of
	one language share the environment print_language() would build for it (same language, same user,
	same globals): compiled once per job and language."""
	if not language or language == frappe.local.lang:
		yield
		return
	with language_environment(language, envs.get(language)) as used:
		yield
	envs[language] = used.jenv


def note_fallbacks(email_queue: str, reasons: list[str]) -> bool:
	"""The relance's log says when its PDF was rendered by wkhtmltopdf instead of Chromium."""
	if not reasons:
		return False
	note = _("PDF rendered by wkhtmltopdf: Chromium failed ({0}).").format(reasons[-1])
	log = frappe.qb.DocType("Relance Log")
	(
		frappe.qb.update(log)
		.set(log.error, note)
		.where((log.email_queue == email_queue) & ((log.error.isnull()) | (log.error == "")))
		.run()
	)
	detect.record_fallback(note)  # Relance Settings and `bench relance doctor` show the last one
	frappe.db.commit()  # nosemgrep
	return True
