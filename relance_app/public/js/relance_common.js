// Shared rendering of relance timelines (Sales Invoice and Customer forms).
frappe.provide("relance_app");

relance_app.STATUS_COLOURS = {
	"Awaiting Approval": "purple",
	Queued: "blue",
	Sent: "green",
	Failed: "red",
	Skipped: "gray",
	Cancelled: "gray",
	Answered: "cyan",
};

relance_app.STAGE_COLOURS = ["#7c3aed", "#2563eb", "#0891b2", "#d97706", "#dc2626", "#991b1b"];

relance_app.stage_colour = function (stage_name, stage_order) {
	const index = (stage_order || []).indexOf(stage_name);
	return relance_app.STAGE_COLOURS[
		Math.max(0, index) % relance_app.STAGE_COLOURS.length
	];
};

relance_app.render_logs = function (logs, options = {}) {
	if (!logs || !logs.length) {
		return `<div class="text-muted small">${__("No relance yet.")}</div>`;
	}
	const order = [...new Set(logs.map((l) => l.stage_name))].reverse();
	const rows = logs
		.map((log) => {
			const colour = relance_app.STATUS_COLOURS[log.status] || "gray";
			const stage_colour = relance_app.stage_colour(log.stage_name, order);
			const stage =
				log.stage_name === "__thank_you__"
					? __("Thank you")
					: log.status === "Answered"
					? __("Debtor Page")
					: log.stage_name;
			const email = log.communication
				? `<a href="/app/communication/${encodeURIComponent(log.communication)}">${__("Email")}</a>`
				: "";
			const amount = log.amount_due
				? format_currency(log.amount_due, log.currency)
				: "";
			return `<div class="relance-entry" data-log="${frappe.utils.escape_html(log.name)}"
				style="display:flex;gap:10px;align-items:flex-start;padding:6px 0;border-bottom:1px solid var(--border-color);">
				<span style="width:10px;height:10px;border-radius:50%;margin-top:5px;background:${stage_colour};flex:none"></span>
				<div style="flex:1">
					<div><b>${frappe.utils.escape_html(stage)}</b>
						<span class="indicator-pill ${colour}" style="margin-left:6px">${__(log.status)}</span>
						${log.test_mode ? `<span class="indicator-pill orange">${__("Test mode")}</span>` : ""}
					</div>
					<div class="text-muted small">
						${frappe.datetime.str_to_user(log.relance_date)} · ${__(log.channel || "")}
						${log.days_late ? " · " + __("{0} days late", [log.days_late]) : ""}
						${amount ? " · " + amount : ""}
						${log.recipients ? " · " + frappe.utils.escape_html(log.recipients) : ""}
						${log.remote_ip ? " · " + __("IP address {0}", [frappe.utils.escape_html(log.remote_ip)]) : ""}
						${email ? " · " + email : ""}
						· <a href="/app/relance-log/${encodeURIComponent(log.name)}">${__("Log")}</a>
					</div>
					${log.reason ? `<div class="small">${frappe.utils.escape_html(log.reason)}</div>` : ""}
				</div>
			</div>`;
		})
		.join("");
	return `<div class="relance-timeline">${rows}</div>`;
};

// The Company filter of the app's reports, on the user's default company
relance_app.company_filter = (reqd = 0) => ({
	fieldname: "company",
	label: __("Company"),
	fieldtype: "Link",
	options: "Company",
	reqd,
	default: frappe.defaults.get_user_default("Company"),
});

// Credit hold: the refusal's "Submit Anyway" button (relance_app.records.credit_hold.refusal_action) works
// wherever the refusal shows; the dialog itself is in credit_hold.js, loaded on demand
frappe.provide("relance_app.credit_hold");
relance_app.credit_hold.bypass =
	relance_app.credit_hold.bypass ||
	function (args) {
		frappe.require("/assets/relance_app/js/credit_hold.js", () => relance_app.credit_hold.bypass(args));
	};
