frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Relances by Stage"] = {
	method: "relance_app.api.relances_by_stage",
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
		},
	],
};
