// Overdue by Stage: outstanding per last relance stage x ageing bucket; a cell opens the register.

const OVERDUE_BUCKETS = {
	not_due: "Not due",
	"1_30": "1-30",
	"31_60": "31-60",
	"61_90": "61-90",
	"90_plus": "90+",
};

frappe.query_reports["Overdue by Stage"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
		},
		{
			fieldname: "customer",
			label: __("Customer"),
			fieldtype: "Link",
			options: "Customer",
		},
		{
			fieldname: "customer_group",
			label: __("Customer Group"),
			fieldtype: "Link",
			options: "Customer Group",
		},
		{
			fieldname: "dunning_policy",
			label: __("Dunning Policy"),
			fieldtype: "Link",
			options: "Dunning Policy",
		},
		{
			fieldname: "currency",
			label: __("Currency"),
			fieldtype: "Link",
			options: "Currency",
		},
	],

	formatter(value, row, column, data, default_formatter) {
		const out = default_formatter(value, row, column, data);
		if (!data || !data.stage || !column.fieldname) {
			return out;
		}
		const match = column.fieldname.match(/^(count|amount)_(.+)$/);
		if (!match || !value) {
			return out;
		}
		const options = {
			company: data.company,
			account_currency: data.currency,
			stage: data.stage,
		};
		if (OVERDUE_BUCKETS[match[2]]) {
			options.ageing = OVERDUE_BUCKETS[match[2]];
		}
		for (const key of ["customer", "customer_group", "dunning_policy", "currency"]) {
			const v = frappe.query_report.get_filter_value(key);
			if (v) {
				options[key] = v;
			}
		}
		const query = new URLSearchParams(options).toString();
		return `<a href="/app/query-report/Relance Register?${query}" title="${__(
			"Open the Relance Register on these invoices"
		)}">${out}</a>`;
	},
};
