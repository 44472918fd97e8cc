# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Sanctions Register: every sanction raised, across member organisations."""

import frappe
from frappe import _


def execute(filters=None):
	filters = frappe._dict(filters or {})
	columns = [
		{
			"fieldname": "name",
			"label": _("Sanction"),
			"fieldtype": "Link",
			"options": "Sanction",
			"width": 140,
		},
		{"fieldname": "organisation", "label": _("Organisation"), "fieldtype": "Data", "width": 180},
		{
			"fieldname": "practitioner",
			"label": _("Practitioner"),
			"fieldtype": "Link",
			"options": "Practitioner",
			"width": 140,
		},
		{"fieldname": "practitioner_name", "label": _("Name"), "fieldtype": "Data", "width": 160},
		{"fieldname": "sanction_type", "label": _("Type"), "fieldtype": "Data", "width": 150},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 90},
		{"fieldname": "term_from", "label": _("From"), "fieldtype": "Date", "width": 100},
		{"fieldname": "term_to", "label": _("Until"), "fieldtype": "Date", "width": 100},
		{
			"fieldname": "case",
			"label": _("Case"),
			"fieldtype": "Link",
			"options": "Ombudsman Case",
			"width": 140,
		},
	]
	conditions = {}
	for field in ("organisation", "practitioner", "sanction_type", "status"):
		if filters.get(field):
			conditions[field] = filters.get(field)
	rows = frappe.get_list(
		"Sanction",
		filters=conditions,
		fields=[
			"name",
			"organisation",
			"practitioner",
			"sanction_type",
			"status",
			"term_from",
			"term_to",
			"case",
		],
		order_by="organisation asc, term_from desc",
		limit_page_length=0,
	)
	names = frappe.get_all(
		"Practitioner",
		{"name": ["in", [r.practitioner for r in rows] or [""]]},
		["name", "practitioner_name"],
	)
	by_name = {n.name: n.practitioner_name for n in names}
	for row in rows:
		row["practitioner_name"] = by_name.get(row.practitioner)
		row["sanction_type"] = _(row.sanction_type)
		row["status"] = _(row.status)
	return columns, rows
