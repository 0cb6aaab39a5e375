"""Dunning Policy's `customer_group` became `target_customer_group`: a field named like a global
default ("customer_group", set by Selling Settings) was pre-filled with the root group on every new
policy. Carry the policies' groups over; the old column is left for `bench trim-tables`."""

import frappe


def execute():
	if not frappe.db.has_column("Dunning Policy", "customer_group"):
		return
	policy = frappe.qb.DocType("Dunning Policy")
	(
		frappe.qb.update(policy)
		.set(policy.target_customer_group, policy.customer_group)
		.where(policy.target_customer_group.isnull() & policy.customer_group.isnotnull())
		.run()
	)
