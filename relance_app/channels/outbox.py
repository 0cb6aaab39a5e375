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
"""

from __future__ import annotations

from collections import OrderedDict

import frappe
from frappe.email.doctype.email_queue.email_queue import QueueBuilder
from frappe.utils import get_url, scrub_urls
from lxml import etree
from premailer import Premailer

from relance_app.common import cache

MAX_STYLESHEETS = 16
_rules: OrderedDict = OrderedDict()  # (css text, index, options) -> (rules, leftover)


class CachedRulesPremailer(Premailer):
	"""Premailer whose parsed stylesheet rules are kept for the next email (the result of
	`_parse_style_rules` depends on the CSS text, its index and the options only), and the text of
	the rules it cannot inline (media queries: the `<style>` it adds to the head) with them."""

	def _cached(self, css_body, ruleset_index) -> dict:
		key = (css_body, ruleset_index, self.strip_important, self.disable_validation)
		hit = _rules.get(key)
		if hit is None:
			rules, leftover = super()._parse_style_rules(css_body, ruleset_index)
			hit = _rules[key] = {"rules": rules, "leftover": leftover}
			if len(_rules) > MAX_STYLESHEETS:
				_rules.popitem(last=False)
		return hit

	def _parse_style_rules(self, css_body, ruleset_index):
		hit = self._cached(css_body, ruleset_index)
		return list(hit["rules"]), list(hit["leftover"])  # transform() extends and sorts its own list

	def _process_css_text(self, css_text, index, rules, head):
		"""Premailer's, the leftover rules' text serialised once (cssutils: most of what is left)."""
		hit = self._cached(css_text, index)
		if head is None or self.keep_style_tags or not hit["leftover"]:
			return super()._process_css_text(css_text, index, rules, head)
		rules.extend(hit["rules"])
		if "text" not in hit:
			hit["text"] = self._css_rules_to_string(hit["leftover"])
		style = etree.Element("style")
		style.attrib["type"] = "text/css"
		style.text = hit["text"]
		head.append(style)


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
	kept (above)."""

	def get_outgoing_email_account(self):
		if not self._email_account:
			key = ("outgoing_email_account", self.reference_doctype, self._sender)
			self._email_account = cache.memo(
				key, lambda: known_account(QueueBuilder.get_outgoing_email_account(self))
			)
		return self._email_account

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
			self._message,
			self.get_outgoing_email_account(),
			header=self.header,
			unsubscribe_link=self.unsubscribe_message(),
			with_container=self.with_container,
		)


def known_account(account):
	"""The batch's Email Account, its `is_exists_in_db()` (three queries, asked by QueueBuilder for every
	email) answered once."""
	if account is not None:
		exists = account.is_exists_in_db()
		account.is_exists_in_db = lambda: exists
	return account


def queue(**kwargs):
	"""As `frappe.sendmail(..., delayed=True, now=False)`: the Email Queue row (returned) in the
	caller's transaction, sent later. Takes QueueBuilder's arguments."""
	return RelanceQueueBuilder(**kwargs).process(send_now=False)
