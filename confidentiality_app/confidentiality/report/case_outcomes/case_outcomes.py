# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Case Outcomes: cases received in the period by how they came in and how they ended (still
open, no breach found, breach found), with the average days from receipt to determination.
One grouped query."""

import frappe
from frappe import _
from frappe.query_builder import Case, CustomFunction
from frappe.query_builder.functions import Avg, Count
from pypika.terms import PseudoColumn

OPEN, NO_BREACH, BREACH = "Open", "No Breach Found", "Breach Found"


def execute(filters=None):
	filters = frappe._dict(filters or {})
	columns = [
		{"fieldname": "intake_channel", "label": _("Received Through"), "fieldtype": "Data", "width": 140},
		{"fieldname": "outcome", "label": _("Outcome"), "fieldtype": "Data", "width": 150},
		{"fieldname": "cases", "label": _("Cases"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "days_to_determination",
			"label": _("Average Days To Determination"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 200,
		},
	]
	frappe.has_permission("Ombudsman Case", "report", throw=True)
	case = frappe.qb.DocType("Ombudsman Case")
	elapsed = CustomFunction("TIMESTAMPDIFF", ["unit", "start", "end"])
	outcome = (
		Case()
		.when(case.determined_on.isnull(), OPEN)
		.when(case.breach_of_confidentiality == 1, BREACH)
		.else_(NO_BREACH)
	)
	query = (
		frappe.qb.from_(case)
		.select(
			case.intake_channel,
			outcome.as_("outcome"),
			Count(case.name).as_("cases"),
			(Avg(elapsed(PseudoColumn("SECOND"), case.received_on, case.determined_on)) / 86400).as_(
				"days_to_determination"
			),
		)
		.groupby(case.intake_channel, outcome)
		.orderby(case.intake_channel)
	)
	if filters.from_date:
		query = query.where(case.received_on >= filters.from_date)
	if filters.to_date:
		query = query.where(case.received_on <= f"{filters.to_date} 23:59:59")
	rows = query.run(as_dict=True)
	for row in rows:
		row["intake_channel"] = _(row.intake_channel) if row.intake_channel else ""
		row["outcome"] = _(row.outcome)
	return columns, rows
