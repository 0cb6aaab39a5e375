# Copyright (c) 2026, relance_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from relance_app.constants import THANK_YOU_STAGE
from relance_app.data.credit_hold import rule_from
from relance_app.data.policies import policy_from_doc, stage_from_row
from relance_app.data.rate_table import legal_floor
from relance_app.documents.rendering import check_template
from relance_app.engine.credit_hold import MESSAGES as CREDIT_HOLD_MESSAGES
from relance_app.engine.credit_hold import rule_issues
from relance_app.engine.message import sample_context
from relance_app.engine.models import CONTRACTUAL_RATE
from relance_app.engine.penalties import to_decimal
from relance_app.engine.validation import validate_policy
from relance_app.exceptions import InvalidPolicyError
from relance_app.setup.legal_mentions import disagreement


class DunningPolicy(Document):
	def validate(self):
		self.validate_rules()
		self.validate_interest_rate()
		self.validate_variants()
		self.validate_customer_group()
		self.validate_templates()
		self.warn_legal_mentions()
		self.validate_credit_hold()

	def warn_legal_mentions(self):
		"""The terms the company's invoices print state another penalty rate than this policy's."""
		found = disagreement(self)
		if found:
			name, sentence = found
			frappe.msgprint(
				_(
					"The payment mentions printed on the invoices of {0} (Terms and Conditions {1}) do not state the penalty rate of this policy, {2}. Update them with the button Legal Mentions."
				).format(frappe.bold(self.company), frappe.bold(name), sentence),
				title=_("Legal Mentions Disagree"),
				indicator="orange",
			)

	def on_update(self):
		if self.is_default and self.enabled:
			self.unset_other_defaults()

	def validate_rules(self):
		"""The engine's policy checks, each message naming its stage."""
		issues = validate_policy(policy_from_doc(self))
		if issues:
			messages = [
				_(issue.message).format(stage=issue.stage_name, idx=issue.stage_idx, **issue.params)
				for issue in issues
			]
			frappe.throw(messages, InvalidPolicyError, title=_("Invalid Dunning Policy"), as_list=True)

	def validate_interest_rate(self):
		"""A contractual rate may not be below three times the taux de l'intérêt légal in force for the
		current semester (Code de commerce L441-10)."""

		if self.interest_rate_basis != CONTRACTUAL_RATE:
			return
		found = legal_floor()
		if not found:
			return
		floor, row, _assumed = found
		if to_decimal(self.late_interest_rate or 0) < floor:
			frappe.throw(
				_(
					"The contractual late-interest rate of {0} % is below the legal floor of {1} %: three times the legal interest rate of {2} % of the semester starting on {3} (Code de commerce L441-10). Use at least {1} % or the legal rate basis."
				).format(
					flt(self.late_interest_rate),
					f"{floor.normalize():f}",
					f"{row.legal_interest_rate.normalize():f}",
					frappe.format(row.start, "Date"),
				),
				InvalidPolicyError,
				title=_("Late-Interest Rate Too Low"),
			)

	def validate_variants(self):
		# a row of stage __thank_you__ is a variant of the thank-you email
		names = {(row.stage_name or "").strip() for row in self.stages} | {THANK_YOU_STAGE}
		for row in self.get("templates") or []:
			if (row.stage_name or "").strip() not in names:
				frappe.throw(
					_("Template Variants row {0}: there is no stage named {1}.").format(
						row.idx, row.stage_name
					),
					InvalidPolicyError,
					title=_("Invalid Dunning Policy"),
				)

	def validate_customer_group(self):
		if not self.target_customer_group or not self.enabled:
			return
		other = frappe.db.get_value(
			"Dunning Policy",
			{
				"company": self.company,
				"target_customer_group": self.target_customer_group,
				"enabled": 1,
				"name": ("!=", self.name or ""),
			},
			"name",
		)
		if other:
			frappe.throw(
				_("Dunning Policy {0} already applies to customer group {1} in company {2}.").format(
					frappe.bold(other), frappe.bold(self.target_customer_group), frappe.bold(self.company)
				),
				InvalidPolicyError,
				title=_("Invalid Dunning Policy"),
			)

	def validate_templates(self):
		"""Render every template the policy can use against a sample invoice: a Jinja error or an
		unknown variable is refused here, not discovered by the scheduler."""
		stages = tuple(stage_from_row(row) for row in self.stages)
		by_name = {s.stage_name: s for s in stages}
		if stages:
			by_name[THANK_YOU_STAGE] = stages[-1]
		uses = [(s, s.email_template, None) for s in stages if s.email_template]
		for row in self.get("templates") or []:
			stage = by_name.get((row.stage_name or "").strip())
			if stage and row.email_template:
				uses.append((stage, row.email_template, row.language))
		if self.send_thank_you and self.thank_you_template and stages:
			uses.append((stages[-1], self.thank_you_template, None))

		for stage, template_name, language in uses:
			template = frappe.get_cached_doc("Email Template", template_name)
			context = sample_context(language or self.default_language or "fr", stage, stages)
			what = _("Stage {0}, template {1}").format(stage.stage_name, template_name)
			check_template(template.subject, context, what + " (" + _("subject") + ")")
			check_template(
				template.response_html if cint(template.use_html) else template.response, context, what
			)

	def validate_credit_hold(self):
		"""The credit-hold section: a trigger, a stage of this policy after the due date, sane numbers."""
		if not cint(self.get("credit_hold_enabled")):
			return
		stages = tuple(stage_from_row(row) for row in self.stages)
		post_due = tuple(
			s.stage_name for s in sorted(stages, key=lambda s: (s.offset_days, s.idx)) if not s.is_pre_due
		)
		issues = rule_issues(
			rule_from(self, post_due),
			tuple(s.stage_name for s in stages),
			frozenset(s.stage_name for s in stages if s.is_pre_due),
		)
		if issues:
			frappe.throw(
				[_(CREDIT_HOLD_MESSAGES[code]).format(**params) for code, params in issues],
				InvalidPolicyError,
				title=_("Invalid Credit Hold"),
				as_list=True,
			)

	def unset_other_defaults(self):
		others = frappe.get_all(
			"Dunning Policy",
			filters={"company": self.company, "is_default": 1, "name": ("!=", self.name)},
			pluck="name",
		)
		for name in others:
			frappe.db.set_value("Dunning Policy", name, "is_default", 0)
		if others:
			frappe.msgprint(
				_("{0} is now the default policy of {1}; {2} is no longer default.").format(
					frappe.bold(self.name), frappe.bold(self.company), ", ".join(others)
				),
				alert=True,
			)
