// Relance Register: every open invoice, its last and next relance and the procedure engaged.

const RELANCE_PROCEDURES = [
	"Excluded",
	"Paid",
	"Payment found, to reconcile",
	"On Hold",
	"Payment Promise",
	"Awaiting Approval",
	"ERPNext Dunning Created",
	"Formal Notice Sent",
	"Scheduled",
	"Stages Completed",
	"No Policy",
];

const RELANCE_PROCEDURE_COLOURS = {
	Excluded: "gray",
	Paid: "green",
	"Payment found, to reconcile": "cyan",
	"On Hold": "orange",
	"Payment Promise": "yellow",
	"Awaiting Approval": "purple",
	"ERPNext Dunning Created": "red",
	"Formal Notice Sent": "red",
	Scheduled: "blue",
	"Stages Completed": "darkgrey",
	"No Policy": "gray",
};

frappe.query_reports["Relance Register"] = {
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
			get_query: () => {
				const company = frappe.query_report.get_filter_value("company");
				return { filters: company ? { company } : {} };
			},
		},
		{
			fieldname: "stage",
			label: __("Last Relance"),
			fieldtype: "Data",
			description: __("Stage name of the last relance; - for invoices not chased yet"),
		},
		{
			fieldname: "procedure",
			label: __("Procedure"),
			fieldtype: "Select",
			options: [{ value: "", label: "" }].concat(
				RELANCE_PROCEDURES.map((p) => ({ value: p, label: __(p) }))
			),
		},
		{
			fieldname: "ageing",
			label: __("Ageing"),
			fieldtype: "Select",
			options: [
				{ value: "", label: "" },
				{ value: "Not due", label: __("Not due") },
				{ value: "1-30", label: __("{0} days", ["1-30"]) },
				{ value: "31-60", label: __("{0} days", ["31-60"]) },
				{ value: "61-90", label: __("{0} days", ["61-90"]) },
				{ value: "90+", label: __("{0} days", ["90+"]) },
			],
		},
		{ fieldname: "from_due_date", label: __("Due From"), fieldtype: "Date" },
		{ fieldname: "to_due_date", label: __("Due To"), fieldtype: "Date" },
		{ fieldname: "days_late_from", label: __("Days Late From"), fieldtype: "Int" },
		{ fieldname: "days_late_to", label: __("Days Late To"), fieldtype: "Int" },
		{
			fieldname: "currency",
			label: __("Currency"),
			fieldtype: "Link",
			options: "Currency",
		},
		{
			fieldname: "account_currency",
			label: __("Account Currency"),
			fieldtype: "Link",
			options: "Currency",
			description: __("Currency of the receivable account, in which ERPNext keeps the outstanding"),
		},
		{
			fieldname: "include_closed",
			label: __("Include Recently Paid"),
			fieldtype: "Check",
		},
		{
			fieldname: "closed_since",
			label: __("Paid Since"),
			fieldtype: "Date",
			depends_on: "eval:doc.include_closed",
			default: frappe.datetime.add_days(frappe.datetime.get_today(), -30),
		},
		{
			fieldname: "credit_hold",
			label: __("Orders Held Only"),
			fieldtype: "Check",
			description: __("Only the invoices of customers on credit hold"),
		},
	],

	formatter(value, row, column, data, default_formatter) {
		let out = default_formatter(value, row, column, data);
		if (!data) {
			return out;
		}
		if (column.fieldname === "procedure_label" && data.procedure) {
			const colour = RELANCE_PROCEDURE_COLOURS[data.procedure] || "gray";
			out = `<span class="indicator-pill ${colour} filterable">${out}</span>`;
		}
		if (column.fieldname === "relances_sent" && data.sales_invoice) {
			const url = `/app/relance-log?sales_invoice=${encodeURIComponent(data.sales_invoice)}`;
			out = `<a href="${url}" title="${__("Relance Logs")}">${out}</a>`;
		}
		if (column.fieldname === "credit_hold" && data.credit_hold) {
			out = `<span class="indicator-pill ${data.credit_held ? "red" : "blue"}">${out}</span>`;
		}
		if (column.fieldname === "days_late" && data.days_late > 0) {
			out = `<span class="text-danger">${out}</span>`;
		}
		return out;
	},
};
