"""The PDF engine of relance emails (Relance Settings > PDF Engine) and their delivery job, on a real site:
the same invoice print format through Chromium, delivered by SMTP to a loopback server, the fallback to
wkhtmltopdf when Chromium is missing, no network beyond the site, nothing changed for the rest of
ERPNext, each email sent once."""

import io
import os
import re
from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from relance_app.exceptions import RelanceSettingsError
from relance_app.pdf import delivery, engine
from relance_app.pdf.chromium import ChromiumError, find_executable
from relance_app.pdf.page_setup import PageSetup
from relance_app.run.daily import sync_email_statuses
from relance_app.tests.test_run import TODAY, RelanceRunCase, run
from relance_app.tests.utils import (
	flush_queue,
	logs_of,
	make_invoice,
	pdf_text,
	policy_copy,
	set_aside_own_emails,
	settings_changed,
)

HAS_CHROMIUM = bool(find_executable(os.environ.get("RELANCE_CHROMIUM")))


def by_chromium(pdf: bytes) -> bool:
	"""Chromium's PDFs are made by Skia; wkhtmltopdf's pass through Frappe's pypdf writer."""
	from pypdf import PdfReader

	return "Skia" in str((PdfReader(io.BytesIO(pdf)).metadata or {}).get("/Producer", ""))


def squeeze(text: str) -> str:
	return re.sub(r"\s+", "", text)


class PdfEngineCase(RelanceRunCase):
	def setUp(self):
		super().setUp()
		frappe.flags.testing_email = True
		frappe.flags.mute_emails = False
		self.previous_engine = frappe.db.get_single_value("Relance Settings", "pdf_engine")

	def tearDown(self):
		frappe.db.set_single_value("Relance Settings", "pdf_engine", self.previous_engine or "wkhtmltopdf")
		# nothing of this test left held for a delivery job: the next run's jobs would take it
		set_aside_own_emails()
		frappe.db.commit()  # nosemgrep
		engine.close_browser()
		super().tearDown()

	def use(self, name):
		frappe.db.set_single_value("Relance Settings", "pdf_engine", name)
		frappe.db.commit()  # nosemgrep

	def queued_relance(self, amount=4321.0):
		customer, address = self.customer()
		si = make_invoice(customer, add_days(TODAY, -10), amount=amount)
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		self.assertEqual(log.status, "Queued")
		return si, address, log


class TestChromiumDelivery(PdfEngineCase):
	def setUp(self):
		if not HAS_CHROMIUM:
			self.skipTest("Chromium is not installed")
		super().setUp()

	def test_relance_delivered_with_chromium_pdf_of_the_invoice_print_format(self):
		self.use("Chromium")
		si, address, log = self.queued_relance()
		hold = frappe.db.get_value("Email Queue", log.email_queue, "send_after")
		self.assertGreater(hold, frappe.utils.now_datetime(), "Frappe's flush leaves it to the job")

		counts = delivery.deliver([log.email_queue])
		self.assertEqual(counts.get("sent"), 1, counts)
		[mail] = self.smtp.to(address)
		[(fname, pdf)] = mail.pdfs()
		self.assertEqual(fname, f"{si.name}.pdf")
		self.assertTrue(by_chromium(pdf), "rendered by Chromium")
		text = squeeze(pdf_text(pdf))
		for expected in (si.name, si.customer_name, "4321,00"):
			self.assertIn(squeeze(expected), text)

		# delivered once: a second job, or the test flush, finds nothing to send
		self.assertEqual(delivery.deliver([log.email_queue]), {"not_sendable": 1})
		self.assertEqual(flush_queue(), 0)
		self.assertEqual(len(self.smtp.to(address)), 1)
		sync_email_statuses()
		self.assertEqual(frappe.db.get_value("Relance Log", log.name, "status"), "Sent")
		self.assertFalse(frappe.db.get_value("Relance Log", log.name, "error"))

	def test_same_text_as_wkhtmltopdf(self):
		si, _address, log = self.queued_relance(amount=987.65)
		[attachment] = [a for a in frappe.get_doc("Email Queue", log.email_queue).attachments_list]
		attachment.pop("print_format_attachment")
		texts = {}
		for name in ("wkhtmltopdf", "Chromium"):
			with engine.relance_emails(name):
				pdf = frappe.attach_print(**attachment)["fcontent"]
			texts[name] = squeeze(pdf_text(pdf))
		self.assertFalse(by_chromium(frappe.attach_print(**attachment)["fcontent"]))
		for expected in (si.name, si.customer_name, "987,65", si.items[0].item_name):
			for name, text in texts.items():
				self.assertIn(squeeze(expected), text, name)

	def test_the_stages_letter_head_is_on_the_attachment_in_both_engines(self):
		mark = f"LETTERHEAD {frappe.generate_hash(length=6)}"
		# disabled: never the site's default letter head (the first one would become it), still printable
		letter_head = frappe.get_doc(
			{
				"doctype": "Letter Head",
				"letter_head_name": mark,
				"source": "HTML",
				"content": f"<div><b>{mark}</b></div>",
				"disabled": 1,
			}
		).insert(ignore_permissions=True)
		self.addCleanup(
			frappe.delete_doc, "Letter Head", letter_head.name, force=True, ignore_permissions=True
		)
		customer, _address = self.customer()
		policy_copy(customer, {1: {"letter_head": letter_head.name}})
		si = make_invoice(customer, add_days(TODAY, -10))
		run([si])
		[log] = [x for x in logs_of(si.name) if x.stage_name == "Relance 1"]
		[attachment] = frappe.get_doc("Email Queue", log.email_queue).attachments_list
		self.assertEqual(attachment.get("letterhead"), letter_head.name)
		attachment.pop("print_format_attachment")
		for name in ("wkhtmltopdf", "Chromium"):
			with engine.relance_emails(name):
				pdf = frappe.attach_print(**attachment)["fcontent"]
			self.assertIn(squeeze(mark), squeeze(pdf_text(pdf)), name)

	def test_repeated_header_and_footer_are_drawn_in_the_margins(self):
		si, _address, log = self.queued_relance()
		[attachment] = frappe.get_doc("Email Queue", log.email_queue).attachments_list
		attachment.pop("print_format_attachment")
		# in this transaction only: the print gets Frappe's header and footer documents
		with (
			settings_changed("Print Settings", {"repeat_header_footer": 1}),
			engine.relance_emails("Chromium"),
		):
			pdf = frappe.attach_print(**attachment)["fcontent"]
		self.assertTrue(by_chromium(pdf))
		text = squeeze(pdf_text(pdf))
		self.assertIn(squeeze(si.name), text, "the heading, drawn as Chromium's page header")
		self.assertIn("1", text)
		# the print stylesheet is 200 KB; the header and footer templates carry the rules they use
		sizes = [len(template) for template, _height in engine._header_parts.values()]
		self.assertTrue(sizes)
		self.assertLess(max(sizes), 60_000, sizes)

	def test_a_header_template_carries_the_style_rules_it_uses_only(self):
		"""Chromium lays the header and footer templates out on every page: they carry the rules
		their elements use (pseudo-elements and states kept, media blocks trimmed, at-rules kept)."""
		html = (
			"<html><head><style>.used{color:red}.unused{color:blue}p.used::before{content:'x'}"
			"a.used:hover{color:green}.print-format .used{margin:0}"
			"@media print{.used{font-weight:bold}.gone{color:red}}@media screen{.gone{color:red}}"
			"@font-face{font-family:Relance;src:url(/nothing.woff2)}</style></head>"
			"<body><p class='used'>x</p><a class='used'>y</a></body></html>"
		)
		height, css = engine.browser().layout(html, frappe.utils.get_url(), 180, used_css=True)
		self.assertGreater(height, 0)
		for kept in (
			".used",
			"p.used::before",
			"a.used:hover",
			".print-format .used",
			"@media print",
			"@font-face",
		):
			self.assertIn(kept, css)
		for gone in (".unused", ".gone", "@media screen"):
			self.assertNotIn(gone, css)

	def test_a_header_measured_in_place_of_the_last_one_measures_as_loaded(self):
		"""The next invoice's header replaces the text of the last one on the measuring page: its
		height is the one a fresh load of it gives, text wrapping and images included."""
		chrome, url = engine.browser(), frappe.utils.get_url()
		logo = '<img src="/assets/frappe/images/frappe-framework-logo.png">'

		def header(text, image=""):
			return (
				"<html><head><style>.h{font-size:20px}</style></head>"
				f"<body>{image}<div class='h'>{text}</div></body></html>"
			)

		def loaded(doc):
			return chrome.layout(doc, url, 180, resolver=engine.site_file)[0]

		def in_place(last, doc):
			chrome.layout(last, url, 180, resolver=engine.site_file, shape="one shape")
			documents = chrome.documents
			height = chrome.layout(doc, url, 180, resolver=engine.site_file, shape="one shape")[0]
			self.assertEqual(chrome.documents, documents, "measured without loading a page")
			return height

		short, long = "Facture ACC-SINV-1", "Facture " + "très longue " * 40
		self.assertGreater(loaded(header(long)), loaded(header(short)), "the long one wraps")
		self.assertGreater(loaded(header(short, logo)), loaded(header(short)), "the image counts")
		for last, doc in (
			(header(short), header(long)),
			(header(long), header(short)),
			(header(short, logo), header(long, logo)),
		):
			self.assertEqual(in_place(last, doc), loaded(doc))

	def test_a_header_template_carries_the_sites_images_inline(self):
		"""Chromium's header and footer templates load nothing: a letter head's logo from the site is
		written into the template, an image from elsewhere is left as it is (and not drawn)."""
		logo = "/assets/frappe/images/frappe-framework-logo.svg"
		document = f'<html><body><img src="{frappe.utils.get_url(logo)}"><img src="https://example.com/x.png"></body></html>'
		page = PageSetup.from_wkhtmltopdf({"page-size": "A4"})
		template = engine.header_template(document, page)
		self.assertIn('src="data:image/svg+xml;base64,', template)
		self.assertIn('src="https://example.com/x.png"', template)
		self.assertNotIn(logo, template)

	def test_the_rest_of_erpnext_keeps_wkhtmltopdf(self):
		self.use("Chromium")
		si, _address, _log = self.queued_relance()
		pdf = frappe.get_print("Sales Invoice", si.name, as_pdf=True)
		self.assertFalse(by_chromium(pdf))
		before = dict(frappe.local.form_dict)
		with engine.relance_emails():
			self.assertEqual(frappe.local.form_dict.pdf_generator, engine.GENERATOR)
			frappe.get_print("Sales Invoice", si.name, as_pdf=True)
		self.assertEqual(dict(frappe.local.form_dict), before)
		self.assertFalse(by_chromium(frappe.get_print("Sales Invoice", si.name, as_pdf=True)))

	def test_no_network_beyond_the_site(self):
		html = (
			"<html><head></head><body><div class='print-format'><p>Facture</p>"
			"<img src='http://example.com/tracker.png'><img src='https://203.0.113.9/x.png'>"
			f"<img src='{frappe.utils.get_url()}/assets/frappe/images/frappe-framework-logo.svg'>"
			"</div></body></html>"
		)
		pdf = engine.render(html)
		self.assertTrue(pdf.startswith(b"%PDF"))
		blocked = engine.browser().blocked
		self.assertIn("http://example.com/tracker.png", blocked)
		self.assertIn("https://203.0.113.9/x.png", blocked)
		self.assertFalse([u for u in blocked if "frappe-framework-logo" in u])

	def test_content_wider_than_the_page_is_scaled_down_not_cut(self):
		from pypdf import PdfReader

		cells = "".join(f"<td style='min-width:120px'>C{i}</td>" for i in range(12))
		html = (
			"<html><head></head><body><div class='print-format'>"
			f"<table><tr>{cells}<td style='min-width:120px'>RIGHTEDGE</td></tr></table></div></body></html>"
		)
		page = PdfReader(io.BytesIO(engine.render(html))).pages[0]
		width = float(page.mediabox.width)
		found = []

		def visit(text, cm, tm, _font, _size):
			if "RIGHTEDGE" in text:
				found.append(cm[0] * tm[4] + cm[2] * tm[5] + cm[4])

		page.extract_text(visitor_text=visit)
		self.assertTrue(found, "the last column is in the PDF")
		self.assertLess(max(found), width, "and inside the page")

	def test_a_table_filling_the_page_keeps_its_right_border(self):
		"""A collapsed border's outer half lies outside the printable box, where Chromium clips it: the
		right border of an ERPNext item table (full width) came out half drawn, too faint to see."""
		import shutil
		import subprocess

		from PIL import Image

		if not shutil.which("pdftoppm"):
			self.skipTest("pdftoppm (poppler-utils, which setup_bench.sh installs) is not installed")
		cell = "<td style='border:1px solid #000;padding:4px'>{}</td>"
		html = (
			"<html><head></head><body style='margin:0'><div class='print-format'>"
			"<table style='width:100%;border-collapse:collapse'><tr>"
			f"{cell.format('A')}{cell.format('B')}</tr></table></div></body></html>"
		)
		png = subprocess.run(
			["pdftoppm", "-r", "192", "-gray", "-f", "1", "-l", "1", "-png", "-"],
			input=engine.render(html),
			capture_output=True,
			check=True,
		).stdout
		image = Image.open(io.BytesIO(png)).convert("L")
		width = image.size[0]
		pixels = image.load()
		rows = [y for y in range(400) if sum(pixels[x, y] < 100 for x in range(width)) > width // 3]
		self.assertTrue(rows, "the table's top and bottom borders")
		y = (rows[0] + rows[-1]) // 2
		dark = [x for x in range(width) if pixels[x, y] < 100]
		left = [x for x in dark if x < dark[0] + 4]
		right = [x for x in dark if x > dark[-1] - 4]
		self.assertEqual(len(right), len(left), f"right border as wide as the left one ({left}, {right})")

	def test_the_next_document_replaces_the_pages_content_and_prints_as_if_loaded(self):
		"""A page's first document is navigated to; the next one of the site replaces its content
		(Page.setDocumentContent) and gives the PDF a fresh page would: the same pixels, nothing of the
		document before it (its own style rules here) left behind."""
		import shutil
		import subprocess

		from PIL import Image

		if not shutil.which("pdftoppm"):
			self.skipTest("pdftoppm (poppler-utils, which setup_bench.sh installs) is not installed")
		customer, _address = self.customer()
		first, second = (make_invoice(customer, add_days(TODAY, -10), amount=a) for a in (1234.0, 5678.0))
		loud = frappe.get_print("Sales Invoice", first.name).replace(
			"</head>", "<style>*{font-size:40px!important;color:red!important}</style></head>", 1
		)
		html = frappe.get_print("Sales Invoice", second.name)

		def pixels(pdf: bytes) -> bytes:
			png = subprocess.run(
				["pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-png", "-"],
				input=pdf,
				capture_output=True,
				check=True,
			).stdout
			return Image.open(io.BytesIO(png)).convert("RGB").tobytes()

		engine.close_browser()
		loaded = engine.render(html)  # a fresh browser: navigated to
		engine.close_browser()
		chrome = engine.browser()
		methods = []
		call = chrome.call

		def recorded(method, *args, **kwargs):
			methods.append(method)
			return call(method, *args, **kwargs)

		with patch.object(chrome, "call", recorded):
			engine.render(loud)
			self.assertIn("Page.navigate", methods, "a page's first document is loaded")
			methods.clear()
			replaced = engine.render(html)
		self.assertIn("Page.setDocumentContent", methods)
		self.assertNotIn("Page.navigate", methods)
		self.assertIn(squeeze(second.name), squeeze(pdf_text(replaced)))
		self.assertEqual(pixels(replaced), pixels(loaded), "the same page as a fresh browser's")

	def test_one_browser_for_many_documents_and_a_crash_is_survived(self):
		html = "<html><head></head><body><div class='print-format'>{0}</div></body></html>"
		chrome = engine.browser()
		pid = chrome.process.pid
		for i in range(3):
			self.assertIn(f"document{i}", squeeze(pdf_text(engine.render(html.format(f"document {i}")))))
		self.assertEqual(engine.browser().process.pid, pid, "the same browser served every document")
		os.killpg(pid, 9)
		chrome.process.wait(5)
		# the next document starts a new browser
		self.assertIn("after", pdf_text(engine.render(html.format("after"))))
		self.assertNotEqual(engine.browser().process.pid, pid)

	def test_another_site_of_the_bench_gets_a_browser_of_its_own(self):
		chrome = engine.browser()
		pid = chrome.process.pid
		self.assertEqual(engine.browser().process.pid, pid)
		with patch.object(engine, "site_hosts", return_value=("other-site.example",)):
			other = engine.browser()
			self.assertNotEqual(other.process.pid, pid, "a browser resolves only its own site's hosts")
			self.assertEqual(other.site_hosts, ("other-site.example",))
		self.assertEqual(engine.browser().site_hosts, engine.site_hosts())

	def test_page_setup_follows_wkhtmltopdf_options(self):
		page = PageSetup.from_wkhtmltopdf(
			{"page-size": "Letter", "margin-top": "20mm", "margin-left": "0.5in", "orientation": "Landscape"}
		)
		self.assertAlmostEqual(page.width_mm, 215.9)
		self.assertAlmostEqual(page.margin_top_mm, 20)
		self.assertAlmostEqual(page.margin_left_mm, 12.7)
		self.assertTrue(page.print_params()["landscape"])


class TestFallback(PdfEngineCase):
	def test_chromium_missing_falls_back_to_wkhtmltopdf_and_says_so(self):
		self.use("Chromium")
		_si, address, log = self.queued_relance()
		engine.close_browser()
		errors_before = frappe.db.count("Error Log")
		with patch.dict(os.environ, {"RELANCE_CHROMIUM": "/nonexistent/chromium"}):
			counts = delivery.deliver([log.email_queue])
		self.assertEqual(counts.get("sent"), 1, counts)
		[mail] = self.smtp.to(address)
		[(_fname, pdf)] = mail.pdfs()
		self.assertFalse(by_chromium(pdf), "wkhtmltopdf rendered it")
		self.assertIn("Chromium", frappe.db.get_value("Relance Log", log.name, "error") or "")
		self.assertGreater(frappe.db.count("Error Log"), errors_before)

	def test_render_error_falls_back(self):
		with (
			engine.relance_emails("Chromium"),
			patch.object(engine, "render", side_effect=ChromiumError("x")),
		):
			pdf = frappe.get_print("Sales Invoice", self.queued_relance()[0].name, as_pdf=True)
		self.assertFalse(by_chromium(pdf))


class TestDeliveryJobs(PdfEngineCase):
	def test_a_batch_queues_its_emails_for_delivery_jobs_after_commit(self):
		jobs = []
		with patch.object(delivery, "enqueue", side_effect=lambda names: jobs.append(list(names))):
			_si, _address, log = self.queued_relance()
		self.assertEqual(jobs, [[log.email_queue]], "one delivery for the batch, after its commit")

	def test_no_new_delivery_job_while_one_still_waits_for_a_worker(self):
		"""Batches on busy workers: while the last delivery job queued has not started, the next
		batches queue none (it takes their emails when it starts); once it started, they do."""
		from rq.job import JobStatus

		enqueued, status = [], {}

		class Job:
			def __init__(self, job_id):
				self.job_id = job_id

			def get_status(self, refresh=True):
				return status[self.job_id]

			def get_position(self):
				return 0 if status[self.job_id] == JobStatus.QUEUED else None

		def fake_enqueue(method, **kwargs):
			enqueued.append((method, kwargs["job_id"], kwargs["email_queues"]))
			status[kwargs["job_id"]] = JobStatus.QUEUED

		frappe.cache.delete(frappe.cache.make_key(delivery.WAITING_JOB_KEY))
		self.addCleanup(frappe.cache.delete, frappe.cache.make_key(delivery.WAITING_JOB_KEY))
		with (
			patch.dict(frappe.flags, {"in_test": False}),
			patch.object(frappe, "enqueue", side_effect=fake_enqueue),
			patch(
				"frappe.utils.background_jobs.get_job",
				side_effect=lambda job_id: Job(job_id) if job_id in status else None,
			),
		):
			names = [f"EQ-{i}" for i in range(delivery.JOB_SIZE + 1)]
			self.assertEqual(delivery.enqueue(names), 2, "JOB_SIZE emails per job")
			self.assertEqual([e[2] for e in enqueued], [names[:-1], names[-1:]])
			self.assertEqual({e[0] for e in enqueued}, {delivery.JOB})
			self.assertTrue(delivery.job_waiting())
			self.assertEqual(delivery.enqueue(["EQ-next"]), 0, "the waiting job takes them")
			self.assertEqual(len(enqueued), 2)
			status[enqueued[-1][1]] = JobStatus.STARTED
			self.assertFalse(delivery.job_waiting())
			self.assertEqual(delivery.enqueue(["EQ-later"]), 1, "a started job may be past its last look")
			self.assertEqual(enqueued[-1][2], ["EQ-later"])
			status.clear()  # RQ forgot them
			self.assertEqual(delivery.enqueue(["EQ-last"]), 1)

	def test_a_job_a_worker_took_and_never_started_does_not_hold_deliveries_back(self):
		"""RQ's own queue and jobs: a job a worker took from its queue stays "queued" until it starts,
		and for good when the worker stopped in between. Only a job still in its queue is waiting."""
		from frappe.utils.background_jobs import create_job_id, get_redis_conn
		from rq import Queue

		queue = Queue(f"relance-test-{frappe.generate_hash(length=8)}", connection=get_redis_conn())
		job_id = f"{delivery.JOB_PREFIX}::{frappe.generate_hash(length=12)}"
		job = queue.enqueue("frappe.ping", job_id=create_job_id(job_id))
		self.addCleanup(queue.connection.delete, queue.key, queue.intermediate_queue_key)
		self.addCleanup(job.delete)
		key = frappe.cache.make_key(delivery.WAITING_JOB_KEY)
		frappe.cache.set(key, job_id)
		self.addCleanup(frappe.cache.delete, key)

		self.assertTrue(delivery.job_waiting(), "in its queue")
		taken, _queue = Queue.dequeue_any([queue], timeout=None, connection=queue.connection)
		self.assertEqual(taken.id, job.id)
		self.assertEqual(job.get_status(), "queued", "RQ's status until the job starts")
		self.assertFalse(delivery.job_waiting(), "taken by a worker: not waiting any more")

	def test_a_delivery_job_out_of_time_hands_the_waiting_relances_to_a_new_job(self):
		_first, first_address, first_log = self.queued_relance()
		_second, second_address, second_log = self.queued_relance()
		jobs = []
		with (
			patch.object(delivery, "TAKE_MORE_SECONDS", 0),
			patch.object(delivery, "enqueue", side_effect=lambda names: jobs.append(names) or 1),
		):
			counts = delivery.deliver([first_log.email_queue], "wkhtmltopdf")
		self.assertEqual((counts.get("sent"), counts.get("relayed")), (1, 1), counts)
		self.assertEqual(len(self.smtp.to(first_address)), 1)
		self.assertEqual(self.smtp.to(second_address), [], "not taken: its time was up")
		self.assertIn(second_log.email_queue, jobs[0], "the next job takes it")
		self.assertNotIn(first_log.email_queue, jobs[0])

		jobs.clear()
		with patch.object(delivery, "enqueue", side_effect=lambda names: jobs.append(names) or 1):
			counts = delivery.deliver([second_log.email_queue], "wkhtmltopdf")
		self.assertEqual(len(self.smtp.to(second_address)), 1)
		self.assertEqual(jobs, [], "in time: nothing to hand over")

	def test_held_relances_with_no_job_waiting_get_one_from_the_scheduler(self):
		_si, _address, log = self.queued_relance()
		key = frappe.cache.make_key(delivery.WAITING_JOB_KEY)
		frappe.cache.delete(key)
		self.addCleanup(frappe.cache.delete, key)
		jobs = []
		with patch.object(delivery, "enqueue", side_effect=lambda names: jobs.append(names) or len(names)):
			delivery.deliver_stranded()
			self.assertNotIn(log.email_queue, jobs[0], "fresh: its batch's own job may still come")
			jobs.clear()
			queued = now_datetime() - timedelta(minutes=delivery.STRANDED_MINUTES + 1)
			frappe.db.set_value("Email Queue", log.email_queue, "creation", queued, update_modified=False)
			delivery.deliver_stranded()
			self.assertIn(log.email_queue, jobs[0], "held ten minutes with no job waiting")
			jobs.clear()
			with patch.object(delivery, "job_waiting", return_value=True):
				self.assertEqual(delivery.deliver_stranded(), 0, "the waiting job takes it when it starts")
			self.assertEqual(jobs, [])

	def test_a_delivery_job_takes_the_other_waiting_relances_but_not_a_retry(self):
		first, first_address, first_log = self.queued_relance()
		_second, second_address, _second_log = self.queued_relance()
		_third, third_address, third_log = self.queued_relance()
		frappe.db.set_value("Email Queue", third_log.email_queue, "retry", 1)  # Frappe's flush retries it
		frappe.db.commit()  # nosemgrep
		counts = delivery.deliver([first_log.email_queue], "wkhtmltopdf")
		self.assertEqual(counts.get("sent"), 2, counts)
		self.assertEqual(len(self.smtp.to(first_address)), 1)
		self.assertEqual(len(self.smtp.to(second_address)), 1)
		self.assertEqual(self.smtp.to(third_address), [])
		self.assertEqual(frappe.db.get_value("Email Queue", third_log.email_queue, "status"), "Not Sent")
		self.assertIn(first.name, self.smtp.to(first_address)[0].subject)

	def test_wkhtmltopdf_engine_delivers_too(self):
		self.use("wkhtmltopdf")
		si, address, log = self.queued_relance()
		self.assertEqual(delivery.deliver([log.email_queue]).get("sent"), 1)
		[mail] = self.smtp.to(address)
		[(_fname, pdf)] = mail.pdfs()
		self.assertFalse(by_chromium(pdf))
		self.assertIn(si.name, pdf_text(pdf))


class TestChromiumChoice(FrappeTestCase):
	"""Choosing Chromium in Relance Settings where there is none is refused when it is chosen."""

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value("Relance Settings", "pdf_engine", "wkhtmltopdf")

	def tearDown(self):
		frappe.db.rollback()

	def choose_chromium(self):
		settings = frappe.get_single("Relance Settings")
		settings.pdf_engine = "Chromium"
		settings.save(ignore_permissions=True)

	def test_refused_without_chromium(self):
		with patch("relance_app.pdf.chromium.find_executable", return_value=None):
			with self.assertRaisesRegex(RelanceSettingsError, "chromium-headless-shell"):
				self.choose_chromium()
		self.assertEqual(frappe.db.get_single_value("Relance Settings", "pdf_engine"), "wkhtmltopdf")

	def test_refused_with_a_wrong_configured_path(self):
		with patch.dict(frappe.local.conf, {"relance_chromium_path": "/nonexistent/chromium"}):
			with self.assertRaisesRegex(RelanceSettingsError, "/nonexistent/chromium"):
				self.choose_chromium()

	def test_accepted_where_chromium_is(self):
		if not HAS_CHROMIUM:
			self.skipTest("no Chromium on this machine")
		self.choose_chromium()
		self.assertEqual(frappe.db.get_single_value("Relance Settings", "pdf_engine"), "Chromium")
