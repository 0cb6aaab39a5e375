"""Machine-readable reasons a decision gives. Stable strings: stored in logs and returned by the API."""

DUE = "due"  # a stage is due today
NOT_SUBMITTED = "not_submitted"
RETURN = "return"
PAID = "paid"  # outstanding at or below the policy's tolerance
CUSTOMER_DISABLED = "customer_disabled"
EXCLUDED = "excluded"
ON_HOLD = "on_hold"
NO_POLICY = "no_policy"
NO_STAGES = "no_stages"
AWAITING_APPROVAL = "awaiting_approval"  # a stage waits for the accountant
COMPLETED = "completed"  # every stage acted on
NOT_YET = "not_yet"  # the next stage's date has not come
TOO_SOON = "too_soon"  # min_days_between since the previous relance not yet elapsed
RETRY_LATER = "retry_later"  # a failed stage is retried on a later day
AWAITING_POSTING = "awaiting_posting"  # the previous stage's letter has no posting date yet
PAYMENT_FOUND = "payment_found"  # an unreconciled deposit pays it (the run's bank check, not decide)

ALL = (
	DUE,
	NOT_SUBMITTED,
	RETURN,
	PAID,
	CUSTOMER_DISABLED,
	EXCLUDED,
	ON_HOLD,
	NO_POLICY,
	NO_STAGES,
	AWAITING_APPROVAL,
	COMPLETED,
	NOT_YET,
	TOO_SOON,
	RETRY_LATER,
	AWAITING_POSTING,
	PAYMENT_FOUND,
)
