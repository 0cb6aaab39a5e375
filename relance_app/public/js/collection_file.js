// The collection file (Sales Invoice and Customer) and the letters' delivery (Sales Invoice and
// Relance Log). Loaded on demand by the form scripts: frappe.require("/assets/relance_app/js/collection_file.js").
frappe.provide("relance_app.collection_file");

relance_app.collection_file.LETTER_CHANNELS = ["Letter", "Email and Letter"];
relance_app.collection_file.ACCOUNTS = ["Accounts Manager", "Accounts User", "System Manager"];

relance_app.collection_file.show_result = function (r, frm) {
	const m = r && r.message;
	if (!m) return;
	if (m.queued) {
		frappe.msgprint(
			__("{0} invoices: the collection file is being built and will be attached when ready.", [
				m.invoices,
			])
		);
		return;
	}
	const link = `<a class="relance-collection-file-link" href="${encodeURI(m.file_url)}" target="_blank">${frappe.utils.escape_html(
		m.file_name
	)}</a>`;
	const parts = (m.parts || [])
		.map((p) => `<li>${frappe.utils.escape_html(p.title)} – ${__("page {0}", [p.first_page])}</li>`)
		.join("");
	frappe.msgprint({
		title: __("Collection File"),
		message: `<p>${__("Saved and attached (private): {0}", [link])}</p><ol>${parts}</ol>`,
		indicator: "green",
	});
	if (frm) frm.reload_doc();
};

relance_app.collection_file.output_field = {
	fieldname: "output",
	fieldtype: "Select",
	label: __("Format"),
	options: [
		{ value: "PDF", label: __("One PDF") },
		{ value: "ZIP", label: __("ZIP of the separate PDFs") },
	],
	default: "PDF",
	reqd: 1,
};

relance_app.collection_file.setup_invoice = function (frm) {
	const group = __("Relance");
	// the file shows the Relance Logs: Accounts roles only, as the methods check
	if (frm.doc.docstatus !== 1 || frm.doc.is_return) return;
	if (!frappe.user.has_role(relance_app.collection_file.ACCOUNTS)) return;
	frm.add_custom_button(
		__("Collection File"),
		() => {
			const d = new frappe.ui.Dialog({
				title: __("Collection file of {0}", [frm.doc.name]),
				fields: [
					{
						fieldtype: "HTML",
						options: `<p class="text-muted">${__(
							"Cover page with the amounts claimed today, the invoice, the statement of account, every relance as sent, the letters, promises and disputes, and the payments received."
						)}</p>`,
					},
					relance_app.collection_file.output_field,
				],
				primary_action_label: __("Build the File"),
				primary_action(values) {
					d.hide();
					frappe
						.call({
							method: "relance_app.api.make_for_invoice",
							args: { sales_invoice: frm.doc.name, output: values.output },
							freeze: true,
							freeze_message: __("Building the collection file…"),
						})
						.then((r) => relance_app.collection_file.show_result(r, frm));
				},
			});
			d.show();
		},
		group
	);
	frappe.db
		.get_list("Relance Log", {
			filters: {
				sales_invoice: frm.doc.name,
				channel: ["in", relance_app.collection_file.LETTER_CHANNELS],
				status: ["in", ["Queued", "Sent"]],
			},
			fields: [
				"name",
				"stage_name",
				"relance_date",
				"sending_method",
				"registered_number",
				"posting_date",
				"acknowledgement",
				"acknowledgement_date",
				"acknowledgement_scan",
			],
			order_by: "relance_date desc",
			limit: 20,
		})
		.then((logs) => {
			if (!logs || !logs.length) return;
			frm.add_custom_button(
				__("Record Letter Delivery"),
				() => {
					if (logs.length === 1) {
						relance_app.collection_file.letter_dialog(logs[0], () => frm.reload_doc());
						return;
					}
					frappe.prompt(
						{
							fieldname: "log",
							fieldtype: "Select",
							label: __("Letter"),
							reqd: 1,
							options: logs.map((l) => ({
								value: l.name,
								label: `${l.stage_name} – ${frappe.datetime.str_to_user(l.relance_date)}`,
							})),
						},
						(v) =>
							relance_app.collection_file.letter_dialog(
								logs.find((l) => l.name === v.log),
								() => frm.reload_doc()
							),
						__("Which letter?")
					);
				},
				group
			);
		});
};

relance_app.collection_file.setup_customer = function (frm) {
	if (frm.is_new() || !frappe.user.has_role(relance_app.collection_file.ACCOUNTS)) return;
	frm.add_custom_button(
		__("Collection File"),
		() => {
			frappe
				.call("relance_app.api.customer_companies", { customer: frm.doc.name })
				.then((r) => {
					const companies = r.message || [];
					if (!companies.length) {
						frappe.msgprint(__("{0} has no overdue invoice.", [frm.doc.name]));
						return;
					}
					const d = new frappe.ui.Dialog({
						title: __("Collection file of {0}", [frm.doc.name]),
						fields: [
							{
								fieldtype: "HTML",
								options: `<p class="text-muted">${__(
									"Every overdue invoice of the customer with the company below, in one file."
								)}</p>`,
							},
							{
								fieldname: "company",
								fieldtype: "Select",
								label: __("Company"),
								options: companies,
								default: companies[0],
								reqd: 1,
							},
							relance_app.collection_file.output_field,
						],
						primary_action_label: __("Build the File"),
						primary_action(values) {
							d.hide();
							frappe
								.call({
									method: "relance_app.api.make_for_customer",
									args: { customer: frm.doc.name, company: values.company, output: values.output },
									freeze: true,
									freeze_message: __("Building the collection file…"),
								})
								.then((r) => relance_app.collection_file.show_result(r, frm));
						},
					});
					d.show();
				});
		},
		__("Relance")
	);
};

relance_app.collection_file.letter_dialog = function (log, after) {
	const REGISTERED = "Registered letter with acknowledgement of receipt";
	const d = new frappe.ui.Dialog({
		title: __("Letter {0}: delivery", [log.stage_name]),
		fields: [
			{
				fieldname: "sending_method",
				fieldtype: "Select",
				label: __("Sending Method"),
				reqd: 1,
				options: ["Simple letter", REGISTERED, "Hand delivery"].map((v) => ({ value: v, label: __(v) })),
				default: log.sending_method || REGISTERED,
			},
			{
				fieldname: "registered_number",
				fieldtype: "Data",
				label: __("Registered-Mail Number"),
				depends_on: `eval:doc.sending_method === "${REGISTERED}"`,
				default: log.registered_number,
			},
			{
				fieldname: "posting_date",
				fieldtype: "Date",
				label: __("Date Posted"),
				default: log.posting_date,
			},
			{ fieldtype: "Column Break" },
			{
				fieldname: "acknowledgement",
				fieldtype: "Select",
				label: __("Acknowledgement of Receipt"),
				depends_on: 'eval:doc.sending_method !== "Simple letter"',
				options: [
					{ value: "", label: "" },
					{ value: "Received", label: __("Received") },
					{ value: "Returned, not collected", label: __("Returned, not collected") },
				],
				default: log.acknowledgement || "",
			},
			{
				fieldname: "acknowledgement_date",
				fieldtype: "Date",
				label: __("Acknowledgement Date"),
				depends_on: "eval:doc.acknowledgement",
				default: log.acknowledgement_date,
			},
			{
				fieldname: "scan",
				fieldtype: "Attach",
				label: __("Acknowledgement Scan"),
				default: log.acknowledgement_scan,
			},
		],
		primary_action_label: __("Save"),
		primary_action(values) {
			frappe
				.call({
					method: "relance_app.api.record_letter_delivery",
					args: {
						relance_log: log.name,
						sending_method: values.sending_method,
						registered_number: values.sending_method === REGISTERED ? values.registered_number : null,
						posting_date: values.posting_date,
						acknowledgement: values.acknowledgement || null,
						acknowledgement_date: values.acknowledgement ? values.acknowledgement_date : null,
						scan: values.scan && values.scan !== log.acknowledgement_scan ? values.scan : null,
					},
					freeze: true,
				})
				.then(() => {
					d.hide();
					frappe.show_alert({ message: __("Letter delivery recorded"), indicator: "green" });
					if (after) after();
				});
		},
	});
	d.show();
};
