"""Queueing a relance email through Frappe's own Email Queue, with what is the same for every email of a
batch done once.

`frappe.sendmail` builds each email with `QueueBuilder`: it looks the outgoing Email Account up again
and inlines Frappe's email stylesheet into the HTML with Premailer, which parses that stylesheet and
serialises every rule of it again for each email (about half of the cost of queueing an email). Here
the builder is Frappe's, the email it builds is the same byte for byte (a test compares it with
`get_formatted_html`), and only two things are kept between emails:

- the Email Account, per batch (sender, reference DocType);
- the stylesheet's parsed rules, and the text of those it cannot inline (its media queries, put in
  the email's head), per process and per stylesheet text (a changed stylesheet is a new key), while
  Premailer still applies them to each email's own HTML.

The private names of Premailer this needs, and the Email Account's existence answered once, are in
relance_app.common.frappe_compat.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import tempfile
from contextlib import contextmanager

import frappe
from frappe.email.doctype.email_account.email_account import EmailAccount
from frappe.email.doctype.email_queue.email_queue import QueueBuilder
from frappe.utils import get_url, parse_addr, scrub_urls

from relance_app.common import cache
from relance_app.common.frappe_compat import CachedRulesPremailer, remember_account_exists


def email_css_files() -> list[str]:
	"""Frappe's `email_css` hooks as `inline_style_in_html` resolves them."""
	import os

	from frappe.utils.jinja_globals import bundled_asset

	files = [bundled_asset(path).lstrip("/") for path in frappe.get_hooks("email_css")]
	return [f for f in files if os.path.exists(os.path.abspath(f))]


def inline_style_in_html(html: str) -> str:
	"""frappe.email.email_body.inline_style_in_html, with the stylesheet's rules parsed once."""
	files = cache.memo("email_css_files", email_css_files)
	return CachedRulesPremailer(
		html=html, external_styles=files, strip_important=False, allow_loading_external_files=True
	).transform()


def formatted_html(subject, message, email_account, header=None, unsubscribe_link=None, with_container=False):
	"""frappe.email.email_body.get_formatted_html (no footer argument, no print_html), same template,
	same steps, with the cached rules."""
	from frappe.email.email_body import get_brand_logo, get_footer, get_header

	rendered = frappe.get_template("templates/emails/standard.html").render(
		{
			"brand_logo": get_brand_logo(email_account) if with_container or header else None,
			"with_container": with_container,
			"site_url": get_url(),
			"header": get_header(header),
			"content": message,
			"footer": get_footer(email_account, None),
			"title": subject,
			"print_html": None,
			"subject": subject,
		}
	)
	html = scrub_urls(rendered)
	if unsubscribe_link:
		html = html.replace("<!--unsubscribe link here-->", unsubscribe_link.html)
	return inline_style_in_html(html)


class RelanceQueueBuilder(QueueBuilder):
	"""Frappe's QueueBuilder, the Email Account looked up once per batch and the stylesheet's rules
	kept (above). It keeps the sender and the message it is given, and the account it chose, in its
	own attributes (Frappe's builder keeps them in private ones)."""

	def __init__(self, **kwargs):
		self.relance_sender = kwargs.get("sender")
		self.relance_message = kwargs.get("message")
		self.relance_account = None
		super().__init__(**kwargs)

	def get_outgoing_email_account(self):
		if self.relance_account is None:
			sender = self.relance_sender
			key = ("outgoing_email_account", self.reference_doctype, sender)
			self.relance_account = cache.memo(key, lambda: remember_account_exists(self.account_of(sender)))
		return self.relance_account

	def account_of(self, sender: str | None):
		"""The enabled outgoing Email Account of `sender` (a policy's own), else Frappe's choice.
		Frappe's lookup answers from its per-process cache, where the default account, once found,
		is given for any sender: a policy's sender would go out through the default account."""
		email = parse_addr(sender)[1] if sender and sender != "Administrator" else None
		account = EmailAccount.find_one_by_filters(enable_outgoing=1, email_id=email) if email else None
		return account or QueueBuilder.get_outgoing_email_account(self)

	def process(self, send_now=False):
		"""QueueBuilder.process for the one row a relance queues (never bulk, never sent now): the
		same row, inserted without checking again the links it was just given (invoice,
		Communication, Email Account)."""
		recipients = self.final_recipients()
		if send_now or self.queue_separately or len(recipients) > 100:
			return super().process(send_now=send_now)
		if not (recipients + self.final_cc()):
			return []
		data = self.as_dict(include_recipients=False)
		if not data:
			return []
		doc = frappe.new_doc("Email Queue")
		doc.update(data)
		doc.set_recipients(list(set(recipients + self.final_cc() + self.bcc)))
		doc.flags.ignore_links = True
		doc.insert(ignore_permissions=True)
		return doc

	def email_html_content(self):
		return formatted_html(
			self.subject,
			self.relance_message,
			self.get_outgoing_email_account(),
			header=self.header,
			unsubscribe_link=self.unsubscribe_message(),
			with_container=self.with_container,
		)


DATA_IMAGE = re.compile(r"""src=(["'])data:image/png;base64,([A-Za-z0-9+/=]+)\1""")


@contextmanager
def inline_images(html: str):
	"""The message with each PNG given as a data URI (the SEPA QR code) turned into an inline image:
	`embed="file"`, which Frappe's email builder attaches with a Content-ID and links as `cid:` (mail
	clients show those, not data URIs). The files live while the email is built, then are removed."""
	if "data:image/png;base64," not in html:
		yield html
		return
	# Frappe reads an embedded file from a path of the site ("private/files/..."): a folder of its own
	# there, no File document, gone once the email is built
	files = frappe.get_site_path("private", "files")
	folder = tempfile.mkdtemp(prefix="relance-inline-", dir=files)
	count = 0

	def save(match) -> str:
		nonlocal count
		count += 1
		name = f"sepa-qr-{count}.png"
		with open(os.path.join(folder, name), "wb") as f:
			f.write(base64.b64decode(match.group(2)))
		return f'embed="private/files/{os.path.basename(folder)}/{name}"'

	try:
		yield DATA_IMAGE.sub(save, html)
	finally:
		shutil.rmtree(folder, ignore_errors=True)


def without_data_images(html: str) -> str:
	"""The message as the Communication keeps it: an image given as a data URI (the QR code) is its
	alternative text (Frappe would save each as a File); the details it encodes are written beside."""

	def alt(match) -> str:
		found = ALT.search(match.group(0))
		return found.group(2) if found else ""

	return DATA_IMG_TAG.sub(alt, html)


DATA_IMG_TAG = re.compile(r"""<img\b[^>]*\bsrc=["']data:image/png;base64,[^"']*["'][^>]*>""")
ALT = re.compile(r"""\balt=(["'])(.*?)\1""")


def queue(**kwargs):
	"""As `frappe.sendmail(..., delayed=True, now=False)`: the Email Queue row (returned) in the
	caller's transaction, sent later. Takes QueueBuilder's arguments; images given as data URIs go
	inline (`inline_images`)."""
	with inline_images(kwargs.get("message") or "") as message:
		kwargs["message"] = message
		return RelanceQueueBuilder(**kwargs).process(send_now=False)
