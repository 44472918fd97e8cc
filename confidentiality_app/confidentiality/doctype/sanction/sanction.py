# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Sanction: raised on a case against a practitioner. A suspension (or any sanction marked
to hold the practitioner's egress) puts the practitioner under review while it is active."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from confidentiality_app import ombudsman
from confidentiality_app.decision.permissions import OMBUDSMAN


class Sanction(Document):
	def validate(self):
		if OMBUDSMAN not in frappe.get_roles():
			frappe.throw(_("Only an Ombudsman Officer raises a sanction."), frappe.PermissionError)
		if self.term_to and getdate(self.term_to) < getdate(self.term_from):
			frappe.throw(_("Until cannot be before From."))
		if self.sanction_type in ("Suspension", "Removal From Register"):
			self.review_egress = 1
		case = frappe.db.get_value(
			"Ombudsman Case", self.case, ["name", "breach_of_confidentiality"], as_dict=True
		)
		if not case:
			frappe.throw(_("Ombudsman Case {0} does not exist.").format(self.case))
		respondents = frappe.get_all(
			"Ombudsman Case Respondent",
			{"parent": self.case, "parenttype": "Ombudsman Case"},
			pluck="practitioner",
		)
		if respondents and self.practitioner not in respondents:
			frappe.throw(_("{0} is not a respondent of case {1}.").format(self.practitioner, self.case))

	def on_update(self):
		frappe.local.confidentiality_review = None  # who is under review changed
		status = {
			"Suspension": "Suspended",
			"Removal From Register": "Removed From Register",
		}.get(self.sanction_type, "Under Review" if self.review_egress else None)
		if self.status == "Active" and status:
			frappe.db.set_value("Practitioner", self.practitioner, "status", status)
		elif self.status == "Ended" and not frappe.db.exists(
			"Sanction",
			{
				"practitioner": self.practitioner,
				"status": "Active",
				"review_egress": 1,
				"name": ["!=", self.name],
			},
		):
			frappe.db.set_value("Practitioner", self.practitioner, "status", "Active")
		case = frappe.get_doc("Ombudsman Case", self.case)
		ombudsman.log_case(
			case,
			"Raise Sanction",
			_("{0} {1} for {2} ({3})").format(
				_(self.sanction_type), self.name, self.practitioner, _(self.status)
			),
		)

	def on_trash(self):
		frappe.throw(_("A sanction is kept on the register; end it instead."), frappe.PermissionError)
