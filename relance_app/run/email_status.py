"""A relance's status follows its email as soon as the email is delivered (or given up): its Relance Log
turns Sent (or Failed) in the transaction that records the delivery, not at the next hourly sync.

Whoever sends the email (relance_app's delivery job, Frappe's scheduled flush of the Email Queue, "Send
Now" on the Email Queue form), Frappe records the outcome with `EmailQueue.update_status()`, which sets
the delivery status of the email's Communication with `Communication.db_set()`: that runs the
Communication's `on_change` event (hooks.py `doc_events`), the one place every delivery of a relance email
passes through (each relance email is queued with its Communication). The change is published to the
open Relance Log lists, which refresh the row.

The hourly `sync_email_statuses` (relance_app.run.daily) stays as the safety net: it calls `follow()`
for every queued relance email.
"""

from __future__ import annotations

import frappe

from relance_app.constants import FAILED, SENT
from relance_app.pdf import delivery

# the Email Queue statuses a Relance Log follows (Frappe's own, final: its retries are not)
EMAIL_SENT, EMAIL_ERROR = "Sent", "Error"
FINAL = (EMAIL_SENT, EMAIL_ERROR)


def on_communication_change(doc, method=None) -> None:
	"""doc_events Communication.on_change: a sent email's Communication got its delivery status."""
	if doc.get("delivery_status") not in FINAL or doc.get("sent_or_received") != "Sent":
		return
	if doc.get("reference_doctype") != "Sales Invoice":  # every relance email refers to its invoice
		return
	follow(communication=doc.name)


def follow(communication: str | None = None) -> int:
	"""Queued Relance Logs (of one Communication, or all of them) set from their Email Queue row: Sent
	when it went out, Failed when Frappe gave up on it. Returns the number of logs changed."""
	query, log, eq = delivery.queued_relance_emails()
	query = query.select(log.name, eq.status, eq.error).where(eq.status.isin(FINAL))
	if communication:
		query = query.where(log.communication == communication)
	rows = query.run(as_dict=True)
	for r in rows:
		if r.status == EMAIL_SENT:
			values = {"status": SENT}
		else:
			values = {"status": FAILED, "error": r.error or "Email Queue error"}
		frappe.db.set_value("Relance Log", r.name, values, update_modified=False)
		frappe.publish_realtime(
			"list_update",
			{"doctype": "Relance Log", "name": r.name, "user": frappe.session.user},
			after_commit=True,
		)
	return len(rows)
