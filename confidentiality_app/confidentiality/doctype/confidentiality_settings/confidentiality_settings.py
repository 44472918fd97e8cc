# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from confidentiality_app import audit, clients


class ConfidentialitySettings(Document):
	def validate(self):
		seen = set()
		for row in self.protected_doctypes:
			key = (row.document_type, (row.client_field or "").strip())
			if key in seen:
				frappe.throw(_("Row {0}: {1} is listed twice.").format(row.idx, row.document_type))
			seen.add(key)
			try:
				clients.validate_rule(row.document_type, key[1])
			except clients.ConfigurationError as e:
				frappe.throw(_("Row {0}: {1}").format(row.idx, e))

	def on_update(self):
		before = self.get_doc_before_save()
		if before and before.mode != self.mode:
			audit.append_on_commit(
				audit.Entry(
					action="Change Mode",
					channel="Confidentiality Settings",
					outcome="Recorded",
					mode=self.mode,
					reason=_("Mode changed from {0} to {1}.").format(before.mode, self.mode),
				)
			)
