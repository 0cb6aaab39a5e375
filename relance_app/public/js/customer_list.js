// Customer list: "Orders held" for a customer on credit hold (relance_app.records.credit_hold keeps
// the Customer's relance_credit_hold up to date); the rest as Frappe shows it.
(function () {
	const settings = (frappe.listview_settings["Customer"] = frappe.listview_settings["Customer"] || {});
	settings.add_fields = [...(settings.add_fields || []), "relance_credit_hold", "disabled"];
	const before = settings.get_indicator;
	settings.get_indicator = function (doc) {
		if (doc.relance_credit_hold && !doc.disabled) {
			return [__("Orders held"), "red", "relance_credit_hold,=,1"];
		}
		if (before) return before(doc);
		return doc.disabled ? [__("Disabled"), "grey", "disabled,=,1"] : [__("Enabled"), "blue", "disabled,=,0"];
	};
})();
