"""A Relance Log follows its email at once (relance_app.run.email_status): Sent when the Email Queue row is
delivered, Failed when Frappe gives up on it, whoever sends it, with no hourly sync in between."""

import smtplib
from unittest.mock import patch

import frappe
from frappe.email.doctype.email_queue.email_queue import SendMailContext, get_email_retry_limit
from frappe.utils import add_days

from relance_app.pdf import delivery
from relance_app.run.email_status import follow
from relance_app.tests.test_run import TODAY, RelanceRunCase, run
from relance_app.tests.utils import flush_queue, logs_of, make_invoice, policy_copy


class TestEmailStatus(RelanceRunCase):
	def queued(self, invoices):
		run(invoices)
		logs = [x for i in invoices for x in logs_of(i.name) if x.stage_name == "Relance 1"]
		self.assertEqual({x.status for x in logs}, {"Queued"})
		return logs

	def test_sent_as_soon_as_frappe_flushes_the_email(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		[log] = self.queued([si])
		flush_queue()  # Frappe's own send (EmailQueue.send), as the scheduled flush does it
		self.assertEqual(len(self.smtp.to(address)), 1)
		self.assertEqual(frappe.db.get_value("Relance Log", log.name, "status"), "Sent")
		self.assertEqual(follow(), 0)  # nothing left for the hourly sync

	def test_sent_as_soon_as_the_delivery_job_sends_it(self):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		[log] = self.queued([si])
		frappe.flags.mute_emails, frappe.flags.testing_email = False, True  # as flush_queue() does
		delivery.deliver([log.email_queue], more=False)  # relance_app's delivery job, inline
		self.assertEqual(len(self.smtp.to(address)), 1)
		self.assertEqual(frappe.db.get_value("Relance Log", log.name, "status"), "Sent")

	def test_every_log_of_a_grouped_email_is_sent(self):
		customer, address = self.customer()
		policy_copy(customer, group_by_customer=1)
		invoices = [make_invoice(customer, add_days(TODAY, -d)) for d in (10, 12)]
		logs = self.queued(invoices)
		self.assertEqual(len({x.email_queue for x in logs}), 1)
		flush_queue()
		self.assertEqual(len(self.smtp.to(address)), 1)
		self.assertEqual({frappe.db.get_value("Relance Log", x.name, "status") for x in logs}, {"Sent"})

	def test_failed_when_frappe_gives_up_and_queued_while_it_retries(self):
		customer, _address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10))
		[log] = self.queued([si])
		broken = patch.object(
			SendMailContext, "build_message", side_effect=smtplib.SMTPServerDisconnected("gone")
		)
		with broken, self.assertRaises(smtplib.SMTPServerDisconnected):
			flush_queue()
		retried = frappe.db.get_value("Email Queue", log.email_queue, ["status", "retry"], as_dict=True)
		self.assertEqual((retried.status, retried.retry), ("Not Sent", 1))
		self.assertEqual(frappe.db.get_value("Relance Log", log.name, "status"), "Queued")

		frappe.db.set_value("Email Queue", log.email_queue, "retry", get_email_retry_limit())
		with broken, self.assertRaises(smtplib.SMTPServerDisconnected):
			flush_queue()
		self.assertEqual(frappe.db.get_value("Email Queue", log.email_queue, "status"), "Error")
		failed = frappe.db.get_value("Relance Log", log.name, ["status", "error"], as_dict=True)
		self.assertEqual(failed.status, "Failed")
		self.assertIn("gone", failed.error)
