// Sales Invoice list: the relance status as a coloured pill, next to ERPNext's own indicator.
frappe.provide("frappe.listview_settings");
(function () {
	const colours = {
		Scheduled: "blue",
		Sent: "orange",
		"Awaiting Approval": "purple",
		"Awaiting Posting": "orange",
		"On Hold": "yellow",
		"No Recipient": "red",
		Paid: "green",
		Thanked: "green",
		Completed: "gray",
		Excluded: "gray",
		"Payment found, to reconcile": "cyan",
	};
	const settings = (frappe.listview_settings["Sales Invoice"] =
		frappe.listview_settings["Sales Invoice"] || {});
	settings.add_fields = [...(settings.add_fields || []), "relance_status", "relance_next_date"];
	settings.formatters = Object.assign(settings.formatters || {}, {
		relance_status(value) {
			if (!value) return "";
			return `<span class="indicator-pill ${colours[value] || "gray"}">${__(value)}</span>`;
		},
	});
})();
