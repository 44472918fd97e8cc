// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.listview_settings["Client Consent"] = {
	add_fields: ["status", "docstatus", "party_type", "valid_from", "valid_until"],
	has_indicator_for_draft: true,
	has_indicator_for_cancelled: true,

	get_indicator(doc) {
		const colors = {
			Draft: "gray",
			Active: "green",
			Expired: "orange",
			Withdrawn: "red",
		};
		let status = doc.status || "Draft";
		if (doc.docstatus === 2) status = "Withdrawn";
		if (doc.docstatus === 0) status = "Draft";
		// Past Valid Until but not yet marked by the daily job: already not in force.
		if (
			status === "Active" &&
			doc.valid_until &&
			doc.valid_until < frappe.datetime.get_today()
		) {
			return [__("Expired"), "orange", "valid_until,<,Today"];
		}
		return [__(status), colors[status] || "gray", "status,=," + status];
	},

	onload(listview) {
		const today = frappe.datetime.get_today();
		listview.page.add_inner_button(
			__("Active"),
			() => set_filters(listview, [["Client Consent", "status", "=", "Active"]]),
			__("Show")
		);
		listview.page.add_inner_button(
			__("Expiring in 30 Days"),
			() =>
				set_filters(listview, [
					["Client Consent", "status", "=", "Active"],
					[
						"Client Consent",
						"valid_until",
						"between",
						[today, frappe.datetime.add_days(today, 30)],
					],
				]),
			__("Show")
		);
		listview.page.add_inner_button(
			__("Withdrawn"),
			() => set_filters(listview, [["Client Consent", "status", "=", "Withdrawn"]]),
			__("Show")
		);
		listview.page.add_inner_button(__("All"), () => set_filters(listview, []), __("Show"));
	},
};

function set_filters(listview, filters) {
	listview.filter_area.clear(false).then(() => {
		if (filters.length) {
			listview.filter_area.add(filters);
		} else {
			listview.refresh();
		}
	});
}
