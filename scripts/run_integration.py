#!/usr/bin/env python3
"""relance_app's integration suite with its test classes in a shuffled order: each class must stand
alone (restore what it changed, touch only its own rows), whatever ran before it.

Run with the bench's Python from the bench's sites folder, on a site with allow_tests:

    cd ~/frappe-bench/sites
    ../env/bin/python ../apps/relance_app/scripts/run_integration.py --site SITE [--seed N]

It prints the seed (give it back with --seed to replay an order), the class order, and unittest's
summary; exit 1 when a test fails. The set-up is `bench run-tests`' own (frappe.test_runner.main):
flags.in_test, the scheduler paused for the run and put back, the app's before_tests hooks.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import random
import sys
import time
import unittest
from pathlib import Path

APP = "relance_app"


def test_classes(app_path: Path) -> list[type[unittest.TestCase]]:
	"""Every TestCase class with tests, defined in a test_*.py module of the app (its own module only:
	a base class imported from another module is not run twice)."""
	classes = []
	for path in sorted(app_path.rglob("test_*.py")):
		module_name = ".".join(path.relative_to(app_path.parent).with_suffix("").parts)
		module = importlib.import_module(module_name)
		for _name, cls in inspect.getmembers(module, inspect.isclass):
			if (
				issubclass(cls, unittest.TestCase)
				and cls.__module__ == module_name
				and unittest.TestLoader().getTestCaseNames(cls)
			):
				classes.append(cls)
	return classes


def main() -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--site", required=True)
	parser.add_argument("--seed", type=int, help="replay an order (default: a new seed, printed)")
	opts = parser.parse_args()
	seed = opts.seed if opts.seed is not None else random.SystemRandom().randrange(1_000_000)
	print(f"shuffle seed {seed} (replay: --seed {seed})", flush=True)

	import frappe
	import frappe.utils.scheduler

	frappe.init(site=opts.site, sites_path=".")
	frappe.connect()
	frappe.flags.in_test = True
	frappe.clear_cache()
	scheduler_was_disabled = frappe.utils.scheduler.is_scheduler_disabled(verbose=False)
	if not scheduler_was_disabled:
		frappe.utils.scheduler.disable_scheduler()
	try:
		for hook in frappe.get_hooks("before_tests", app_name=APP):
			frappe.get_attr(hook)()
		classes = test_classes(Path(frappe.get_app_path(APP)))
		random.Random(seed).shuffle(classes)
		print("order: " + ", ".join(f"{c.__module__.rsplit('.', 1)[-1]}.{c.__name__}" for c in classes))
		loader = unittest.TestLoader()
		suite = unittest.TestSuite(loader.loadTestsFromTestCase(cls) for cls in classes)
		start = time.monotonic()
		result = unittest.TextTestRunner(verbosity=1, stream=sys.stdout).run(suite)
		print(f"shuffled run (seed {seed}): {result.testsRun} tests in {time.monotonic() - start:.0f}s")
	finally:
		if not scheduler_was_disabled:
			frappe.utils.scheduler.enable_scheduler()
			frappe.db.commit()  # nosemgrep: as run-tests does, the site's scheduler is as it was
		frappe.destroy()
	return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
	sys.exit(main())
