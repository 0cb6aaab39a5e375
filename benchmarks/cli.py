"""What the benchmarks' command lines share: a parser with the module's docstring as its help and the
site to run on, and the site's connection (the checkout importable as `relance_app` and `benchmarks`),
closed at the end."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

CHECKOUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def parser(doc: str | None) -> argparse.ArgumentParser:
	out = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
	out.add_argument("--site", required=True)
	return out


def importable() -> None:
	"""The checkout first on the path: the benchmarks run as scripts from the bench's sites folder."""
	if CHECKOUT not in sys.path:
		sys.path.insert(0, CHECKOUT)


@contextlib.contextmanager
def site(name: str):
	"""Frappe connected to the site for the block, then destroyed."""
	importable()
	import frappe

	frappe.init(site=name)
	frappe.connect()
	try:
		yield frappe
	finally:
		frappe.destroy()
