// Invoices Beyond Legal Terms: issued and received invoices whose due date is past the legal cap.
frappe.query_reports["Invoices Beyond Legal Terms"] = {
	filters: [
		relance_app.company_filter(1),
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.defaults.get_user_default("year_start_date"),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.defaults.get_user_default("year_end_date"),
		},
	],
};
