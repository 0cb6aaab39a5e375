"""A headless Chromium kept alive in the process and fed many documents, driven over the Chrome
DevTools Protocol through a pipe (`--remote-debugging-pipe`: no port opened, no websocket library).

Pure standard library, no Frappe: the Frappe side (relance_app.pdf.engine) gives the HTML, the page
options, and a resolver that answers the page's requests for the site's own files. Every other request
is refused: the browser has no network beyond the site (requests intercepted with the Fetch domain,
and every host name but the site's unresolvable through --host-resolver-rules).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import itertools
import json
import os
import re
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from relance_app.pdf.memory import process_tree_pss, process_tree_rss

CANDIDATES = (
	# the headless shell first (Debian: chromium-headless-shell): the browser without its desktop
	# parts, about half the CPU per document of the full one
	"/usr/lib/chromium/chromium-headless-shell",
	"chromium-headless-shell",
	"chrome-headless-shell",
	"headless_shell",
	"/usr/lib/chromium/chromium",  # Debian's binary (/usr/bin/chromium is a shell wrapper)
	"chromium",
	"chromium-browser",
	"google-chrome",
	"google-chrome-stable",
	"chrome",
)

FLAGS = (
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-background-timer-throttling",
	"--disable-backgrounding-occluded-windows",
	"--disable-renderer-backgrounding",
	"--disable-breakpad",
	"--disable-component-update",
	"--disable-component-extensions-with-background-pages",
	"--disable-default-apps",
	"--disable-dev-shm-usage",
	"--disable-domain-reliability",
	"--disable-extensions",
	"--disable-sync",
	"--disable-client-side-phishing-detection",
	"--disable-hang-monitor",
	"--disable-popup-blocking",
	"--disable-prompt-on-repost",
	"--disable-features=Translate,MediaRouter,OptimizationHints,InterestFeedContentSuggestions,"
	"CertificateTransparencyComponentUpdater,AutofillServerCommunication,PaintHolding,"
	"OptimizationGuideModelDownloading,OptimizationGuideOnDeviceModel,OptimizationTargetPrediction,"
	# the document is served through interception (no address): its requests to the site on a local
	# address would count as a public page reaching the local network and be refused
	"LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,"
	"PrivateNetworkAccessRespectPreflightResults",
	"--disable-pings",
	"--no-pings",
	"--no-first-run",
	"--no-default-browser-check",
	"--no-service-autorun",
	"--metrics-recording-only",
	"--password-store=basic",
	"--use-mock-keychain",
	"--mute-audio",
	"--hide-scrollbars",
	"--force-color-profile=srgb",
)

# paper sizes wkhtmltopdf (Qt) knows by name, in millimetres (width, height)
PAPER_MM = {
	"A0": (841, 1189),
	"A1": (594, 841),
	"A2": (420, 594),
	"A3": (297, 420),
	"A4": (210, 297),
	"A5": (148, 210),
	"A6": (105, 148),
	"A7": (74, 105),
	"A8": (52, 74),
	"A9": (37, 52),
	"B0": (1000, 1414),
	"B1": (707, 1000),
	"B2": (500, 707),
	"B3": (353, 500),
	"B4": (250, 353),
	"B5": (176, 250),
	"B6": (125, 176),
	"B7": (88, 125),
	"B8": (62, 88),
	"B9": (33, 62),
	"B10": (31, 44),
	"C5E": (163, 229),
	"COMM10E": (105, 241),
	"DLE": (110, 220),
	"EXECUTIVE": (190.5, 254),
	"FOLIO": (210, 330),
	"LEDGER": (431.8, 279.4),
	"LEGAL": (215.9, 355.6),
	"LETTER": (215.9, 279.4),
	"TABLOID": (279.4, 431.8),
}
UNITS_MM = {"mm": 1.0, "cm": 10.0, "in": 25.4, "px": 25.4 / 96, "pt": 25.4 / 72, "pc": 25.4 / 6}
MM_PER_INCH = 25.4
# Tables fill the print width and collapse their borders, whose outer half lies outside the page's
# printable box, where Chromium clips it (wkhtmltopdf draws it): a pixel of room on each side keeps
# the outer borders whole. First in the head, so a print format that pads `html` itself wins.
EDGE_ROOM = "<style>html{padding:0 1px}</style>"
USED_CSS_SCRIPT = (Path(__file__).parent / "used_css.js").read_text(encoding="utf-8")
# moves the pipe ends to descriptors 3 and 4 for Chromium (dash only knows descriptors 0-9)
SHELL = shutil.which("bash") or "/bin/bash"


class ChromiumError(RuntimeError):
	"""Chromium is missing, did not start, crashed or did not answer in time."""


def find_executable(configured: str | None = None) -> str | None:
	"""The configured path if it is executable, else the first Chromium found."""
	if configured:
		return configured if os.access(configured, os.X_OK) else None
	for name in CANDIDATES:
		path = name if os.path.isabs(name) else shutil.which(name)
		if path and os.access(path, os.X_OK):
			return path
	return None


def to_mm(value, default: float = 0.0) -> float:
	"""A CSS / wkhtmltopdf length ("15mm", "0.75in", "20px", "12") in millimetres (bare: mm)."""
	if value is None:
		return default
	text = str(value).strip().lower()
	if not text:
		return default
	for unit, factor in UNITS_MM.items():
		if text.endswith(unit):
			try:
				return float(text[: -len(unit)]) * factor
			except ValueError:
				return default
	try:
		return float(text)
	except ValueError:
		return default


@dataclass
class PageSetup:
	"""What Page.printToPDF needs, from wkhtmltopdf's options (the ones Frappe computes)."""

	width_mm: float = 210.0
	height_mm: float = 297.0
	margin_top_mm: float = 15.0
	margin_bottom_mm: float = 15.0
	margin_left_mm: float = 15.0
	margin_right_mm: float = 15.0
	landscape: bool = False
	header_html: str | None = None
	footer_html: str | None = None
	extra: dict = field(default_factory=dict)

	@classmethod
	def from_wkhtmltopdf(cls, options: dict) -> PageSetup:
		size = str(options.get("page-size") or "A4").upper()
		width, height = PAPER_MM.get(size, PAPER_MM["A4"])
		if options.get("page-width") and options.get("page-height"):
			width = to_mm(options["page-width"], width) or width
			height = to_mm(options["page-height"], height) or height
		return cls(
			width_mm=width,
			height_mm=height,
			margin_top_mm=to_mm(options.get("margin-top"), 15.0),
			margin_bottom_mm=to_mm(options.get("margin-bottom"), 15.0),
			margin_left_mm=to_mm(options.get("margin-left"), 15.0),
			margin_right_mm=to_mm(options.get("margin-right"), 15.0),
			landscape=str(options.get("orientation") or "").lower() == "landscape",
		)

	@property
	def printable_width_mm(self) -> float:
		across = self.height_mm if self.landscape else self.width_mm
		return across - self.margin_left_mm - self.margin_right_mm

	def print_params(self) -> dict:
		params = {
			"paperWidth": self.width_mm / MM_PER_INCH,
			"paperHeight": self.height_mm / MM_PER_INCH,
			"marginTop": self.margin_top_mm / MM_PER_INCH,
			"marginBottom": self.margin_bottom_mm / MM_PER_INCH,
			"marginLeft": self.margin_left_mm / MM_PER_INCH,
			"marginRight": self.margin_right_mm / MM_PER_INCH,
			"landscape": self.landscape,
			"printBackground": True,
			"preferCSSPageSize": False,
			"generateTaggedPDF": False,
			"transferMode": "ReturnAsBase64",
		}
		if self.header_html is not None or self.footer_html is not None:
			params["displayHeaderFooter"] = True
			params["headerTemplate"] = self.header_html or "<span></span>"
			params["footerTemplate"] = self.footer_html or "<span></span>"
		params.update(self.extra)
		return params


# a resolver answers one request of the page: (status, content type, body), or None to let it through
Resolver = Callable[[str], "tuple[int, str, bytes] | None"]


class Chromium:
	"""One headless browser and one page, reused for every document. Not thread-safe: one per process
	(the caller serialises). A process that forked from the owner never touches the owner's browser."""

	def __init__(
		self,
		executable: str | None = None,
		site_hosts: tuple[str, ...] = (),
		timeout: float = 30.0,
		start_timeout: float = 20.0,
		extra_flags: tuple[str, ...] = (),
	):
		self.executable = find_executable(executable)
		self.site_hosts = tuple(h.lower() for h in site_hosts if h)
		self.timeout = timeout
		self.start_timeout = start_timeout
		self.extra_flags = tuple(extra_flags)
		self.process: subprocess.Popen | None = None
		self.pid = os.getpid()
		self.profile: str | None = None
		self.session: str | None = None
		self.documents = 0
		# replaced by its owner after this many documents or past this PSS (0: no bound); the
		# documents count when the memory was last read
		self.recycle_after, self.recycle_bytes, self.memory_checked_at = 1000, 0, 0
		self.blocked: list[str] = []
		self._ids = itertools.count(1)
		self._to_chrome: int | None = None
		self._from_chrome: int | None = None
		self._buffer = b""
		self._inbox: deque[dict] = deque()
		self._events: list[dict] = []
		self._selector: selectors.BaseSelector | None = None
		self._resolver: Resolver | None = None
		self._document: bytes = b""
		self._document_url = ""
		self._viewport_width: int | None = None

	# --- life cycle -----------------------------------------------------------------------------

	@property
	def alive(self) -> bool:
		return (
			self.process is not None
			and self.process.poll() is None
			and self.pid == os.getpid()
			and self.session is not None
		)

	def start(self) -> Chromium:
		if self.alive:
			return self
		if not self.executable:
			raise ChromiumError("Chromium was not found (install chromium or set its path).")
		self.close()
		self.pid = os.getpid()
		self.profile = tempfile.mkdtemp(prefix="relance-chromium-")
		# fd 3: what Chromium reads (our commands); fd 4: what it writes (answers and events)
		cmd_read, cmd_write = os.pipe()
		out_read, out_write = os.pipe()
		# the child's ends above 9, so that moving them to 3 and 4 never closes one of them
		cmd_read, out_write = high_fd(cmd_read), high_fd(out_write)
		flags = [
			*FLAGS,
			f"--user-data-dir={self.profile}",
			"--remote-debugging-pipe",
			*self.extra_flags,
		]
		if self.site_hosts:
			# only the site's own host names resolve; everything else fails before any connection
			excluded = ", ".join(f"EXCLUDE {h}" for h in self.site_hosts)
			flags.append(f"--host-resolver-rules=MAP * ~NOTFOUND, {excluded}")
		script = f'exec "$@" 3<&{cmd_read} 4>&{out_write} {cmd_read}<&- {out_write}>&-'
		try:
			self.process = subprocess.Popen(
				[SHELL, "-c", script, "bash", self.executable, *flags, "about:blank"],
				pass_fds=(cmd_read, out_write),
				stdin=subprocess.DEVNULL,
				stdout=subprocess.DEVNULL,
				stderr=subprocess.DEVNULL,
				start_new_session=True,  # a signal to the worker's group does not reach the browser
			)
		except OSError as e:
			for fd in (cmd_read, cmd_write, out_read, out_write):
				os.close(fd)
			raise ChromiumError(f"Chromium could not be started: {e}") from e
		os.close(cmd_read)
		os.close(out_write)
		self._to_chrome, self._from_chrome = cmd_write, out_read
		os.set_blocking(out_read, False)
		self._selector = selectors.DefaultSelector()
		self._selector.register(out_read, selectors.EVENT_READ)
		self._buffer, self._events = b"", []
		self._inbox.clear()
		self._viewport_width = None
		try:
			self._open_page()
		except Exception:
			self.close()
			raise
		return self

	def _open_page(self) -> None:
		deadline = time.monotonic() + self.start_timeout
		target = self.call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
		self.session = self.call(
			"Target.attachToTarget", {"targetId": target, "flatten": True}, deadline=deadline
		)["sessionId"]
		for method, params in (
			("Page.enable", {}),
			("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}),
			# as wkhtmltopdf with Frappe's options (--disable-javascript): the print HTML is static
			("Emulation.setScriptExecutionDisabled", {"value": True}),
			("Emulation.setEmulatedMedia", {"media": "print"}),
		):
			self.call(method, params, session=True, deadline=deadline)

	def close(self) -> None:
		"""Stop the browser (only the process that started it does; a fork just forgets it)."""
		mine = self.pid == os.getpid()
		if self._selector is not None:
			with contextlib.suppress(Exception):
				self._selector.close()
		for fd in (self._to_chrome, self._from_chrome):
			if fd is not None:
				with contextlib.suppress(OSError):
					os.close(fd)
		self._to_chrome = self._from_chrome = None
		self._selector = None
		self.session = None
		if self.process is not None and mine:
			with contextlib.suppress(Exception):
				if self.process.poll() is None:
					os.killpg(self.process.pid, signal.SIGTERM)
					try:
						self.process.wait(3)
					except subprocess.TimeoutExpired:
						os.killpg(self.process.pid, signal.SIGKILL)
						self.process.wait(3)
		self.process = None
		if self.profile and mine:
			shutil.rmtree(self.profile, ignore_errors=True)
		self.profile = None

	def rss_bytes(self) -> int:
		"""Resident memory of the browser's processes (Linux /proc), 0 when unknown."""
		return process_tree_rss(self.process.pid) if self.process else 0

	def pss_bytes(self) -> int:
		"""Proportional memory of the browser's processes (pages they share counted once), 0 if unknown."""
		return process_tree_pss(self.process.pid) if self.process else 0

	# --- protocol ---------------------------------------------------------------------------------

	def _send(self, message: dict) -> None:
		data = json.dumps(message).encode() + b"\0"
		view = memoryview(data)
		while view:
			try:
				written = os.write(self._to_chrome, view)
			except BrokenPipeError as e:
				raise ChromiumError("Chromium closed its pipe.") from e
			view = view[written:]

	def _read(self, deadline: float) -> None:
		"""Read what Chromium wrote (at least one message), or raise at the deadline."""
		while b"\0" not in self._buffer:
			left = deadline - time.monotonic()
			if left <= 0:
				raise ChromiumError("Chromium did not answer in time.")
			if not self._selector.select(left):
				continue
			try:
				chunk = os.read(self._from_chrome, 1 << 20)
			except BlockingIOError:
				continue
			if not chunk:
				raise ChromiumError("Chromium exited.")
			self._buffer += chunk

	def _next(self, deadline: float) -> dict:
		"""The next message from Chromium (messages of one read are kept for the next calls)."""
		while not self._inbox:
			self._read(deadline)
			*complete, self._buffer = self._buffer.split(b"\0")
			self._inbox.extend(json.loads(raw) for raw in complete if raw)
		return self._inbox.popleft()

	def call(
		self, method: str, params: dict | None = None, session: bool = False, deadline: float | None = None
	) -> dict:
		"""Send one command and wait for its answer, serving the page's requests meanwhile."""
		deadline = deadline or time.monotonic() + self.timeout
		ident = next(self._ids)
		message = {"id": ident, "method": method, "params": params or {}}
		if session:
			message["sessionId"] = self.session
		self._send(message)
		while True:
			msg = self._next(deadline)
			if msg.get("id") == ident:
				if "error" in msg:
					raise ChromiumError(f"{method}: {msg['error'].get('message')}")
				return msg.get("result", {})
			if "method" in msg:
				self._on_event(msg)

	def notify(self, method: str, params: dict) -> None:
		"""A command whose answer nobody waits for (answers to paused requests)."""
		self._send({"id": next(self._ids), "method": method, "params": params, "sessionId": self.session})

	def _on_event(self, msg: dict) -> None:
		if msg.get("method") == "Fetch.requestPaused":
			self._serve(msg["params"])
		elif msg.get("method") == "Target.detachedFromTarget" or msg.get("method") == "Inspector.detached":
			raise ChromiumError("Chromium detached the page.")
		else:
			self._events.append(msg)

	def _serve(self, params: dict) -> None:
		"""Every request the page makes: the document itself, the site's own files, nothing else."""
		request_id, url = params["requestId"], params["request"]["url"]
		if url == self._document_url:
			self._fulfil(request_id, 200, "text/html; charset=utf-8", self._document)
			return
		parts = urlsplit(url)
		if parts.scheme in ("data", "blob", "about"):
			self.notify("Fetch.continueRequest", {"requestId": request_id})
			return
		if parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.site_hosts:
			answer = self._resolver(url) if self._resolver else None
			if answer is not None:
				self._fulfil(request_id, *answer, cache=answer[0] == 200)
			else:
				self.notify("Fetch.continueRequest", {"requestId": request_id})
			return
		self.blocked.append(url)
		self.notify("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})

	def _fulfil(
		self, request_id: str, status: int, content_type: str, body: bytes, cache: bool = False
	) -> None:
		headers = [{"name": "Content-Type", "value": content_type}]
		if cache:  # the site's files: kept in the browser's memory for the next documents
			headers.append({"name": "Cache-Control", "value": "public, max-age=3600"})
		self.notify(
			"Fetch.fulfillRequest",
			{
				"requestId": request_id,
				"responseCode": status,
				"responseHeaders": headers,
				"body": base64.b64encode(body).decode(),
			},
		)

	def _wait_event(self, method: str, deadline: float) -> dict:
		while True:
			for i, event in enumerate(self._events):
				if event.get("method") == method:
					del self._events[: i + 1]
					return event
			self._events.clear()
			msg = self._next(deadline)
			if "method" in msg:
				self._on_event(msg)

	# --- documents --------------------------------------------------------------------------------

	def _load(self, html: str, base_url: str, resolver: Resolver | None, deadline: float) -> None:
		"""Load one HTML document as if the site served it at `base_url` (relative links resolve
		against the site), the page's own requests answered by `resolver`."""
		self.start()
		self.documents += 1
		self._resolver = resolver
		self._document = html.encode("utf-8")
		self._document_url = f"{base_url.rstrip('/')}/__relance_pdf__/{self.pid}-{self.documents}"
		self._events.clear()
		result = self.call("Page.navigate", {"url": self._document_url}, session=True, deadline=deadline)
		if result.get("errorText"):
			raise ChromiumError(f"Page.navigate: {result['errorText']}")
		self._wait_event("Page.loadEventFired", deadline)

	def pdf(self, html: str, base_url: str, page: PageSetup, resolver: Resolver | None = None) -> bytes:
		"""The PDF of one HTML document. Content wider than the page (a table with many columns) is
		scaled down to the page's width, as wkhtmltopdf shrinks it, never cut at the right edge."""
		deadline = time.monotonic() + self.timeout
		width_px = round(page.printable_width_mm / MM_PER_INCH * 96)
		try:
			self._viewport(width_px, deadline)
			self._load(with_edge_room(html), base_url, resolver, deadline)
			params = page.print_params()
			metrics = self.call("Page.getLayoutMetrics", session=True, deadline=deadline)
			content = float(
				(metrics.get("cssContentSize") or metrics.get("contentSize") or {}).get("width", 0)
			)
			if content > width_px + 1:
				params["scale"] = max(0.1, round(params.get("scale", 1) * width_px / content, 3))
			out = self.call("Page.printToPDF", params, session=True, deadline=deadline)
		except ChromiumError:
			self.close()  # a browser in an unknown state is not reused
			raise
		finally:
			self._document = b""
			self._resolver = None
		return base64.b64decode(out["data"])

	def _viewport(self, width_px: int, deadline: float) -> None:
		"""Lay documents out at the page's printable width (kept between documents of the same width)."""
		if self._viewport_width != width_px:
			self.call(
				"Emulation.setDeviceMetricsOverride",
				{"width": width_px, "height": 10, "deviceScaleFactor": 1, "mobile": False},
				session=True,
				deadline=deadline,
			)
			self._viewport_width = width_px

	def layout(
		self,
		html: str,
		base_url: str,
		width_mm: float,
		resolver: Resolver | None = None,
		used_css: bool = False,
	) -> tuple[float, str | None]:
		"""Height in mm of a document laid out for print at `width_mm` (a header or a footer) and,
		when asked, the style rules it uses (USED_CSS_SCRIPT; None when a stylesheet cannot be read).
		Chromium lays every page's header and footer template out again: a template that carries the
		whole print stylesheet (bootstrap and Frappe's print styles, 200 KB) costs tens of milliseconds
		per document, one with the rules it uses nothing measurable."""
		deadline = time.monotonic() + self.timeout
		width_px = round(width_mm / MM_PER_INCH * 96)
		answer: dict = {}
		try:
			self._viewport(width_px, deadline)
			self._load(html, base_url, resolver, deadline)
			metrics = self.call("Page.getLayoutMetrics", session=True, deadline=deadline)
			if used_css:  # after the measure: the script wraps the body's content
				answer = self.call(
					"Runtime.evaluate",
					{"expression": USED_CSS_SCRIPT, "returnByValue": True},
					session=True,
					deadline=deadline,
				)
		except ChromiumError:
			self.close()
			raise
		finally:
			self._document = b""
			self._resolver = None
		size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
		height = float(size.get("height", 0)) / 96 * MM_PER_INCH
		if not used_css or answer.get("exceptionDetails"):
			return height, None
		return height, (answer.get("result") or {}).get("value")


def with_edge_room(html: str) -> str:
	head = re.search(r"<head\b[^>]*>", html, re.IGNORECASE)
	if head:
		return html[: head.end()] + EDGE_ROOM + html[head.end() :]
	return EDGE_ROOM + html


def high_fd(fd: int) -> int:
	"""The same pipe end under a descriptor number of 10 or more."""
	high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
	os.close(fd)
	return high
