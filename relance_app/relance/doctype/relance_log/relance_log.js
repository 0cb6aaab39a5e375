// Relance Log: read-only, except the delivery of a letter (sending method, registered-mail number,
// posting and acknowledgement dates, scan), entered through a checked server method.
frappe.ui.form.on("Relance Log", {
	refresh(frm) {
		const letter = ["Letter", "Email and Letter"].includes(frm.doc.channel);
		const reached = ["Queued", "Sent"].includes(frm.doc.status);
		const accounts = ["Accounts Manager", "Accounts User", "System Manager"];
		if (!letter || !reached || !frappe.user.has_role(accounts)) return;
		frm.add_custom_button(__("Record Letter Delivery"), () => {
			frappe.require("/assets/relance_app/js/collection_file.js", () =>
				relance_app.collection_file.letter_dialog(frm.doc, () => frm.reload_doc())
			);
		});
	},
});
