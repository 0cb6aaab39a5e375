// Dunning Policy: simulate what today's run would do and the next 60 days.
frappe.ui.form.on("Dunning Policy", {
	refresh(frm) {
		if (frm.is_new()) return;
		// the mandatory payment mentions of the company's invoices, written from this policy
		frm.add_custom_button(__("Legal Mentions"), () => {
			frappe.confirm(
				__(
					"Write the payment mentions of {0}'s invoices (penalty rate, 40 EUR indemnity, early-payment discount) from this policy?",
					[frm.doc.company]
				),
				() =>
					frappe
						.call({
							method: "relance_app.api.write_legal_mentions",
							args: { dunning_policy: frm.doc.name },
						})
						.then((r) => {
							frappe.show_alert({
								message: __("Terms and Conditions {0} updated", [r.message.terms]),
								indicator: "green",
							});
						})
			);
		});
		frm.add_custom_button(__("Simulate"), () => {
			frappe
				.call({
					method: "relance_app.api.simulate_policy",
					args: { dunning_policy: frm.doc.name, days: 60 },
					freeze: true,
					freeze_message: __("Simulating..."),
				})
				.then((r) => {
					const s = r.message;
					const esc = frappe.utils.escape_html;
					const today = s.today.length
						? `<table class="table table-bordered table-sm"><tr><th>${__("Invoice")}</th><th>${__(
								"Customer"
						  )}</th><th>${__("Stage")}</th><th>${__("Days Late")}</th></tr>${s.today
								.map(
									(a) =>
										`<tr><td>${esc(a.sales_invoice)}</td><td>${esc(a.customer)}</td><td>${esc(
											a.stage || (a.thank_you ? __("Thank you") : __("Skipped: {0}", [a.skipped.join(", ")]))
										)}</td><td>${a.days_late}</td></tr>`
								)
								.join("")}</table>`
						: `<p class="text-muted">${__("Nothing to do today.")}</p>`;
					const calendar = s.calendar.length
						? `<table class="table table-bordered table-sm"><tr><th>${__("Date")}</th><th>${__(
								"Stage"
						  )}</th><th>${__("Invoices")}</th></tr>${s.calendar
								.map(
									(c) =>
										`<tr><td>${frappe.datetime.str_to_user(c.date)}</td><td>${esc(c.stage)}</td><td>${c.count}</td></tr>`
								)
								.join("")}</table>`
						: `<p class="text-muted">${__("No relance in the next 60 days.")}</p>`;
					frappe.msgprint({
						title: __("Simulation of {0}", [frm.doc.name]),
						wide: true,
						message: `<h5>${__("Today's run ({0} invoices)", [s.invoices])}</h5>${today}<h5>${__(
							"Next 60 days"
						)}</h5>${calendar}`,
					});
				});
		});
	},
});

// Credit hold: the trigger stage is one of the policy's stages after the due date
frappe.ui.form.on("Dunning Policy", {
	refresh(frm) {
		const names = (frm.doc.stages || [])
			.filter((s) => s.stage_name && (s.offset_days || 0) >= 0)
			.map((s) => s.stage_name);
		frm.set_df_property("credit_hold_from_stage", "options", names);
	},
});
