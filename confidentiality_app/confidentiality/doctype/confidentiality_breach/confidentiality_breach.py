# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Confidentiality Breach: what client information was released, to whom, when, by whom, the
reason given and whether it was valid; recorded by a determination (or by hand, from a log
review or a self-report). It is part of the Ombudsman Service's record: never deleted."""

import frappe
from frappe import _
from frappe.model.document import Document


class ConfidentialityBreach(Document):
	def validate(self):
		if self.valid_reason and not self.ground:
			frappe.throw(_("A valid reason names the Code's ground it rested on."))

	def on_trash(self):
		frappe.throw(
			_(
				"Confidentiality Breach {0} is part of the Ombudsman Service's record and is never deleted."
			).format(self.name),
			frappe.PermissionError,
		)
