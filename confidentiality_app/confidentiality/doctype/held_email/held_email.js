// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.ui.form.on("Held Email", {
	refresh(frm) {
		frm.disable_save();
		if (frm.doc.status !== "Held") return;
		if (!frappe.user.has_role(["Confidentiality Officer", "Administrator"])) return;
		frm.add_custom_button(__("Release"), () => confidentiality_release_held([frm.doc.name], () => frm.reload_doc()));
		frm.add_custom_button(__("Discard"), () => confidentiality_discard_held([frm.doc.name], () => frm.reload_doc()));
		frm.dashboard.set_headline_alert(
			`<div class="small">${frappe.utils.escape_html(frm.doc.reason || "")}</div>`,
			"orange"
		);
	},
});
