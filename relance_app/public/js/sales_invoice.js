// Sales Invoice: where the relance stands, its timeline, and the actions.
frappe.ui.form.on("Sales Invoice", {
	refresh(frm) {
		if (frm.doc.docstatus !== 1 || frm.doc.is_return) return;
		frappe
			.call("relance_app.api.get_invoice_relance", { sales_invoice: frm.doc.name })
			.then((r) => {
				const data = r.message;
				if (!data) return;
				const block = { red: "red", orange: "yellow", green: "green", blue: "blue", purple: "blue" };
				frm.dashboard.set_headline_alert(
					`<span class="relance-headline">${__("Relance")}: ${frappe.utils.escape_html(
						data.status
					)}</span>`,
					block[data.indicator] || ""
				);
				frm.dashboard.add_section(relance_app.render_logs(data.timeline), __("Relance History"));
				if (data.can_manage) relance_app.add_invoice_actions(frm, data);
			});
		// collection file and letters' delivery (relance_app/public/js/collection_file.js)
		frappe.require("/assets/relance_app/js/collection_file.js", () =>
			relance_app.collection_file.setup_invoice(frm)
		);
	},
});

frappe.provide("relance_app");

relance_app.add_invoice_actions = function (frm, data) {
	const group = __("Relance");
	const f = data.fields;
	// a hold, a promise and a resume save the invoice: Frappe's realtime doc_update reloads the form
	// then (reloading here too made two reloads race); without realtime, or for what does not save
	// the invoice (a relance sent now), the form reloads itself
	const saves = ["set_hold", "record_payment_promise", "release_hold"];
	const call = (method, args, message) =>
		frappe
			.call({ method: `relance_app.api.${method}`, args, freeze: true })
			.then(() => {
				frappe.show_alert({ message, indicator: "green" });
				if (!saves.includes(method) || !frappe.realtime.socket?.connected) frm.reload_doc();
			});

	if (!f.relance_hold) {
		frm.add_custom_button(
			__("Put on Hold"),
			() => {
				const d = new frappe.ui.Dialog({
					title: __("Put the relance on hold"),
					fields: [
						{
							fieldname: "reason",
							fieldtype: "Select",
							label: __("Reason"),
							options: ["Dispute", "Customer Replied", "Other"].map((v) => ({
								value: v,
								label: __(v),
							})),
							default: "Dispute",
							reqd: 1,
						},
						{ fieldname: "until", fieldtype: "Date", label: __("Until (optional)") },
					],
					primary_action_label: __("Put on Hold"),
					primary_action(values) {
						d.hide();
						call(
							"set_hold",
							{ sales_invoice: frm.doc.name, reason: values.reason, until: values.until },
							__("Relance on hold")
						);
					},
				});
				d.show();
			},
			group
		);
		frm.add_custom_button(
			__("Record Payment Promise"),
			() => {
				frappe.prompt(
					{ fieldname: "promised_date", fieldtype: "Date", label: __("Promised Date"), reqd: 1 },
					(values) =>
						call(
							"record_payment_promise",
							{ sales_invoice: frm.doc.name, promised_date: values.promised_date },
							__("Payment promise recorded")
						),
					__("Record a payment promise"),
					__("Save")
				);
			},
			group
		);
	} else {
		frm.add_custom_button(
			__("Resume"),
			() => call("release_hold", { sales_invoice: frm.doc.name }, __("Relance resumed")),
			group
		);
	}
	frm.add_custom_button(
		__("Preview Next Relance"),
		() => {
			frappe
				.call("relance_app.api.preview_next_relance", { sales_invoice: frm.doc.name })
				.then((r) => relance_app.show_preview(r.message));
		},
		group
	);
	if (!f.relance_hold && !f.relance_exclude && frm.doc.outstanding_amount > 0) {
		frm.add_custom_button(
			__("Send Next Relance Now"),
			() => {
				frappe.confirm(__("Send the next relance of {0} now?", [frm.doc.name]), () =>
					call("send_next_relance_now", { sales_invoice: frm.doc.name }, __("Relance sent"))
				);
			},
			group
		);
	}
};

relance_app.show_preview = function (p) {
	if (!p) return;
	if (p.message && !p.stage) {
		frappe.msgprint(p.message);
		return;
	}
	const esc = frappe.utils.escape_html;
	const header = `<p><b>${esc(p.stage)}</b> · ${frappe.datetime.str_to_user(p.date)} · ${__(
		p.channel
	)}${p.requires_approval ? " · " + __("requires approval") : ""}</p>`;
	const email = p.subject
		? `<p><b>${__("To")}:</b> ${esc((p.recipients || []).join(", ")) || __("no recipient")}</p>
		   <p><b>${__("Subject")}:</b> ${esc(p.subject)}</p>
		   <p><b>${__("Attachments")}:</b> ${esc((p.attachments || []).join(", "))}</p>
		   <div class="relance-preview-body" style="border:1px solid var(--border-color);padding:12px;border-radius:6px">${p.body}</div>`
		: "";
	const pen = p.penalties;
	const penalties = pen
		? `<p><b>${__("Late-payment interest")}:</b> ${format_currency(pen.interest, pen.currency)} (${esc(
				pen.rates
		  )})</p>${pen.warning ? `<p class="text-warning">${esc(pen.warning)}</p>` : ""}`
		: "";
	frappe.msgprint({
		title: __("Next Relance (nothing sent)"),
		message: header + penalties + email,
		wide: true,
	});
};
