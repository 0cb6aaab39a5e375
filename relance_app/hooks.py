app_name = "relance_app"
app_title = "Relance"
app_publisher = "relance_app developers"
app_description = "Automatic dunning (relances) of unpaid Sales Invoices for ERPNext, French practice first"
app_email = "dev@relance-app.example"
app_license = "mit"
required_apps = ["frappe/erpnext"]

# Includes in <head>
# ------------------

app_include_js = "/assets/relance_app/js/relance_common.js"

doctype_js = {
	"Sales Invoice": ["public/js/sales_invoice.js", "public/js/credit_hold.js"],
	"Customer": ["public/js/customer.js", "public/js/credit_hold.js"],
	# the credit hold: the headline as soon as the customer is chosen, "Submit Anyway" (relance_app.records.credit_hold)
	"Quotation": "public/js/credit_hold.js",
	"Sales Order": "public/js/credit_hold.js",
	"Delivery Note": "public/js/credit_hold.js",
}
doctype_list_js = {
	"Sales Invoice": "public/js/sales_invoice_list.js",
	"Customer": "public/js/customer_list.js",
}

# Installation
# ------------

before_install = "relance_app.install.before_install"
after_install = "relance_app.install.after_install"
after_uninstall = "relance_app.install.after_uninstall"
after_migrate = "relance_app.install.after_migrate"

# Document Events
# ---------------

doc_events = {
	"Company": {
		"after_insert": "relance_app.overrides.company.after_insert",
	},
	"Sales Invoice": {
		"validate": [
			"relance_app.overrides.sales_invoice.validate_relance_fields",
			"relance_app.overrides.payment_terms.validate_invoice",  # legal cap of payment terms
			"relance_app.overrides.credit_hold.validate",
		],
		"before_update_after_submit": "relance_app.overrides.sales_invoice.validate_relance_fields",
		"before_submit": "relance_app.overrides.credit_hold.before_submit",
		"on_submit": "relance_app.overrides.credit_hold.invoice_changed",
		"on_cancel": "relance_app.overrides.credit_hold.invoice_changed",
	},
	# the credit hold of a customer in formal notice (relance_app.overrides.credit_hold)
	"Quotation": {
		"validate": "relance_app.overrides.credit_hold.validate",
		"before_submit": "relance_app.overrides.credit_hold.before_submit",
	},
	"Sales Order": {
		"validate": "relance_app.overrides.credit_hold.validate",
		"before_submit": "relance_app.overrides.credit_hold.before_submit",
	},
	"Delivery Note": {
		"validate": "relance_app.overrides.credit_hold.validate",
		"before_submit": "relance_app.overrides.credit_hold.before_submit",
	},
	"Payment Entry": {
		"on_submit": "relance_app.overrides.credit_hold.payment_changed",
		"on_cancel": "relance_app.overrides.credit_hold.payment_changed",
	},
	"Communication": {
		"after_insert": "relance_app.overrides.communication.pause_on_reply",
		"on_change": "relance_app.run.email_status.on_communication_change",  # Relance Log Sent on delivery
	},
	"Purchase Invoice": {"validate": "relance_app.overrides.payment_terms.validate_invoice"},
	"Payment Terms Template": {"validate": "relance_app.overrides.payment_terms.validate_template"},
}

# Scheduled Tasks
# ---------------

scheduler_events = {
	# relance emails whose delivery job was lost get one (every scheduler tick, a few minutes)
	"all": ["relance_app.pdf.delivery.deliver_stranded"],
	# runs once a day from the run hour of Relance Settings, on business days
	"hourly": [
		"relance_app.run.daily.scheduled_run",
		"relance_app.run.daily.sync_email_statuses",
		# credit holds started or lifted since (a relance sent, a promise broken, a day more late)
		"relance_app.records.credit_hold.sync_all",
	],
	# a ToDo for the Accounts Managers when a semester has no legal late-payment rates
	"daily": ["relance_app.data.rate_table.remind_missing_rates"],
}

# Timeline
# --------

additional_timeline_content = {
	"Sales Invoice": ["relance_app.analytics.timeline.timeline_content"],
	"Customer": ["relance_app.analytics.timeline.timeline_content"],
}

# Website
# -------

# the debtor page of a relance email: relance_app/www/relance.html (relance_app.debtor_page; guest methods in relance_app.portal)
website_route_rules = [{"from_route": "/relance/<token>", "to_route": "relance"}]

# Jinja
# -----

jinja = {
	"methods": ["relance_app.documents.letter_print.relance_letter_context"],
}

# PDF
# ---

# Chromium for relance emails' attachments when Relance Settings asks for it; only while relance_app's
# delivery job sends them (relance_app.pdf.engine.relance_emails), never for the rest of ERPNext
pdf_generator = ["relance_app.pdf.engine.pdf_generator"]
# while relance emails are sent, the print view found without the website's route maps
# (relance_app.common.frappe_compat.PrintViewRenderer)
page_renderer = ["relance_app.common.frappe_compat.PrintViewRenderer"]

# Testing
# -------

before_tests = "relance_app.utils.before_tests"
