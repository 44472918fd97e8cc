# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log Queue: entries the gate accepted and the sealer has not yet chained
(confidentiality_app.audit). Written and removed only by audit, with SQL on its own
connection or in the caller's transaction; nothing may create, change or delete one
through the ORM."""

from frappe.model.document import Document

from confidentiality_app.confidentiality.doctype.confidentiality_log.confidentiality_log import _refuse


class ConfidentialityLogQueue(Document):
	def before_insert(self):
		_refuse()

	def validate(self):
		_refuse()

	def on_trash(self):
		_refuse()

	def before_rename(self, *args, **kwargs):
		_refuse()
