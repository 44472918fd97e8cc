// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

// Entries are evidence: read-only for everyone. Document and client are stored as text
// (a rename must never rewrite the log); these buttons open what they name.
frappe.ui.form.on("Confidentiality Log", {
	refresh(frm) {
		frm.disable_save();
		const open = (doctype, name, label) => {
			if (doctype && name) {
				frm.add_custom_button(label, () => frappe.set_route("Form", doctype, name), __("Open"));
			}
		};
		open(frm.doc.reference_doctype, frm.doc.reference_name, __("Document"));
		open(frm.doc.client_doctype, frm.doc.client_name, __("Client"));
	},
});
