"""Relance Settings' defaults, read from the DocType: its JSON is the one place they are defined."""

from __future__ import annotations

import frappe
from frappe.utils import cint

DOCTYPE = "Relance Settings"


def field_default(fieldname: str):
	"""The default of a Relance Settings field as the DocType defines it (an int for an Int field)."""
	df = frappe.get_meta(DOCTYPE).get_field(fieldname)
	if df is None:
		raise KeyError(f"{DOCTYPE} has no field {fieldname}")
	return cint(df.default) if df.fieldtype in ("Int", "Check") else df.default


def value_or_default(doc, fieldname: str) -> int:
	"""A positive Int setting, or its default when empty or 0."""
	return cint(doc.get(fieldname)) or field_default(fieldname)
