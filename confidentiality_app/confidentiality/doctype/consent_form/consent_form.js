// Copyright (c) 2026, confidentiality_app contributors and contributors
// For license information, please see license.txt

// frappe.ui.form.on("Consent Form", {
// 	refresh(frm) {

// 	},
// });
