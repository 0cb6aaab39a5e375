"""The words and numbers relance_app stores or defaults to, defined once.

Pure Python (no Frappe): the engine, the Frappe side, the patches and the tests read them from here.
Values stored in the database (statuses, reasons, channels) are part of the public contract: change
one only with a patch that moves the stored rows.
"""

# --- Relance Log -----------------------------------------------------------------------------------
# statuses (public contract)
AWAITING_APPROVAL = "Awaiting Approval"
QUEUED = "Queued"
SENT = "Sent"
FAILED = "Failed"
SKIPPED = "Skipped"
CANCELLED = "Cancelled"
# an answer of the debtor from the debtor page: never a relance, never a stage
ANSWERED = "Answered"
LOG_STATUSES = (AWAITING_APPROVAL, QUEUED, SENT, FAILED, SKIPPED, CANCELLED, ANSWERED)
# a stage with one of these statuses has been acted on and is never acted on again
ACTED_STATUSES = frozenset({AWAITING_APPROVAL, QUEUED, SENT, SKIPPED, CANCELLED})
# these count as a relance addressed to the customer (for min_days_between and thank-you)
RELANCE_STATUSES = frozenset({AWAITING_APPROVAL, QUEUED, SENT})
# the email went (or is on its way), the letter was made, the task given
DELIVERED_STATUSES = frozenset({QUEUED, SENT})
# the statuses the register shows as "last relance"
LAST_STATUSES = (QUEUED, SENT, FAILED, AWAITING_APPROVAL)

# the stage name of the thank-you email's log (never a stage of a policy)
THANK_YOU_STAGE = "__thank_you__"
# the reason code of a stage skipped for want of a recipient
NO_RECIPIENT = "no_recipient"
# the reason code of a stage held because its payment is in the bank, not yet reconciled: the row is
# taken over by the stage's relance if the money turns out to be for something else
PAYMENT_FOUND = "payment_found"

# --- Channels of a stage -----------------------------------------------------------------------------
EMAIL = "Email"
LETTER = "Letter"
PHONE = "Phone task"
EMAIL_AND_LETTER = "Email and Letter"
CHANNELS = (EMAIL, LETTER, PHONE, EMAIL_AND_LETTER)
EMAIL_CHANNELS = frozenset({EMAIL, EMAIL_AND_LETTER})
LETTER_CHANNELS = frozenset({LETTER, EMAIL_AND_LETTER})

# letters: how they are sent and what came back (Relance Log `sending_method`, `acknowledgement`)
SIMPLE_LETTER = "Simple letter"
REGISTERED_LETTER = "Registered letter with acknowledgement of receipt"
HAND_DELIVERY = "Hand delivery"
SENDING_METHODS = (SIMPLE_LETTER, REGISTERED_LETTER, HAND_DELIVERY)
RECEIVED = "Received"
RETURNED = "Returned, not collected"
ACKNOWLEDGEMENTS = (RECEIVED, RETURNED)

# the print format of the formal notice, shipped with the app
MISE_EN_DEMEURE = "Mise en demeure"
# the subject prefix of every email sent in test mode
TEST_PREFIX = "[TEST] "

# --- Holds (Sales Invoice `relance_hold_reason`) -----------------------------------------------------
DISPUTE = "Dispute"
PAYMENT_PROMISE = "Payment Promise"
CUSTOMER_REPLIED = "Customer Replied"
OTHER = "Other"
HOLD_REASONS = (DISPUTE, PAYMENT_PROMISE, CUSTOMER_REPLIED, OTHER)
HOLD_FIELDS = ("relance_hold", "relance_hold_reason", "relance_hold_until")

# --- Sales Invoice `relance_status` -----------------------------------------------------------------
STATUS_SCHEDULED = "Scheduled"
STATUS_SENT = "Sent"
STATUS_ON_HOLD = "On Hold"
STATUS_AWAITING_APPROVAL = "Awaiting Approval"
STATUS_AWAITING_POSTING = "Awaiting Posting"
STATUS_NO_RECIPIENT = "No Recipient"
STATUS_PAID = "Paid"
STATUS_THANKED = "Thanked"
STATUS_COMPLETED = "Completed"
STATUS_EXCLUDED = "Excluded"
# an unreconciled deposit in the bank pays it: no relance until the accountant reconciles it
STATUS_PAYMENT_FOUND = "Payment found, to reconcile"
# an invoice in one of these is done with: nothing more is planned for it
CLOSED_STATUSES = (STATUS_PAID, STATUS_THANKED)

# --- Customer and policy ------------------------------------------------------------------------------
COMPANY = "Company"
INDIVIDUAL = "Individual"
TUTOIEMENT = "Tutoiement"
# interest rate basis of a policy (Dunning Policy `interest_rate_basis`)
LEGAL_RATE = "Legal rate (ECB + 10 points, by semester)"
CONTRACTUAL_RATE = "Contractual rate"
INTEREST_BASES = (LEGAL_RATE, CONTRACTUAL_RATE)

# --- Collection file (dossier de recouvrement) ---------------------------------------------------------
# what the file is delivered as: one merged PDF, or a ZIP of the separate PDFs
COLLECTION_PDF = "PDF"
COLLECTION_ZIP = "ZIP"
COLLECTION_OUTPUTS = (COLLECTION_PDF, COLLECTION_ZIP)

# --- Payment terms (Code de commerce L441-10, D441-6) ---------------------------------------------------
# the legal cap of a company's payment terms (Relance Payment Terms `cap_method`)
CAP_60_DAYS = "60 days from invoice date"
CAP_45_EOM_A = "45 days end of month (invoice date + 45 days, then end of month)"
CAP_45_EOM_B = "45 days end of month (end of invoice month + 45 days)"
CAP_OVERRIDE = "Sector cap (days from invoice date)"
CAP_METHODS = (CAP_60_DAYS, CAP_45_EOM_A, CAP_45_EOM_B, CAP_OVERRIDE)
DEFAULT_CAP_METHOD = CAP_60_DAYS
LEGAL_CAP_DAYS = 60
LEGAL_CAP_EOM_DAYS = 45
# the D441-6 table: amounts excluding or including VAT, the reference terms, table I or II
EXCLUDING_VAT = "Excluding VAT"
INCLUDING_VAT = "Including VAT"
VAT_BASES = (EXCLUDING_VAT, INCLUDING_VAT)
CONTRACTUAL_TERMS = "Contractual terms (invoice due date)"
LEGAL_TERMS = "Legal terms (the cap)"
REFERENCE_TERMS = (CONTRACTUAL_TERMS, LEGAL_TERMS)
TABLE_UNPAID = "I: unpaid at closing"
TABLE_PAID_LATE = "II: paid late during the year"
D441_TABLES = (TABLE_UNPAID, TABLE_PAID_LATE)
# the lateness columns of the official model (annexe 4-1 to article A441-2): 0 day is indicative
BUCKET_0 = "0"
BUCKET_1_30 = "1-30"
BUCKET_31_60 = "31-60"
BUCKET_61_90 = "61-90"
BUCKET_91 = "91+"
LATENESS_BUCKETS = (BUCKET_0, BUCKET_1_30, BUCKET_31_60, BUCKET_61_90, BUCKET_91)
LATE_BUCKETS = LATENESS_BUCKETS[1:]
# the fixed recovery indemnity printed in the mandatory mentions (D441-5)
LEGAL_INDEMNITY = 40
FRANCE = "France"

# --- Credit hold (Dunning Policy `credit_hold_*`, Relance Credit Hold Log) -----------------------------
# what a held customer's document meets (one choice per document type and policy)
HOLD_REFUSE = "Refuse on submit"
HOLD_WARN = "Warn"
HOLD_NOTHING = "Nothing"
CREDIT_HOLD_ACTIONS = (HOLD_REFUSE, HOLD_WARN, HOLD_NOTHING)
# the documents a credit hold stops: doctype -> (its Dunning Policy field, the default action)
CREDIT_HOLD_DOCTYPES = {
	"Quotation": ("credit_hold_quotation", HOLD_WARN),
	"Sales Order": ("credit_hold_sales_order", HOLD_REFUSE),
	"Delivery Note": ("credit_hold_delivery_note", HOLD_REFUSE),
	"Sales Invoice": ("credit_hold_sales_invoice", HOLD_REFUSE),
}
# why a customer is held (machine-readable)
TRIGGER_STAGE = "stage"
TRIGGER_DAYS_LATE = "days_late"
TRIGGER_AMOUNT = "amount"
# the events of the credit-hold log (Relance Credit Hold Log `event`)
HOLD_STARTED = "Hold Started"
HOLD_LIFTED = "Hold Lifted"
HOLD_BYPASSED = "Bypassed"
HOLD_RELEASED = "Released"
CREDIT_HOLD_EVENTS = (HOLD_STARTED, HOLD_LIFTED, HOLD_BYPASSED, HOLD_RELEASED)
# who may bypass or release when Accounts Settings names no Credit Controller role
CREDIT_CONTROLLER_FALLBACK = "Accounts Manager"
# a manual release lasts at most this many days
MAX_RELEASE_DAYS = 366
