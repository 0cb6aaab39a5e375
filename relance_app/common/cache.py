"""A cache for one batch of relances (one background job, one preview): the same company, policy,
sender or customer is looked up once, not once per invoice."""

import frappe


def memo(key, compute):
	cache = getattr(frappe.local, "relance_batch_cache", None)
	if cache is None:
		cache = frappe.local.relance_batch_cache = {}
	if key not in cache:
		cache[key] = compute()
	return cache[key]


def clear():
	frappe.local.relance_batch_cache = {}
