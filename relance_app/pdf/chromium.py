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
from pathlib import Path
from urllib.parse import urlsplit

from relance_app.pdf.memory import process_tree_pss, process_tree_rss
from relance_app.pdf.page_setup import MM_PER_INCH, PageSetup

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

# Tables fill the print width and collapse their borders, whose outer half lies outside the page's
# printable box, where Chromium clips it (wkhtmltopdf draws it): a pixel of room on each side keeps
# the outer borders whole. First in the head, so a print format that pads `html` itself wins.
EDGE_ROOM = "<style>html{padding:0 1px}</style>"
USED_CSS_SCRIPT = (Path(__file__).parent / "used_css.js").read_text(encoding="utf-8")
# the measuring page's body replaced by another document's (Chromium.layout), measured once its images
# are decoded and its fonts loaded
SWAP_BODY_SCRIPT = """async (html) => {
	const next = new DOMParser().parseFromString(html, "text/html");
	document.body.replaceWith(document.adoptNode(next.body));
	await Promise.all([...document.images].map((img) => img.decode().catch(() => null)));
	await document.fonts.ready;
	return true;
}"""
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
		self._viewports: dict[str, int] = {}  # the layout width of each page, kept between documents
		# each page's frame and the site address its document was loaded at: the next document of the
		# same site replaces that document's content (Page.setDocumentContent), not a navigation
		self._frames: dict[str, tuple[str, str]] = {}
		# a second page for measuring headers and footers, and the shape of the document it holds
		self.measure_session: str | None = None
		self._measure_shape: str | None = None

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
		self._viewports, self._frames = {}, {}
		self.measure_session, self._measure_shape = None, None
		try:
			self._open_page()
		except Exception:
			self.close()
			raise
		return self

	def _open_page(self) -> None:
		self.session = self._open_target(time.monotonic() + self.start_timeout)

	def _open_target(self, deadline: float) -> str:
		"""A new page, attached: its session id."""
		target = self.call("Target.createTarget", {"url": "about:blank"}, deadline=deadline)["targetId"]
		session = self.call(
			"Target.attachToTarget", {"targetId": target, "flatten": True}, deadline=deadline
		)["sessionId"]
		for method, params in (
			("Page.enable", {}),
			("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}),
			# as wkhtmltopdf with Frappe's options (--disable-javascript): the print HTML is static
			("Emulation.setScriptExecutionDisabled", {"value": True}),
			("Emulation.setEmulatedMedia", {"media": "print"}),
		):
			self.call(method, params, session=session, deadline=deadline)
		return session

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
		self.session = self.measure_session = self._measure_shape = None
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
		self,
		method: str,
		params: dict | None = None,
		session: bool | str = False,
		deadline: float | None = None,
	) -> dict:
		"""Send one command and wait for its answer, serving the pages' requests meanwhile. `session`:
		True for the page, or the session id of another page."""
		deadline = deadline or time.monotonic() + self.timeout
		ident = next(self._ids)
		message = {"id": ident, "method": method, "params": params or {}}
		if session:
			message["sessionId"] = session if isinstance(session, str) else self.session
		self._send(message)
		while True:
			msg = self._next(deadline)
			if msg.get("id") == ident:
				if "error" in msg:
					raise ChromiumError(f"{method}: {msg['error'].get('message')}")
				return msg.get("result", {})
			if "method" in msg:
				self._on_event(msg)

	def notify(self, method: str, params: dict, session: str | None = None) -> None:
		"""A command whose answer nobody waits for (answers to paused requests)."""
		message = {"id": next(self._ids), "method": method, "params": params}
		self._send({**message, "sessionId": session or self.session})

	def _on_event(self, msg: dict) -> None:
		if msg.get("method") == "Fetch.requestPaused":
			self._serve(msg["params"], msg.get("sessionId"))
		elif msg.get("method") == "Target.detachedFromTarget" or msg.get("method") == "Inspector.detached":
			raise ChromiumError("Chromium detached the page.")
		else:
			self._events.append(msg)

	def _serve(self, params: dict, session: str | None = None) -> None:
		"""Every request a page makes: the document itself, the site's own files, nothing else."""
		request_id, url = params["requestId"], params["request"]["url"]
		if url == self._document_url:
			self._fulfil(request_id, 200, "text/html; charset=utf-8", self._document, session=session)
			return
		parts = urlsplit(url)
		if parts.scheme in ("data", "blob", "about"):
			self.notify("Fetch.continueRequest", {"requestId": request_id}, session)
			return
		if parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.site_hosts:
			answer = self._resolver(url) if self._resolver else None
			if answer is not None:
				self._fulfil(request_id, *answer, cache=answer[0] == 200, session=session)
			else:
				self.notify("Fetch.continueRequest", {"requestId": request_id}, session)
			return
		self.blocked.append(url)
		self.notify("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"}, session)

	def _fulfil(
		self,
		request_id: str,
		status: int,
		content_type: str,
		body: bytes,
		cache: bool = False,
		session: str | None = None,
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
			session,
		)

	def _wait_event(self, method: str, deadline: float, session: str | None = None) -> dict:
		"""The next event `method` of the page (or of the page of `session`)."""
		session = session or self.session
		while True:
			for i, event in enumerate(self._events):
				if event.get("method") == method and event.get("sessionId", session) == session:
					del self._events[: i + 1]
					return event
			self._events.clear()
			msg = self._next(deadline)
			if "method" in msg:
				self._on_event(msg)

	# --- documents --------------------------------------------------------------------------------

	def _load(
		self,
		html: str,
		base_url: str,
		resolver: Resolver | None,
		deadline: float,
		session: str | None = None,
	) -> None:
		"""Load one HTML document as if the site served it at `base_url` (relative links resolve
		against the site), the page's own requests answered by `resolver`.

		A page's first document is navigated to; the next ones of the same site replace its content
		(Page.setDocumentContent: document.open, write and close in the same frame, at the same
		address). Same markup, same address, same stylesheets (from the browser's memory cache), the
		same PDF; without a navigation's cost (a third of a document's time in the browser)."""
		self.start()
		self.documents += 1
		self._resolver = resolver
		self._events.clear()
		session = session or self.session
		frame = self._frames.get(session)
		if frame and frame[1] == base_url:
			self.call(
				"Page.setDocumentContent",
				{"frameId": frame[0], "html": html},
				session=session,
				deadline=deadline,
			)
		else:
			self._frames.pop(session, None)
			self._document = html.encode("utf-8")
			self._document_url = f"{base_url.rstrip('/')}/__relance_pdf__/{self.pid}-{self.documents}"
			result = self.call(
				"Page.navigate", {"url": self._document_url}, session=session, deadline=deadline
			)
			if result.get("errorText"):
				raise ChromiumError(f"Page.navigate: {result['errorText']}")
			self._frames[session] = (result["frameId"], base_url)
		self._wait_event("Page.loadEventFired", deadline, session)

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

	def _viewport(self, width_px: int, deadline: float, session: str | None = None) -> None:
		"""Lay documents out at the page's printable width (kept between documents of the same width)."""
		session = session or self.session
		if self._viewports.get(session) != width_px:
			self.call(
				"Emulation.setDeviceMetricsOverride",
				{"width": width_px, "height": 10, "deviceScaleFactor": 1, "mobile": False},
				session=session,
				deadline=deadline,
			)
			self._viewports[session] = width_px

	def layout(
		self,
		html: str,
		base_url: str,
		width_mm: float,
		resolver: Resolver | None = None,
		used_css: bool = False,
		shape: str | None = None,
	) -> tuple[float, str | None]:
		"""Height in mm of a document laid out for print at `width_mm` (a header or a footer) and,
		when asked, the style rules it uses (USED_CSS_SCRIPT; None when a stylesheet cannot be read).
		Chromium lays every page's header and footer template out again: a template that carries the
		whole print stylesheet (bootstrap and Frappe's print styles, 200 KB) costs tens of milliseconds
		per document, one with the rules it uses nothing measurable.

		Measured on a page of its own, which keeps the last document: one of the same `shape` (the same
		head and stylesheets, another text: the next invoice's header) only replaces its body, its
		images and fonts ready before it is measured, where loading it again would cost a page load."""
		deadline = time.monotonic() + self.timeout
		width_px = round(width_mm / MM_PER_INCH * 96)
		answer: dict = {}
		try:
			self.start()
			if not self.measure_session:
				self.measure_session = self._open_target(deadline)
			page = self.measure_session
			self._viewport(width_px, deadline, page)
			if not (shape and shape == self._measure_shape and self._swap_body(html, resolver, deadline)):
				self._measure_shape = None
				self._load(html, base_url, resolver, deadline, session=page)
				self._measure_shape = shape
			metrics = self.call("Page.getLayoutMetrics", session=page, deadline=deadline)
			if used_css:  # after the measure: the script wraps the body's content
				answer = self.call(
					"Runtime.evaluate",
					{"expression": USED_CSS_SCRIPT, "returnByValue": True},
					session=page,
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

	def _swap_body(self, html: str, resolver: Resolver | None, deadline: float) -> bool:
		"""The measuring page's body replaced by the body of `html`, once its images and fonts are
		ready; False when that failed (the document is then loaded)."""
		self._resolver = resolver  # the images of the new body are the site's
		answer = self.call(
			"Runtime.evaluate",
			{
				"expression": f"({SWAP_BODY_SCRIPT})({json.dumps(html)})",
				"awaitPromise": True,
				"returnByValue": True,
			},
			session=self.measure_session,
			deadline=deadline,
		)
		return not answer.get("exceptionDetails") and (answer.get("result") or {}).get("value") is True


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
