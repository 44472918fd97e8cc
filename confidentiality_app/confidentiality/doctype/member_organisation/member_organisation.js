// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.ui.form.on("Member Organisation", {
	refresh(frm) {
		if (frm.doc.witness_alert) {
			frm.dashboard.set_headline_alert(
				__("Witness alert on {0}: {1}", [
					frappe.datetime.str_to_user(frm.doc.witness_alert_on),
					frappe.utils.escape_html(frm.doc.witness_alert),
				]),
				"red"
			);
		} else if (frm.doc.silent) {
			frm.dashboard.set_headline_alert(__("No checkpoint received from this member's log for too long."), "orange");
		}
	},
});
