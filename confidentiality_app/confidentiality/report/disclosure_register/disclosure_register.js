// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

frappe.query_reports["Disclosure Register"] = {
	filters: [
		{ fieldname: "party_type", label: __("Client Type"), fieldtype: "Link", options: "DocType" },
		{ fieldname: "party", label: __("Client"), fieldtype: "Dynamic Link", options: "party_type" },
		{
			fieldname: "ground",
			label: __("Ground"),
			fieldtype: "Select",
			options: ["", "Written Consent", "Government Requirement", "Serious Danger"],
		},
		{ fieldname: "recipient", label: __("Recipient"), fieldtype: "Data" },
		{ fieldname: "authority", label: __("Authority"), fieldtype: "Link", options: "Disclosure Authority" },
		{ fieldname: "requested_by", label: __("Practitioner"), fieldtype: "Link", options: "User" },
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: ["", "Pending Approval", "Approved", "Refused", "Completed", "Revoked"],
		},
		{ fieldname: "from_date", label: __("From"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("To"), fieldtype: "Date" },
	],
};
