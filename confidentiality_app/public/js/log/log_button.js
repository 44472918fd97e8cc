// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Confidentiality Log: the form's "Confidentiality Log" menu item, opening the record's entries.

export function add_log_button(frm, group) {
	if (frappe.model.can_read("Confidentiality Log")) {
		frm.add_custom_button(
			__("Confidentiality Log"),
			() =>
				frappe.set_route("List", "Confidentiality Log", {
					reference_doctype: frm.doctype,
					reference_name: frm.doc.name,
				}),
			group
		);
	}
}
