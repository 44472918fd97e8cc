# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Breaches By Channel: confidentiality breaches (releases without a valid reason) by the
channel they left through and the practitioner's category, across organisations. One grouped
query."""

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.query_builder.functions import Count


def execute(filters=None):
	filters = frappe._dict(filters or {})
	columns = [
		{"fieldname": "channel", "label": _("Channel"), "fieldtype": "Data", "width": 140},
		{"fieldname": "category", "label": _("Practitioner Category"), "fieldtype": "Data", "width": 260},
		{"fieldname": "breaches", "label": _("Breaches"), "fieldtype": "Int", "width": 100},
		{"fieldname": "practitioners", "label": _("Practitioners"), "fieldtype": "Int", "width": 120},
		{"fieldname": "cases", "label": _("Cases"), "fieldtype": "Int", "width": 90},
	]
	frappe.has_permission("Confidentiality Breach", "report", throw=True)
	breach = frappe.qb.DocType("Confidentiality Breach")
	practitioner = frappe.qb.DocType("Practitioner")
	query = (
		frappe.qb.from_(breach)
		.left_join(practitioner)
		.on(practitioner.name == breach.practitioner)
		.select(
			breach.channel,
			practitioner.category,
			Count(breach.name).as_("breaches"),
			Count(breach.practitioner).distinct().as_("practitioners"),
			Count(breach.case).distinct().as_("cases"),
		)
		.where(breach.valid_reason == 0)
		.groupby(breach.channel, practitioner.category)
		.orderby(Count(breach.name), order=Order.desc)
	)
	if filters.from_date:
		query = query.where(breach.released_on >= filters.from_date)
	if filters.to_date:
		query = query.where(breach.released_on <= f"{filters.to_date} 23:59:59")
	if filters.organisation:
		query = query.where(practitioner.organisation == filters.organisation)
	rows = query.run(as_dict=True)
	for row in rows:
		row["channel"] = _(row.channel) if row.channel else _("(not recorded)")
		row["category"] = _(row.category) if row.category else _("(no practitioner)")
	return columns, rows
