frappe.query_reports["Sanctions Register"] = {
	filters: [
		{ fieldname: "organisation", label: __("Organisation"), fieldtype: "Data" },
		{ fieldname: "practitioner", label: __("Practitioner"), fieldtype: "Link", options: "Practitioner" },
		{
			fieldname: "sanction_type",
			label: __("Type"),
			fieldtype: "Select",
			options: ["", "Advice", "Warning", "Mandatory Training", "Suspension", "Removal From Register", "Other"],
		},
		{ fieldname: "status", label: __("Status"), fieldtype: "Select", options: ["", "Active", "Ended"] },
	],
};
