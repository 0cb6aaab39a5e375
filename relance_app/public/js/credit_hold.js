// Credit hold (relance_app.records.credit_hold): a held customer's headline on Quotation, Sales Order,
// Delivery Note and Sales Invoice as soon as the customer is chosen, on the Customer with "Release
// Credit Hold", and the refusal's "Submit Anyway" for the Credit Controller. Loaded for several
// doctypes: the handlers are registered once.
frappe.provide("relance_app.credit_hold");

if (!relance_app.credit_hold.loaded) {
	relance_app.credit_hold.loaded = true;
	const DOCUMENTS = ["Quotation", "Sales Order", "Delivery Note", "Sales Invoice"];

	relance_app.credit_hold.customer_of = function (frm) {
		if (frm.doctype === "Quotation") {
			return frm.doc.quotation_to === "Customer" ? frm.doc.party_name : null;
		}
		return frm.doc.customer;
	};

	relance_app.credit_hold.show = function (frm) {
		const customer = relance_app.credit_hold.customer_of(frm);
		if (!customer || !frm.doc.company || frm.doc.docstatus !== 0 || frm.doc.is_return) {
			if (frm.__relance_credit_hold) frm.set_intro("");
			frm.__relance_credit_hold = null;
			return;
		}
		frappe
			.call({
				method: "relance_app.api.get_credit_hold",
				args: { customer, company: frm.doc.company, doctype: frm.doctype },
				type: "GET",
			})
			.then((r) => {
				const hold = r.message && r.message.holds[0];
				frm.__relance_credit_hold = hold || null;
				if (!hold || !hold.headline) {
					frm.set_intro("");
					return;
				}
				const what =
					hold.action === "Refuse on submit"
						? __("This document will be refused on submit.")
						: hold.action === "Warn"
						? __("Submitting it gives a warning.")
						: "";
				const colour = hold.held ? (hold.action === "Refuse on submit" ? "red" : "orange") : "blue";
				frm.set_intro(
					`<span class="relance-credit-hold">${frappe.utils.escape_html(hold.headline)}</span>${
						what ? " – " + what : ""
					}`,
					colour
				);
			});
	};

	relance_app.credit_hold.bypass = function (args) {
		frappe.hide_msgprint(); // the refusal gives way to the dialog
		const d = new frappe.ui.Dialog({
			title: __("Submit Despite the Credit Hold"),
			fields: [
				{
					fieldtype: "HTML",
					options: `<p>${__(
						"{0} {1} is submitted once despite the hold. Your reason is written on the customer's and the document's timeline and in the Relance Credit Hold Log.",
						[__(args.doctype), frappe.utils.escape_html(args.name)]
					)}</p>`,
				},
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
			],
			primary_action_label: __("Submit Anyway"),
			primary_action(values) {
				frappe
					.call({
						method: "relance_app.api.submit_with_bypass",
						args: { doctype: args.doctype, name: args.name, reason: values.reason },
						freeze: true,
						freeze_message: __("Submitting..."),
					})
					.then(() => {
						d.hide();
						frappe.hide_msgprint();
						frappe.show_alert({ message: __("Submitted despite the credit hold."), indicator: "orange" });
						if (cur_frm && cur_frm.doctype === args.doctype && cur_frm.docname === args.name) {
							cur_frm.reload_doc();
						}
					});
			},
		});
		d.show();
	};

	const handlers = {
		refresh: relance_app.credit_hold.show,
		customer: relance_app.credit_hold.show,
		party_name: relance_app.credit_hold.show,
		quotation_to: relance_app.credit_hold.show,
		company: relance_app.credit_hold.show,
	};
	DOCUMENTS.forEach((doctype) => frappe.ui.form.on(doctype, handlers));

	relance_app.credit_hold.show_customer = function (frm) {
		if (frm.is_new()) return;
		frappe
			.call({
				method: "relance_app.api.get_credit_hold",
				args: { customer: frm.doc.name },
				type: "GET",
			})
			.then((r) => {
				const holds = (r.message && r.message.holds) || [];
				if (!holds.length) return;
				const lines = holds.map(
					(h) =>
						`<div class="relance-credit-hold">${frappe.utils.escape_html(h.headline)} (${frappe.utils.escape_html(
							h.company
						)})</div>`
				);
				frm.set_intro(lines.join(""), holds.some((h) => h.held) ? "red" : "blue");
				const held = holds.filter((h) => h.held);
				if (held.length) frm.dashboard.add_indicator(__("Orders held"), "red");
				if (held.length && held[0].can_release) {
					frm.add_custom_button(
						__("Release Credit Hold"),
						() => relance_app.credit_hold.release(frm, held),
						__("Relance")
					);
				}
			});
	};

	relance_app.credit_hold.release = function (frm, held) {
		frappe.prompt(
			[
				{
					fieldname: "company",
					fieldtype: "Select",
					label: __("Company"),
					options: held.map((h) => h.company),
					default: held[0].company,
					reqd: 1,
				},
				{
					fieldname: "until",
					fieldtype: "Date",
					label: __("Released Until"),
					default: frappe.datetime.add_days(frappe.datetime.get_today(), 7),
					reqd: 1,
				},
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
			],
			(values) =>
				frappe
					.call({
						method: "relance_app.api.release_credit_hold",
						args: { customer: frm.doc.name, ...values },
						freeze: true,
					})
					.then(() => {
						frappe.show_alert({ message: __("Credit hold released."), indicator: "green" });
						frm.reload_doc();
					}),
			__("Release Credit Hold"),
			__("Release")
		);
	};

	frappe.ui.form.on("Customer", { refresh: relance_app.credit_hold.show_customer });
}
