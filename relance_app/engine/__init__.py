"""The dunning engine: pure Python, no Frappe.

Policies and invoice facts come in as dataclasses (`models`), decisions come out (`decide`),
with penalties (`penalties`), forecasts (`forecast`), template context (`context`) and policy
checks (`validation`). Everything here runs and is tested without a bench.
"""

from relance_app.engine.decide import decide, decide_many, effective_due, hold_active, is_paid, thank_you_due
from relance_app.engine.forecast import next_business_day, next_relance_date, simulate
from relance_app.engine.models import (
	Decision,
	HistoryEntry,
	Instalment,
	InvoiceFacts,
	Penalties,
	Policy,
	PolicyIssue,
	Stage,
)
from relance_app.engine.penalties import compute_penalties, fixed_indemnity, late_interest
from relance_app.engine.validation import validate_policy
