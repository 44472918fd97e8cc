// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.listview_settings["Confidentiality Log"] = {
	add_fields: ["outcome", "decision", "mode"],
	hide_name_column: false,

	get_indicator(doc) {
		const colors = {
			Blocked: "red",
			Monitored: "orange",
			Allowed: "green",
			Revoked: "purple",
			Recorded: "blue",
		};
		// Widgets that do not load the outcome (e.g. workspace quick lists) get no pill.
		if (!doc.outcome) return;
		return [__(doc.outcome), colors[doc.outcome] || "gray", "outcome,=," + doc.outcome];
	},

	onload(listview) {
		// The log is append-only: entries are written by the confidentiality gate, never by hand.
		listview.can_create = false;
		listview.page.clear_primary_action();
	},
};
