// Customer: the "Relances" panel, every relance across the customer's invoices.
frappe.ui.form.on("Customer", {
	refresh(frm) {
		if (frm.is_new()) return;
		const $section = frm.dashboard.add_section("", __("Relances"));
		relance_app.load_customer_panel(frm, $section, 0);
		// collection file of the customer's overdue invoices (relance_app/public/js/collection_file.js)
		frappe.require("/assets/relance_app/js/collection_file.js", () =>
			relance_app.collection_file.setup_customer(frm)
		);
	},
});

frappe.provide("relance_app");

relance_app.load_customer_panel = function (frm, $wrapper, start) {
	frappe
		.call("relance_app.api.get_customer_relances", {
			customer: frm.doc.name,
			start,
			page_length: 100,
		})
		.then((r) => {
			const data = r.message;
			if (!data) return;
			const s = data.summary;
			const stages = Object.entries(s.per_stage)
				.map(([k, v]) => `<span class="indicator-pill blue" style="margin-right:4px">${frappe.utils.escape_html(k)}: ${v}</span>`)
				.join("");
			const promises = s.promises
				.map((p) => `${p.sales_invoice} (${frappe.datetime.str_to_user(p.until)})`)
				.join(", ");
			const summary = `<div class="relance-summary row" style="margin-bottom:12px">
				<div class="col-sm-3"><div class="text-muted small">${__("Total overdue")}</div>
					<div class="h5" data-field="total_overdue">${format_currency(s.total_overdue, s.currency)}</div>
					<div class="small text-muted">${__("{0} overdue of {1} open invoices", [s.overdue_count, s.open_count])}</div></div>
				<div class="col-sm-3"><div class="text-muted small">${__("Invoices per stage")}</div><div>${stages || "-"}</div></div>
				<div class="col-sm-3"><div class="text-muted small">${__("Holds and promises")}</div>
					<div data-field="holds">${__("{0} on hold", [s.holds])}</div>
					<div class="small">${promises ? __("Promises: {0}", [promises]) : ""}</div></div>
				<div class="col-sm-3"><div class="text-muted small">${__("Average days late (12 months)")}</div>
					<div class="h5" data-field="avg_days_late">${s.avg_days_late}</div>
					<div class="small text-muted">${__("{0} late invoices", [s.late_invoices])}</div></div>
			</div>`;
			const groups = data.invoices
				.map(
					(g) => `<div class="relance-invoice" style="margin-bottom:10px">
					<div><a href="/app/sales-invoice/${encodeURIComponent(g.sales_invoice)}"><b>${frappe.utils.escape_html(g.sales_invoice)}</b></a></div>
					${relance_app.render_logs(g.logs)}</div>`
				)
				.join("");
			const more = data.has_more
				? `<button class="btn btn-xs btn-default relance-more">${__("Older relances")}</button>`
				: "";
			const html = summary + (groups || `<div class="text-muted">${__("No relance yet.")}</div>`) + more;
			if (start) {
				$wrapper.find(".relance-more").remove();
				$wrapper.append(groups + more);
			} else {
				$wrapper.html(`<div class="relance-panel">${html}</div>`);
			}
			$wrapper.find(".relance-more").on("click", () =>
				relance_app.load_customer_panel(frm, $wrapper, start + data.page_length)
			);
		});
};

// The debtor page (relance_app.common.debtor_links): the link of a customer, and revoking every link issued so far
frappe.ui.form.on("Customer", {
	refresh(frm) {
		if (frm.is_new()) return;
		const roles = ["Accounts Manager", "Accounts User", "System Manager"];
		if (!roles.some((role) => frappe.user.has_role(role))) return;
		frm.add_custom_button(__("Debtor Page Link"), () => relance_app.portal_link(frm), __("Relance"));
		if (frm.perm[0] && frm.perm[0].write) {
			frm.add_custom_button(
				__("Revoke Relance Links"),
				() => relance_app.revoke_portal_links(frm),
				__("Relance")
			);
		}
	},
});

relance_app.portal_link = function (frm) {
	frappe.prompt(
		[
			{
				fieldname: "company",
				fieldtype: "Link",
				options: "Company",
				label: __("Company"),
				description: __("Empty: the company of the customer's latest open invoice."),
			},
		],
		(values) =>
			frappe
				.call("relance_app.api.get_portal_link", { customer: frm.doc.name, company: values.company })
				.then((r) => {
					if (!r.message) return;
					const url = r.message;
					frappe.msgprint({
						title: __("Debtor Page Link"),
						indicator: "blue",
						message: `<p>${__(
							"The customer sees its open invoices, pays, promises a date or disputes, with no account. The link works for the days set in Relance Settings."
						)}</p><input class="form-control relance-portal-link" readonly value="${frappe.utils.escape_html(url)}">`,
						primary_action: {
							label: __("Copy"),
							action: () => frappe.utils.copy_to_clipboard(url),
						},
					});
				}),
		__("Debtor Page Link"),
		__("Get Link")
	);
};

relance_app.revoke_portal_links = function (frm) {
	frappe.confirm(
		__("Every link to the debtor page issued to {0} until now stops working. Continue?", [
			frappe.utils.escape_html(frm.doc.customer_name || frm.doc.name),
		]),
		() =>
			frappe
				.call({
					method: "relance_app.api.revoke_portal_links",
					args: { customer: frm.doc.name },
					freeze: true,
				})
				.then(() => {
					frappe.show_alert({ message: __("Relance links revoked."), indicator: "green" });
					frm.reload_doc();
				})
	);
};
