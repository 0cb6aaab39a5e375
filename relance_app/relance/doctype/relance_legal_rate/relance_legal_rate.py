# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

"""The reference rates of one half-year (Code de commerce L441-10): the ECB main refinancing rate in
force on its first day (the legal late-payment rate is that rate + 10 points) and the taux de
l'intérêt légal for professional creditors (a contractual rate may not be below three times it)."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate

from relance_app.data.rate_table import close_reminders
from relance_app.engine.penalties import FLOOR_MULTIPLIER, LEGAL_MARGIN, is_semester_start
from relance_app.exceptions import InvalidLegalRateError

MAX_RATE = 100


class RelanceLegalRate(Document):
	def validate(self):
		start = getdate(self.semester_start)
		if not is_semester_start(start):
			frappe.throw(
				_("A semester starts on 1 January or 1 July, not on {0}.").format(
					frappe.format(start, "Date")
				),
				InvalidLegalRateError,
				title=_("Invalid Semester"),
			)
		self.semester = f"{start.year}-S{1 if start.month == 1 else 2}"
		for fieldname in ("ecb_rate", "legal_interest_rate"):
			value = flt(self.get(fieldname))
			if value < 0 or value > MAX_RATE:
				frappe.throw(
					_("{0} must be between 0 and {1} %, not {2}.").format(
						_(self.meta.get_label(fieldname)), MAX_RATE, value
					),
					InvalidLegalRateError,
					title=_("Invalid Rate"),
				)
		if not (self.ecb_source or "").strip():
			frappe.throw(
				_("Give the source of the ECB rate."), InvalidLegalRateError, title=_("Source Missing")
			)
		if flt(self.legal_interest_rate) and not (self.legal_interest_source or "").strip():
			frappe.throw(
				_("Give the source of the legal interest rate."),
				InvalidLegalRateError,
				title=_("Source Missing"),
			)
		self.late_payment_rate = flt(flt(self.ecb_rate) + float(LEGAL_MARGIN), 6)
		self.contractual_floor = flt(flt(self.legal_interest_rate) * float(FLOOR_MULTIPLIER), 6)

	def on_update(self):

		close_reminders(self.name)
