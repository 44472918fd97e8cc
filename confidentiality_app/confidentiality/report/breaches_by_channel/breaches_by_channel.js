// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.query_reports["Breaches By Channel"] = {
	filters: [
		{ fieldname: "from_date", label: __("Released From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("Released To"), fieldtype: "Date" },
		{ fieldname: "organisation", label: __("Organisation"), fieldtype: "Data" },
	],
};
