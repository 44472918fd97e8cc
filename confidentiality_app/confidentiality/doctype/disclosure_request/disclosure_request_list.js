// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.listview_settings["Disclosure Request"] = {
	add_fields: ["status", "ground"],
	has_indicator_for_draft: true,
	get_indicator(doc) {
		const colors = {
			Draft: "gray",
			"Pending Approval": "orange",
			Approved: "blue",
			Completed: "green",
			Refused: "red",
			Revoked: "gray",
		};
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
