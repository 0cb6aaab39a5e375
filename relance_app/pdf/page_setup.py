"""The page of a PDF: paper size, orientation, margins, header and footer templates, as Chromium's
Page.printToPDF takes them, read from the wkhtmltopdf options Frappe computes for a print."""

from __future__ import annotations

from dataclasses import dataclass, field

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
