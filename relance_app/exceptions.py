"""Typed exceptions: callers and tests can tell one refusal from another."""

import frappe


class InvalidPolicyError(frappe.ValidationError):
	pass


class RelanceTemplateError(frappe.ValidationError):
	pass


class InvalidHoldError(frappe.ValidationError):
	pass


class RelanceSettingsError(frappe.ValidationError):
	pass


class RelanceInstallError(frappe.ValidationError):
	pass


class InvalidArgumentError(frappe.ValidationError):
	"""An argument of a whitelisted method that cannot be read or is out of bounds."""


class InvalidLegalRateError(frappe.ValidationError):
	pass


class InvalidLinkError(frappe.PermissionError):
	"""A debtor page link that is forged, altered, expired or revoked: all the same to the caller."""


class DebtorAnswerError(frappe.ValidationError):
	"""An answer from the debtor page that the rules refuse (invoice, dates, promises, texts)."""


class PaymentTermsBeyondCapError(frappe.ValidationError):
	"""A due date past the legal cap of payment terms (L441-10) where the company refuses it."""


class CreditHoldError(frappe.ValidationError):
	"""A document refused because its customer is on credit hold (relance_app.engine.credit_hold)."""


class CreditHoldBypassError(frappe.ValidationError):
	"""A bypass or a release of a credit hold that cannot be given (no hold, no reason, bad date)."""
