// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.query_reports["Case Outcomes"] = {
	filters: [
		{ fieldname: "from_date", label: __("Received From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("Received To"), fieldtype: "Date" },
	],
};
