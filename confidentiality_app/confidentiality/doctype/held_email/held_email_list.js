// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.listview_settings["Held Email"] = {
	add_fields: ["status", "client_doctype", "reference_doctype"],
	get_indicator(doc) {
		const colors = { Held: "orange", Released: "green", Discarded: "gray" };
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
	onload(listview) {
		listview.can_create = false;
		listview.page.clear_primary_action();
		if (!frappe.user.has_role(["Confidentiality Officer", "Administrator"])) return;
		const selected = () => listview.get_checked_items(true);
		listview.page.add_actions_menu_item(__("Release"), () =>
			confidentiality_release_held(selected(), () => listview.refresh())
		);
		listview.page.add_actions_menu_item(__("Discard"), () =>
			confidentiality_discard_held(selected(), () => listview.refresh())
		);
	},
};
