// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.listview_settings["Member Organisation"] = {
	add_fields: ["status", "silent", "witness_alert", "witnessed_on"],
	get_indicator(doc) {
		if (doc.status !== "Active") return [__(doc.status), "gray", "status,=," + doc.status];
		if (doc.witness_alert) return [__("Alert"), "red", "witness_alert,is,set"];
		if (doc.silent) return [__("Silent"), "orange", "silent,=,1"];
		if (!doc.witnessed_on) return [__("Not Witnessed Yet"), "blue", "witnessed_on,is,not set"];
		return [__("Witnessed"), "green", "silent,=,0"];
	},
};
