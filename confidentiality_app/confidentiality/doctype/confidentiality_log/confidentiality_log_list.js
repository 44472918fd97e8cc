// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

// Document and client are plain text, so that a rename never rewrites the evidence; they
// still open the record they name (when it exists under that name).
function confidentiality_log_link(doctype, name) {
	if (!doctype || !name) return frappe.utils.escape_html(name || "");
	const route = `/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}`;
	return `<a href="${route}" title="${frappe.utils.escape_html(__(doctype))}">${frappe.utils.escape_html(name)}</a>`;
}

frappe.listview_settings["Confidentiality Log"] = {
	add_fields: ["outcome", "decision", "mode", "reference_doctype", "client_doctype"],

	formatters: {
		reference_name(value, df, doc) {
			return confidentiality_log_link(doc.reference_doctype, value);
		},
		client_name(value, df, doc) {
			return confidentiality_log_link(doc.client_doctype, value);
		},
	},
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
