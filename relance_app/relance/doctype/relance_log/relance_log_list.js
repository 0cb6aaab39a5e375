// Relance Log list: status colours and bulk approval for the accountant.
frappe.listview_settings["Relance Log"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		// colours shared with the form timelines (relance_common.js, loaded on every desk page)
		const colour = (relance_app.STATUS_COLOURS || {})[doc.status] || "gray";
		return [__(doc.status), colour, "status,=," + doc.status];
	},
	onload(listview) {
		if (!frappe.user.has_role("Accounts Manager") && !frappe.user.has_role("System Manager")) return;
		const bulk = (method, label) => {
			const names = listview.get_checked_items(true);
			if (!names.length) {
				frappe.msgprint(__("Select the relances first."));
				return;
			}
			frappe.confirm(__("{0} {1} relance(s)?", [label, names.length]), () =>
				frappe
					.call({ method: `relance_app.api.${method}`, args: { names }, freeze: true })
					.then((r) => {
						const outcomes = Object.values(r.message || {});
						frappe.show_alert({
							message: __("{0}: {1}", [label, outcomes.join(", ")]),
							indicator: "green",
						});
						listview.refresh();
					})
			);
		};
		listview.page.add_actions_menu_item(__("Approve and Send"), () => bulk("approve_relances", __("Approve")), false);
		listview.page.add_actions_menu_item(__("Cancel Relances"), () => bulk("cancel_relances", __("Cancel")), false);
	},
};
