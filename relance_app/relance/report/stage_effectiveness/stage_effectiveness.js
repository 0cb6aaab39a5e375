// Stage Effectiveness: which relance stage gets invoices paid, against invoices never chased.

frappe.query_reports["Stage Effectiveness"] = {
	filters: [
		relance_app.company_filter(),
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_days(
				frappe.datetime.add_months(frappe.datetime.get_today(), -12),
				1
			),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "dunning_policy",
			label: __("Dunning Policy"),
			fieldtype: "Link",
			options: "Dunning Policy",
			get_query: () => {
				const company = frappe.query_report.get_filter_value("company");
				return { filters: company ? { company } : {} };
			},
		},
	],

	formatter(value, row, column, data, default_formatter) {
		let out = default_formatter(value, row, column, data);
		if (!data) {
			return out;
		}
		if (column.fieldname === "stage" && data.is_baseline) {
			out = `<span class="text-muted">${out}</span>`;
		}
		if (column.fieldname === "relances_sent" && data.stage_name && data.dunning_policy && value) {
			const filters = frappe.query_report.get_values() || {};
			const params = new URLSearchParams({
				dunning_policy: data.dunning_policy,
				stage_name: data.stage_name,
			});
			const title = __("Relance Logs between {0} and {1}", [
				frappe.datetime.str_to_user(filters.from_date),
				frappe.datetime.str_to_user(filters.to_date),
			]);
			out = `<a href="/app/relance-log?${params.toString()}" title="${title}">${out}</a>`;
		}
		return out;
	},
};
