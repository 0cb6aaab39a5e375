"""The Jinja method the "Mise en demeure" print format calls: the same context as the emails."""

import frappe
from frappe import _
from frappe.utils import getdate, today

from relance_app.common import cache
from relance_app.data.invoices import load_policies, select_candidates
from relance_app.documents.message_data import message_context

LETTER_CHANNELS = ("Letter", "Email and Letter")


def relance_letter_context(doc) -> dict:
	"""Context for a letter about `doc` (a Sales Invoice): its policy's formal (last letter) stage,
	as of today, in the customer's language."""
	name = doc if isinstance(doc, str) else doc.name
	cache.clear()
	candidates = select_candidates(load_policies(), invoice_names=[name], any_state=True)
	if not candidates or not candidates[0].policy:
		frappe.throw(
			_("No Dunning Policy applies to Sales Invoice {0}.").format(name), title=_("No Dunning Policy")
		)
	candidate = candidates[0]
	policy = candidate.policy.policy
	stages = policy.ordered_stages()
	letters = [s for s in stages if s.channel in LETTER_CHANNELS]
	stage = letters[-1] if letters else stages[-1]
	as_of = getdate(frappe.flags.relance_as_of or today())
	policy_doc = frappe.get_cached_doc("Dunning Policy", candidate.policy.name)
	return message_context(stage, policy, policy_doc, [candidate], as_of)
