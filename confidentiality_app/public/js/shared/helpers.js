// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Shared helpers: the confidentiality_app.consent_panel namespace and what the boot says.

frappe.provide("confidentiality_app.consent_panel");

export const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));

export function boot_info() {
	return (frappe.boot && frappe.boot.confidentiality) || {};
}

export function monitor_mode() {
	return boot_info().mode === "Monitor";
}

export function client_doctypes(data) {
	return (data && data.client_doctypes) || boot_info().client_doctypes || [];
}

// The client the toolbar's Record Consent is for: the record itself when it is a
// client record, else the first client it names.
export function default_client(frm, data) {
	if (client_doctypes(data).includes(frm.doctype)) {
		return { party_type: frm.doctype, party: frm.doc.name };
	}
	const first = (data && data.clients && data.clients[0]) || null;
	return first ? { party_type: first.party_type, party: first.party } : null;
}
