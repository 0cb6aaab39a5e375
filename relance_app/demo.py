"""A demo book and one day of relances, delivered to an SMTP server on loopback.

	scripts/demo.sh [--force]   (by the clock: scripts/demo_clock.py; run() below runs and flushes itself)

Twelve customers with contacts and invoices placed so that today is the day of each stage
(pré-relance, relance 1, 2, 3, mise en demeure approved and sent), one disputed invoice (on hold),
one with a payment promise, one paid after a relance (thank-you), one customer writing in English,
one individual (no 40 EUR indemnity), one invoice not due yet. The earlier relances of each invoice
are sent by running the dunning on each of the previous days; then today's run goes out and is
printed: stage, recipient, subject, attachments, and where to look in the desk.

Refuses a site that scripts/setup_bench.sh did not create (site_config `relance_demo_site`) unless
`force`. Each call adds a new book (the customers carry a short run tag), so it can be replayed.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import frappe
from frappe.utils import add_days, getdate, today

from relance_app import api
from relance_app.run.daily import run_dunning, sync_email_statuses
from relance_app.tests.utils import (
	SMTPCapture,
	flush_queue,
	make_customer,
	make_invoice,
	pay,
	setup_email_account,
)

OUT_DIR = "/tmp/relance-demo-mails"

# (key, customer, email, language, customer type, due in days from today (negative: overdue), amount)
BOOK = [
	("not_due", "Menuiserie Girard", "compta@menuiserie-girard.example", "fr", "Company", 20, 1850.0),
	("pre_relance", "Atelier Dupont", "compta@atelier-dupont.example", "fr", "Company", 5, 1200.0),
	("relance_1", "Boulangerie Martin", "gestion@boulangerie-martin.example", "fr", "Company", -5, 640.0),
	("relance_2", "Garage Leroy", "factures@garage-leroy.example", "fr", "Company", -15, 2380.0),
	("relance_3", "Imprimerie Moreau", "compta@imprimerie-moreau.example", "fr", "Company", -30, 3120.0),
	(
		"mise_en_demeure",
		"Transports Petit",
		"direction@transports-petit.example",
		"fr",
		"Company",
		-45,
		5400.0,
	),
	("english", "Harbour Trading Ltd", "accounts@harbour-trading.example", "en", "Company", -15, 1990.0),
	("individual", "Claire Fontaine", "claire.fontaine@particulier.example", "fr", "Individual", -5, 320.0),
	("disputed", "Cabinet Roux", "secretariat@cabinet-roux.example", "fr", "Company", -15, 880.0),
	("promised", "Fleurs Lambert", "contact@fleurs-lambert.example", "fr", "Company", -15, 450.0),
	("paid", "Librairie Bonnet", "compta@librairie-bonnet.example", "fr", "Company", -10, 760.0),
	("relance_1_b", "Studio Garnier", "admin@studio-garnier.example", "fr", "Company", -5, 1430.0),
]
HISTORY_DAYS = 50  # the earliest stage of the book (J-5 of an invoice 45 days late) is 50 days ago


@contextmanager
def demo_day(force, as_of: str | None = None):
	"""The demo's day opened: the site checked, an SMTP server on loopback as the outgoing account,
	every day a business day, a new book loaded and committed. Yields (day, capture, account, tag,
	invoices); the SMTP server stops at the end."""
	if not frappe.conf.get("relance_demo_site") and not int(force or 0):
		frappe.throw(
			f"{frappe.local.site} was not created by scripts/setup_bench.sh (no relance_demo_site in "
			"its site_config.json): the demo adds customers and invoices and changes the outgoing "
			"Email Account. Run it with --force to use this site anyway."
		)
	frappe.set_user("Administrator")
	day = getdate(as_of or today())
	capture = SMTPCapture().start()
	try:
		account = setup_email_account(capture.port)
		# every day counts in the demo (the book's dates are calendar days)
		frappe.db.set_single_value(
			"Relance Settings", {"enabled": 1, "test_mode": 0, "business_days_only": 0}
		)
		frappe.db.commit()
		tag = frappe.generate_hash(length=4)
		invoices = _load_book(day, tag)
		frappe.db.commit()
		print(f"Demo book {tag}: {len(BOOK)} customers, {len(invoices)} invoices (today {day})")
		yield day, capture, account, tag, invoices
	finally:
		capture.stop()


def run(force: int = 0, as_of: str | None = None) -> None:
	"""Load a demo book, send the day's relances to a loopback SMTP server, print what went out."""
	with demo_day(force, as_of) as (day, capture, account, tag, invoices):
		names = list(invoices.values())
		# the earlier relances, one day at a time, as the daily scheduler would have sent them
		earlier = 0
		for back in range(HISTORY_DAYS, 0, -1):
			earlier += run_dunning(as_of=add_days(day, -back), invoice_names=names, enqueue=False)["units"]
			frappe.db.commit()
		sent_before = flush_queue()
		frappe.db.commit()
		print(f"Earlier days: {earlier} relances, {sent_before} emails delivered")

		_after_history(invoices, day)
		frappe.db.commit()
		capture.clear()
		first_log = frappe.db.sql("select max(creation) from `tabRelance Log`")[0][0]

		result = run_dunning(as_of=day, invoice_names=names, enqueue=False)
		frappe.db.commit()
		approved = _approve_waiting(names)
		flush_queue()
		sync_email_statuses()  # Queued -> Sent on the logs, as the hourly job does
		frappe.db.commit()
		_report(day, tag, invoices, result, approved, capture, account, first_log)


def _load_book(day, tag: str) -> dict[str, str]:

	invoices = {}
	for key, customer, email, language, ctype, due_in, amount in BOOK:
		name = make_customer(f"{customer} ({tag})", email, customer_type=ctype, language=language)
		due = add_days(day, due_in)
		posting = add_days(due, -30)
		si = make_invoice(name, due, amount=amount, posting_date=posting)
		invoices[key] = si.name
	return invoices


def _after_history(invoices: dict[str, str], day) -> None:
	"""What happened since: a dispute, a promise, a payment."""

	api.set_hold(invoices["disputed"], "Dispute")
	api.record_payment_promise(invoices["promised"], str(add_days(day, 7)))
	pay(invoices["paid"], posting_date=day)


def _approve_waiting(names: list[str]) -> list[str]:
	"""The accountant approves the mise en demeure (it waits for approval by policy)."""

	waiting = frappe.get_all(
		"Relance Log",
		filters={"sales_invoice": ("in", names), "status": "Awaiting Approval"},
		pluck="name",
	)
	if waiting:
		api.approve_relances(waiting)
	return waiting


def _report(day, tag, invoices, result, approved, capture, account, first_log) -> None:
	key_of = {v: k for k, v in invoices.items()}
	logs = frappe.get_all(
		"Relance Log",
		filters={
			"sales_invoice": ("in", list(invoices.values())),
			"creation": (">", first_log or "2000-01-01"),
		},
		fields=["name", "sales_invoice", "customer", "stage_name", "status", "recipients", "subject"],
		order_by="creation asc",
	)
	os.makedirs(OUT_DIR, exist_ok=True)
	by_subject = {}
	for i, msg in enumerate(capture.messages, 1):
		path = os.path.join(OUT_DIR, f"{day}-{tag}-{i:02d}.eml")
		with open(path, "wb") as f:
			f.write(msg.raw)
		by_subject.setdefault(msg.subject.strip(), []).append((msg, path))

	print()
	print(f"Today's run ({day}): {result['units']} relances decided, counts {result['counts']}")
	if approved:
		print(f"Approved by the accountant: {', '.join(approved)} (mise en demeure)")
	print()
	print(f"{len(capture.messages)} emails delivered to the SMTP server on 127.0.0.1:{capture.port}:")
	for log in logs:
		stage = "Remerciement" if log.stage_name == "__thank_you__" else log.stage_name
		print(f"- [{stage}] {log.status}  {log.sales_invoice} ({key_of.get(log.sales_invoice)})")
		print(f"    to: {log.recipients}")
		print(f"    subject: {(log.subject or '').strip()}")
		for msg, path in by_subject.get((log.subject or "").strip(), [])[:1]:
			names = [p.get_filename() for p in msg.message.iter_attachments()]
			print(f"    attachments: {', '.join(n for n in names if n) or 'none'}")
			print(f"    saved: {path}")
	quiet = [
		k for k in ("not_due", "disputed", "promised") if invoices[k] not in {x.sales_invoice for x in logs}
	]
	print()
	print("Nothing sent today, as expected: " + ", ".join(f"{invoices[k]} ({k})" for k in quiet))

	host = (frappe.conf.get("host_name") or f"http://{frappe.local.site}:8000").rstrip("/")
	customer = frappe.db.get_value("Sales Invoice", invoices["relance_3"], "customer")
	print()
	print(f"Look in the desk ({host}/app, Administrator / admin):")
	print(f"  Relance Log      {host}/app/relance-log?relance_date={day}")
	print(f"  Relance 3        {host}/app/sales-invoice/{invoices['relance_3']}")
	print(f"  On hold          {host}/app/sales-invoice/{invoices['disputed']}")
	print(f"  Customer panel   {host}/app/customer/{frappe.utils.quoted(customer)}")
	print(f"  Email Queue      {host}/app/email-queue")
	print(
		f"  Email Account    {host}/app/email-account/{frappe.utils.quoted(account)} (points at this run's SMTP port)"
	)
	print(f"  Raw emails       {OUT_DIR}/")
