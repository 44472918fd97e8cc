// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.ui.form.on("Disclosure Authority", {
	refresh(frm) {
		if (frm.doc.is_standard) {
			frm.set_intro(
				__("A standard authority named by the Code: it can be disabled, not deleted."),
				"blue"
			);
		}
	},
});
