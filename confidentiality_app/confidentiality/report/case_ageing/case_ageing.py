# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Case Ageing: open cases by stage, days in the stage and since received, overdue first."""

import frappe
from frappe import _
from frappe.utils import date_diff, now_datetime


def execute(filters=None):
	columns = [
		{
			"fieldname": "name",
			"label": _("Case"),
			"fieldtype": "Link",
			"options": "Ombudsman Case",
			"width": 150,
		},
		{"fieldname": "status", "label": _("Stage"), "fieldtype": "Data", "width": 150},
		{"fieldname": "days_in_stage", "label": _("Days In Stage"), "fieldtype": "Int", "width": 110},
		{"fieldname": "days_open", "label": _("Days Since Received"), "fieldtype": "Int", "width": 130},
		{"fieldname": "due_on", "label": _("Stage Due On"), "fieldtype": "Datetime", "width": 160},
		{"fieldname": "escalated", "label": _("Overdue"), "fieldtype": "Check", "width": 80},
		{"fieldname": "intake_channel", "label": _("Received Through"), "fieldtype": "Data", "width": 120},
		{"fieldname": "breach_of_confidentiality", "label": _("Breach"), "fieldtype": "Check", "width": 80},
	]
	now = now_datetime()
	rows = frappe.get_list(
		"Ombudsman Case",
		filters={"status": ["!=", "Closed"]},
		fields=[
			"name",
			"status",
			"stage_since",
			"received_on",
			"due_on",
			"escalated",
			"intake_channel",
			"breach_of_confidentiality",
		],
		limit_page_length=0,
	)
	for row in rows:
		row["days_in_stage"] = date_diff(now, row.stage_since) if row.stage_since else None
		row["days_open"] = date_diff(now, row.received_on) if row.received_on else None
		row["status"] = _(row.status)
	rows.sort(key=lambda r: (-(r.escalated or 0), -(r.days_in_stage or 0)))
	return columns, rows
