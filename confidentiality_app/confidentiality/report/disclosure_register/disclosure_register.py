# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Disclosure Register: every disclosure requested, on which ground, to whom, by whom, and
what became of it. Its export is allowed to Confidentiality Officers only, and logged
(confidentiality_app.channels.report: a register of this app is exported whole by the office
or not at all)."""

import frappe
from frappe import _


def execute(filters=None):
	filters = frappe._dict(filters or {})
	return columns(), data(filters)


def columns():
	return [
		{
			"fieldname": "name",
			"label": _("Disclosure"),
			"fieldtype": "Link",
			"options": "Disclosure Request",
			"width": 150,
		},
		{
			"fieldname": "party_type",
			"label": _("Client Type"),
			"fieldtype": "Data",
			"width": 90,
		},
		{
			"fieldname": "party",
			"label": _("Client"),
			"fieldtype": "Dynamic Link",
			"options": "party_type",
			"width": 150,
		},
		{"fieldname": "party_name", "label": _("Client Name"), "fieldtype": "Data", "width": 150},
		{"fieldname": "ground", "label": _("Ground"), "fieldtype": "Data", "width": 150},
		{"fieldname": "recipient_name", "label": _("Recipient"), "fieldtype": "Data", "width": 180},
		{
			"fieldname": "authority",
			"label": _("Authority"),
			"fieldtype": "Link",
			"options": "Disclosure Authority",
			"width": 160,
		},
		{"fieldname": "channels", "label": _("Channels"), "fieldtype": "Data", "width": 120},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 120},
		{
			"fieldname": "requested_by",
			"label": _("Requested By"),
			"fieldtype": "Link",
			"options": "User",
			"width": 160,
		},
		{"fieldname": "requested_on", "label": _("Requested On"), "fieldtype": "Datetime", "width": 150},
		{
			"fieldname": "approved_by",
			"label": _("Approved By"),
			"fieldtype": "Link",
			"options": "User",
			"width": 160,
		},
		{"fieldname": "approved_on", "label": _("Approved On"), "fieldtype": "Datetime", "width": 150},
		{"fieldname": "completed_on", "label": _("Completed On"), "fieldtype": "Datetime", "width": 150},
		{"fieldname": "uses", "label": _("Uses"), "fieldtype": "Int", "width": 70},
		{"fieldname": "letter_sent", "label": _("Letter Sent"), "fieldtype": "Check", "width": 90},
		{"fieldname": "description", "label": _("What"), "fieldtype": "Data", "width": 240},
	]


def data(filters):
	conditions = {"docstatus": ["in", [1, 2]]}
	for field in ("party_type", "party", "ground", "status", "requested_by", "authority"):
		if filters.get(field):
			conditions[field] = filters.get(field)
	if filters.get("recipient"):
		conditions["recipient_name"] = ["like", f"%{filters.recipient}%"]
	if filters.get("from_date") and filters.get("to_date"):
		conditions["requested_on"] = ["between", [filters.from_date, filters.to_date]]
	elif filters.get("from_date"):
		conditions["requested_on"] = [">=", filters.from_date]
	elif filters.get("to_date"):
		conditions["requested_on"] = ["<=", filters.to_date]
	rows = frappe.get_list(
		"Disclosure Request",
		filters=conditions,
		fields=[c["fieldname"] for c in columns() if c["fieldname"] != "channels"],
		order_by="requested_on desc, name desc",
		limit_page_length=0,
	)
	if rows:
		channels: dict[str, list[str]] = {}
		for parent, channel in frappe.get_all(
			"Disclosure Channel",
			{"parenttype": "Disclosure Request", "parent": ["in", [r.name for r in rows]]},
			["parent", "channel"],
			as_list=True,
			order_by="idx asc",
		):
			channels.setdefault(parent, []).append(_(channel))
		for row in rows:
			row["channels"] = ", ".join(channels.get(row.name, []))
			row["ground"] = _(row.ground)
			row["status"] = _(row.status)
	return rows
