# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log Verification: one background run of the full verification
(confidentiality_app.log.verification.run). Started from the desk or the scheduler; its result
is written by the job and read by everyone who may read the log."""

import frappe
from frappe import _
from frappe.model.document import Document


class ConfidentialityLogVerification(Document):
	def validate(self):
		if not frappe.flags.in_log_verification:
			frappe.throw(
				_("A verification's result is written by the verification alone."), frappe.PermissionError
			)

	def on_trash(self):
		if not frappe.flags.in_log_verification:
			frappe.throw(_("A verification's result is kept."), frappe.PermissionError)
