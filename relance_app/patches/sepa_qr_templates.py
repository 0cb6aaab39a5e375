"""The shipped Email Templates already on a site get the SEPA QR code and the transfer's reference
(the line after "How to pay"), where that paragraph is still word for word the shipped one and the
block is not there yet; anything the accountant rewrote stays."""

import frappe

from relance_app.setup.defaults import TEMPLATE_DIR, load_manifest

MARKER = "payment.get('qr')"


def shipped_block(entry: dict) -> tuple[str, str] | None:
	"""(the shipped "how to pay" line, the QR block after it) of a template, None without one."""
	lines = (TEMPLATE_DIR / entry["file"]).read_text().splitlines()
	for i, line in enumerate(lines):
		if MARKER in line and i > 0:
			return lines[i - 1], line
	return None


def execute():
	for entry in load_manifest():
		name = entry["name"]
		found = shipped_block(entry)
		if not found or not frappe.db.exists("Email Template", name):
			continue
		anchor, block = found
		html = frappe.db.get_value("Email Template", name, "response_html") or ""
		if MARKER in html or anchor not in html:
			continue
		frappe.db.set_value(
			"Email Template", name, "response_html", html.replace(anchor, f"{anchor}\n{block}", 1)
		)
