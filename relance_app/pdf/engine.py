"""The PDF engine of relance emails: Frappe's own (wkhtmltopdf) or a headless Chromium kept alive in the
worker process, chosen in Relance Settings.

Frappe v15 lets an app render a print format's PDF through the `pdf_generator` hook: `get_print`
calls it when `frappe.form_dict.pdf_generator` (or the print format's own field) is not "wkhtmltopdf".
relance_app's delivery job sets that switch to `GENERATOR` only while it sends relance emails
(`relance_emails()`, through relance_app.common.frappe_compat), so the rest of ERPNext keeps its PDFs. The HTML is the same print format, letter
head and language that wkhtmltopdf would get, prepared with Frappe's own functions (URLs made absolute,
header and footer taken out, `visible-pdf` / `hidden-pdf`, page size and margins, private images
inlined); only the last step differs. When Chromium is missing or fails, the hook returns nothing and
Frappe renders with wkhtmltopdf: the email still goes out, and the fallback is logged.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import io
import os
import re
import time
import traceback
from contextvars import ContextVar
from urllib.parse import unquote, urlsplit

import frappe
from frappe import _
from frappe.utils import cint, get_url, scrub_urls

from relance_app.common.frappe_compat import pdf_generator as generator_switch
from relance_app.common.frappe_compat import print_view_first
from relance_app.common.settings import field_default
from relance_app.pdf import detect
from relance_app.pdf.chromium import Chromium, ChromiumError
from relance_app.pdf.page_setup import PageSetup, to_mm

WKHTMLTOPDF = "wkhtmltopdf"
CHROMIUM = "Chromium"
GENERATOR = "relance_chromium"  # the value of form_dict.pdf_generator routed to this module's hook
CONTENT_TYPES = {
	".css": "text/css",
	".js": "application/javascript",
	".png": "image/png",
	".jpg": "image/jpeg",
	".jpeg": "image/jpeg",
	".gif": "image/gif",
	".svg": "image/svg+xml",
	".webp": "image/webp",
	".woff": "font/woff",
	".woff2": "font/woff2",
	".ttf": "font/ttf",
	".otf": "font/otf",
}
MAX_CACHED = 64
MEMORY_CHECK_EVERY = 25  # documents between two readings of a browser's memory (PSS)

_browser: Chromium | None = None
# the sites' public files, read once per process: keyed by site, since a worker serves every site of
# the bench and two sites have the same /assets and /files paths with different contents; an entry
# holds the file's size and modification time, and a file replaced under the same path is read again
_files: dict[tuple[str, str], tuple[int, str, bytes]] = {}
_stamps: dict[tuple[str, str], tuple[str, int, int]] = {}  # (site, path) -> (file, size, mtime_ns)
_forgotten: dict[str, bool] = {}  # {"files": True} once entries were dropped to make room
_styles: dict[str, list] = {}  # a print format's `.print-format` page rules, parsed once per process
_header_parts: dict[str, tuple[str, float]] = {}  # (template, height in mm) per document and page
_used_css: dict[str, str | None] = {}  # the style rules a header or footer uses, per document shape
# why Chromium is not used in this process, per site (missing, failed to start: its path and timeout
# are the site's configuration)
_broken: dict[str, str] = {}
# why the PDFs rendered in the current `relance_emails()` block fell back to wkhtmltopdf
_fallbacks: ContextVar[list[str] | None] = ContextVar("relance_pdf_fallbacks", default=None)
stats = {"documents": 0, "seconds": 0.0, "fallbacks": 0, "recycled": 0, "recycled_for_memory": 0}


# --- settings ---------------------------------------------------------------------------------


def selected_engine() -> str:
	"""The engine in use (Relance Settings: the accountant's choice, or what Automatic found here)."""
	return detect.engine_in_use()


def recycle_limits() -> tuple[int, int]:
	"""(documents, PSS in MB) after which a browser is replaced (Relance Settings, 0: the default)."""
	return tuple(
		cint(frappe.db.get_single_value(detect.SETTINGS, fieldname)) or field_default(fieldname)
		for fieldname in ("chromium_recycle_documents", "chromium_recycle_memory_mb")
	)


@contextlib.contextmanager
def relance_emails(engine: str | None = None):
	"""While relance emails are sent: their deferred print attachments go through `engine`, and the
	reasons of the PDFs that fell back to wkhtmltopdf are collected (`fallbacks()` in the block).

	Only frappe.form_dict.pdf_generator changes (Frappe's own switch), and it is put back after; and the
	print view is found at once (frappe_compat.PrintViewRenderer)."""
	engine = engine or selected_engine()
	token = _fallbacks.set([])
	try:
		with print_view_first():  # each print's HTML found without the website's route maps
			if engine != CHROMIUM:
				yield WKHTMLTOPDF
				return
			with generator_switch(GENERATOR):
				yield CHROMIUM
	finally:
		_fallbacks.reset(token)


def fallbacks() -> list[str]:
	"""Why the PDFs of the current `relance_emails()` block that fell back to wkhtmltopdf did so (one
	line each; keep the list to read it after the block). Outside of a block (a print that asked for
	the generator by name), a list of its own: nothing is kept from one request to the next."""
	lines = _fallbacks.get()
	return [] if lines is None else lines


# --- the hook ---------------------------------------------------------------------------------


def pdf_generator(print_format=None, html=None, options=None, output=None, pdf_generator=None):
	"""Frappe's `pdf_generator` hook. Anything but relance_app's generator is not ours (None: Frappe or
	another app renders it); a Chromium failure also returns None, so Frappe uses wkhtmltopdf."""
	if pdf_generator != GENERATOR or html is None:
		return None
	start = time.perf_counter()
	try:
		pdf = render(html, options)
	except Exception as e:
		note_fallback(e)
		return None
	stats["documents"] += 1
	stats["seconds"] += time.perf_counter() - start
	if output is not None:
		from pypdf import PdfReader

		output.append_pages_from_reader(PdfReader(io.BytesIO(pdf)))
		return output
	return pdf


def note_fallback(error: Exception) -> None:
	stats["fallbacks"] += 1
	reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
	lines = fallbacks()
	lines.append(reason)
	if len(lines) == 1:  # one Error Log per batch, not one per email
		frappe.log_error(
			title=_("Relance PDF: Chromium failed, wkhtmltopdf used"),
			message=traceback.format_exc() if error.__traceback__ else reason,
		)


# --- rendering --------------------------------------------------------------------------------


def browser() -> Chromium:
	"""This process's Chromium, started on first use and kept for every later document."""
	global _browser
	if _browser is not None and _browser.pid != os.getpid():
		_browser = None  # a forked child never drives its parent's browser
	site = frappe.local.site
	if _broken.get(site):
		raise ChromiumError(_broken[site])
	if _browser is not None and (
		worn_out(_browser) or _browser.site_hosts != site_hosts() or files_changed()
	):
		# a fresh browser before its memory grows past the bound (the worker's memory stays flat), for
		# another site of the bench (a browser resolves only the host names of the site it was started
		# for), and when a file it keeps in its memory changed on disk
		_browser.close()
		_browser = None
	if _browser is None:
		_forgotten.clear()
		_header_parts.clear()  # a stylesheet may have changed: the templates' rules are read again
		_used_css.clear()
		conf = frappe.get_conf()
		_browser = Chromium(
			executable=detect.configured_path(),
			site_hosts=site_hosts(),
			timeout=float(conf.get("relance_chromium_timeout") or 30),
		)
		documents, megabytes = recycle_limits()
		_browser.recycle_after, _browser.recycle_bytes = documents, megabytes * 1024 * 1024
	try:
		return _browser.start()
	except ChromiumError as e:
		_broken[site] = str(e)  # not tried again for every email of the batch
		raise


def worn_out(chrome: Chromium) -> bool:
	"""Whether the browser is to be replaced: it rendered its share of documents (Relance Settings ›
	Replace the Browser After), or its processes' memory (PSS, read every MEMORY_CHECK_EVERY documents)
	passed the bound (› Browser Memory Bound)."""
	if chrome.documents >= chrome.recycle_after:
		stats["recycled"] += 1
		return True
	if chrome.documents - chrome.memory_checked_at < MEMORY_CHECK_EVERY:
		return False
	chrome.memory_checked_at = chrome.documents
	if chrome.recycle_bytes and chrome.pss_bytes() > chrome.recycle_bytes:
		stats["recycled"] += 1
		stats["recycled_for_memory"] += 1
		return True
	return False


def close_browser() -> None:
	global _browser
	if _browser is not None:
		_browser.close()
	_browser = None
	_broken.clear()


atexit.register(close_browser)


def site_hosts() -> tuple[str, ...]:
	hosts = {urlsplit(get_url()).hostname, frappe.local.site}
	return tuple(sorted(h.lower() for h in hosts if h))


def render(html: str, options: dict | None = None) -> bytes:
	"""The PDF of a print format's HTML through Chromium, prepared as Frappe prepares it for
	wkhtmltopdf (frappe.utils.pdf.get_pdf, prepare_options and read_options_from_html, in their order:
	the options passed, then what the HTML says)."""
	from bs4 import BeautifulSoup
	from frappe.utils.pdf import inline_private_images, prepare_header_footer, toggle_visible_pdf

	page_options = dict(options or {})
	password = page_options.pop("password", None)
	page_options.setdefault("margin-right", "15mm")
	page_options.setdefault("margin-left", "15mm")
	html = scrub_urls(html)
	soup = BeautifulSoup(html, "html.parser")
	header = footer = None
	if "header-html" in html or "footer-html" in html:
		head_foot = prepare_header_footer(soup)  # writes them as files, as for wkhtmltopdf
		files = [head_foot.pop("header-html", None), head_foot.pop("footer-html", None)]
		try:
			header, footer = (read_file(path) for path in files)
		finally:
			for path in files:
				if path:
					with contextlib.suppress(OSError):
						os.remove(path)
	else:  # what prepare_header_footer sets when the print has neither (without reading the CSS)
		head_foot = {"margin-top": "15mm", "margin-bottom": "15mm"}
	toggle_visible_pdf(soup)
	page_options.update(head_foot)
	page_options.update(print_format_page_rules(soup))
	html = str(soup)
	if "<img" in html:
		html = inline_private_images(html)
	page = PageSetup.from_wkhtmltopdf(with_page_size(page_options))
	chrome = browser()
	if header or footer:
		set_header_footer(chrome, page, header, footer, to_mm(page_options.get("header-spacing"), 0))
	pdf = chrome.pdf(html, get_url(), page, resolver=site_file)
	if password:
		pdf = encrypt(pdf, password)
	return pdf


def with_page_size(options: dict) -> dict:
	if options.get("page-size"):
		return options
	settings = frappe.get_cached_doc("Print Settings")
	size = settings.pdf_page_size or "A4"
	if size == "Custom":
		options.setdefault("page-width", settings.pdf_page_width)
		options.setdefault("page-height", settings.pdf_page_height)
	else:
		options["page-size"] = size
	return options


def print_format_page_rules(soup) -> dict:
	"""Margins, page size and orientation set on `.print-format` in the print format's styles (what
	frappe.utils.pdf.read_options_from_html passes to wkhtmltopdf), parsed once per stylesheet."""
	from frappe.utils.pdf import get_print_format_styles

	sheet = "".join(str(tag.string or "") for tag in soup.find_all("style"))
	key = hashlib.sha1(sheet.encode()).hexdigest()
	if key not in _styles:
		if len(_styles) >= MAX_CACHED:
			_styles.clear()
		attrs = (
			"margin-top",
			"margin-bottom",
			"margin-left",
			"margin-right",
			"page-size",
			"header-spacing",
			"orientation",
			"page-width",
			"page-height",
		)
		_styles[key] = [(s.name, s.value) for s in get_print_format_styles(soup) if s.name in attrs]
	return dict(_styles[key])


def read_file(path: str | None) -> str | None:
	if not path:
		return None
	with open(path, encoding="utf-8") as f:
		return f.read()


def site_file(url: str):
	"""The site's public files (/assets, /files) from disk, for the page's requests; None lets the
	request go to the site itself."""
	path = unquote(urlsplit(url).path)
	if path.startswith("/assets/"):
		base = os.path.join(os.path.abspath(frappe.local.sites_path), "assets")
	elif path.startswith("/files/"):
		base = os.path.abspath(frappe.get_site_path("public", "files"))
	elif path == "/favicon.ico":
		return (404, "text/plain", b"")
	else:
		return None
	# /assets/<app> are symbolic links to the apps' public folders: checked before they are followed
	full = os.path.normpath(os.path.join(base, path.split("/", 2)[2]))
	if not full.startswith(base + os.sep):
		return None
	try:
		stat = os.stat(full)
	except OSError:
		return None
	key, stamp = (frappe.local.site, path), (full, stat.st_size, stat.st_mtime_ns)
	if key in _files and _stamps.get(key) == stamp:
		return _files[key]
	if not os.path.isfile(full):
		return None
	with open(full, "rb") as f:
		body = f.read()
	answer = (200, CONTENT_TYPES.get(os.path.splitext(full)[1].lower(), "application/octet-stream"), body)
	if len(_files) >= MAX_CACHED:
		_files.clear()
		_stamps.clear()
		_forgotten["files"] = True  # the browser may keep some of them: it is replaced
	_files[key], _stamps[key] = answer, stamp
	return answer


def files_changed() -> bool:
	"""Whether a site file read by this process (and kept by its browser, which asks for it no more)
	changed or went since; its entry is dropped. Also true once entries were dropped to make room."""
	changed = _forgotten.pop("files", False)
	for key, (full, size, mtime_ns) in list(_stamps.items()):
		try:
			stat = os.stat(full)
		except OSError:
			stat = None
		if stat is None or (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
			_files.pop(key, None)
			_stamps.pop(key, None)
			changed = True
	return changed


def encrypt(pdf: bytes, password: str) -> bytes:
	from pypdf import PdfReader, PdfWriter

	writer = PdfWriter()
	writer.append_pages_from_reader(PdfReader(io.BytesIO(pdf)))
	writer.encrypt(password)
	out = io.BytesIO()
	writer.write(out)
	return out.getvalue()


# --- repeated header and footer (Print Settings > Repeat Header and Footer) -----------------------


def set_header_footer(
	chrome: Chromium, page: PageSetup, header: str | None, footer: str | None, spacing_mm: float = 0
) -> None:
	"""wkhtmltopdf draws Frappe's header and footer documents in the page margins, on every page;
	Chromium does the same with its header and footer templates (self-contained: styles inline, page
	numbers as its own classes). The margins grow to hold them, measured once per header."""
	if header:
		page.header_html, height = header_part(chrome, header, page)
		page.margin_top_mm = max(page.margin_top_mm, height + spacing_mm)
	if footer:
		page.footer_html, height = header_part(chrome, footer, page)
		page.margin_bottom_mm = max(page.margin_bottom_mm, height)


def header_part(chrome: Chromium, document: str, page: PageSetup) -> tuple[str, float]:
	"""A header or footer document as Chromium's template, with the style rules it uses only, and its
	height in mm at the page's printable width. The height is measured once per document (its text
	wraps), the rules read once per document shape (the same tags and attributes, another text), and
	the header of the next invoice of a print format is measured by replacing the text of the last
	one (Chromium.layout), not by loading a page."""
	width_mm = page.width_mm - page.margin_left_mm - page.margin_right_mm
	# the document's images and stylesheets are the site's: the same HTML may measure otherwise elsewhere
	site = frappe.local.site
	key = hashlib.sha1(f"{site}:{width_mm}:{page.margin_left_mm}:{page.margin_right_mm}:{document}".encode())
	key = key.hexdigest()
	if key not in _header_parts:
		shape = hashlib.sha1(f"{site}:{document_shape(document)}".encode()).hexdigest()
		known = shape in _used_css
		height, used = chrome.layout(
			document, get_url(), width_mm, resolver=site_file, used_css=not known, shape=shape
		)
		if not known:
			_used_css[shape] = used
		used = _used_css[shape]
		for cache in (_header_parts, _used_css):
			if len(cache) >= MAX_CACHED:
				cache.clear()
		# the rules it uses, else (a stylesheet Chromium could not read) the whole stylesheets
		_header_parts[key] = (
			header_template(document, page, None if used is None else f"<style>{used}</style>"),
			height,
		)
	return _header_parts[key]


def document_shape(document: str) -> str:
	"""A document without its text, its style blocks kept: what decides which style rules it uses."""
	styles = re.findall(r"<style\b[^>]*>.*?</style>", document, flags=re.DOTALL | re.IGNORECASE)
	return re.sub(r">[^<]+<", "><", document) + "".join(styles)


def header_template(document: str, page: PageSetup, styles: str | None = None) -> str:
	"""Chromium's header or footer template of a document: its stylesheets inline (or `styles`), its
	page numbers as Chromium's classes, the page's side margins as padding."""
	from bs4 import BeautifulSoup

	soup = BeautifulSoup(document, "html.parser")
	for img in soup.find_all("img", src=True):  # a template loads nothing: the site's images inline
		img["src"] = data_uri(img["src"]) or img["src"]
	body = soup.body.decode_contents() if soup.body else str(soup)
	if styles is None:
		styles = "".join(str(tag) for tag in soup.find_all("style"))
		for link in soup.find_all("link", rel="stylesheet"):
			answer = site_file(link.get("href", ""))
			if answer:
				styles = f"<style>{answer[2].decode('utf-8', 'replace')}</style>" + styles
	body = re.sub(r'class="page"', 'class="pageNumber"', body)
	body = re.sub(r'class="topage"', 'class="totalPages"', body)
	# Chromium draws the templates across the whole paper width: the page's side margins are ours
	padding = f"padding:0 {page.margin_right_mm:.2f}mm 0 {page.margin_left_mm:.2f}mm"
	return (
		"<style>html,body{margin:0!important;padding:0!important;width:100%;"
		"-webkit-print-color-adjust:exact}</style>"
		f'{styles}<div class="print-format" style="width:100%;box-sizing:border-box;{padding}">{body}</div>'
	)


def data_uri(url: str) -> str | None:
	"""A site image (/assets, /files) as a data URI; None for anything else."""
	host = urlsplit(url).hostname
	answer = site_file(url) if not host or host.lower() in site_hosts() else None
	if not answer or answer[0] != 200 or not answer[1].startswith("image/"):
		return None
	return f"data:{answer[1]};base64,{base64.b64encode(answer[2]).decode()}"


def engine_available() -> tuple[bool, str]:
	"""Whether Chromium can render here, and why not (for the settings form and the benchmark)."""
	try:
		browser()
		return True, ""
	except ChromiumError as e:
		return False, str(e)
