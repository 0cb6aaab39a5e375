# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from relance_app.common.settings import field_default
from relance_app.exceptions import RelanceSettingsError
from relance_app.pdf import chromium, detect


class RelanceSettings(Document):
	def validate(self):
		if not 0 <= cint(self.run_hour) <= 23:
			frappe.throw(
				_("The run hour must be between 0 and 23, not {0}.").format(self.run_hour),
				RelanceSettingsError,
				title=_("Invalid Relance Settings"),
			)
		if self.test_mode and not self.test_email:
			frappe.throw(
				_("Test mode needs a test address: every relance goes there instead."),
				RelanceSettingsError,
				title=_("Invalid Relance Settings"),
			)
		if cint(self.chunk_size) < 1:
			self.chunk_size = field_default("chunk_size")
		self.validate_pdf_engine()
		self.validate_debtor_page()
		seen = set()
		for row in self.default_policies:
			if row.company in seen:
				frappe.throw(
					_("Row {0}: company {1} appears twice.").format(row.idx, frappe.bold(row.company)),
					RelanceSettingsError,
					title=_("Invalid Relance Settings"),
				)
			seen.add(row.company)
			policy_company = frappe.db.get_value("Dunning Policy", row.dunning_policy, "company")
			if policy_company != row.company:
				frappe.throw(
					_("Row {0}: Dunning Policy {1} belongs to company {2}, not {3}.").format(
						row.idx, frappe.bold(row.dunning_policy), policy_company, frappe.bold(row.company)
					),
					RelanceSettingsError,
					title=_("Invalid Relance Settings"),
				)

	def validate_pdf_engine(self):
		"""Chromium chosen where this server has none: said now, not found in the logs later (the
		emails would still go out, rendered by wkhtmltopdf). Then the engine in use is stored."""
		if self.pdf_engine == "Chromium" and self.has_value_changed("pdf_engine"):
			self.refuse_missing_chromium()
		# the engine in use, found again (the probe's answer is kept per executable: cheap)
		detect.apply(self)

	def refuse_missing_chromium(self):
		configured = frappe.get_conf().get("relance_chromium_path")
		if not chromium.find_executable(configured):
			where = (
				_(
					"the path set as relance_chromium_path in the site config ({0}) is not an executable"
				).format(configured)
				if configured
				else _("no Chromium is installed on this server (apt-get install chromium-headless-shell)")
			)
			frappe.throw(
				_(
					"Chromium cannot render the PDFs here: {0}. Keep wkhtmltopdf or install Chromium first."
				).format(where),
				RelanceSettingsError,
				title=_("Chromium Not Found"),
			)

	def validate_debtor_page(self):
		"""Bounds of the debtor page settings (relance_app.debtor_page); empty or 0 is the default."""
		for fieldname, label, default, low, high in (
			(
				"portal_link_validity_days",
				_("Link Validity (Days)"),
				field_default("portal_link_validity_days"),
				1,
				3650,
			),
			(
				"portal_max_promise_days",
				_("Latest Promise Date (Days Ahead)"),
				field_default("portal_max_promise_days"),
				1,
				365,
			),
			(
				"portal_paid_hold_days",
				_('Hold After "Already Paid" (Days)'),
				field_default("portal_paid_hold_days"),
				1,
				90,
			),
		):
			value = self.get(fieldname)
			if not cint(value):
				self.set(fieldname, default)
				continue
			if not low <= cint(value) <= high:
				frappe.throw(
					_("{0} must be between {1} and {2}, not {3}.").format(label, low, high, value),
					RelanceSettingsError,
					title=_("Invalid Relance Settings"),
				)
