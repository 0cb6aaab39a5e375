// Délais de paiement (D441-6): the table of annexe 4-1 to article A441-2 (arrêté du 20 mars 2017).
// Each row is one line of the official model: its cells are counts, amounts or percentages.

frappe.query_reports["Payment Terms D441-6"] = {
	filters: [
		relance_app.company_filter(1),
		{
			fieldname: "closing_date",
			label: __("Closing Date"),
			fieldtype: "Date",
			reqd: 1,
			default: frappe.defaults.get_user_default("year_end_date") || frappe.datetime.get_today(),
		},
		{
			fieldname: "vat",
			label: __("Amounts"),
			fieldtype: "Select",
			options: [
				{ value: "Excluding VAT", label: __("Excluding VAT") },
				{ value: "Including VAT", label: __("Including VAT") },
			],
			default: "Excluding VAT",
		},
		{
			fieldname: "reference_terms",
			label: __("Reference Terms"),
			fieldtype: "Select",
			options: [
				{
					value: "Contractual terms (invoice due date)",
					label: __("Contractual terms (invoice due date)"),
				},
				{ value: "Legal terms (the cap)", label: __("Legal terms (the cap)") },
			],
			default: "Contractual terms (invoice due date)",
		},
		{
			fieldname: "table",
			label: __("Table"),
			fieldtype: "Select",
			options: [
				{ value: "I: unpaid at closing", label: __("I: unpaid at closing") },
				{
					value: "II: paid late during the year",
					label: __("II: paid late during the year"),
				},
			],
			default: "I: unpaid at closing",
		},
	],

	formatter(value, row, column, data, default_formatter) {
		if (!data || !column.fieldname || !column.fieldname.startsWith("c_")) {
			const out = default_formatter(value, row, column, data);
			return data && data.indent === 0 ? `<b>${out}</b>` : out;
		}
		if (value === null || value === undefined || value === "") {
			return "";
		}
		if (data.fieldtype === "Int") {
			return default_formatter(value, row, { ...column, fieldtype: "Int" }, data);
		}
		if (data.fieldtype === "Percent") {
			return default_formatter(value, row, { ...column, fieldtype: "Percent" }, data);
		}
		return default_formatter(value, row, { ...column, fieldtype: "Currency" }, data);
	},
};
