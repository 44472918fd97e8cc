# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log: append-only. Entries are written by confidentiality_app.log.audit on a
connection of their own; nothing may create, change or delete one through the ORM,
whatever the user's roles (Administrator included)."""

import frappe
from frappe import _
from frappe.model.document import Document


class LogIsAppendOnly(frappe.PermissionError):
	pass


class AppendOnly(Document):
	"""Rows written by the log on its own connection: the ORM may never create, change,
	delete or rename one (the log's entries, its tree's nodes)."""

	refusal = _(
		"Confidentiality Log entries are append-only evidence: they cannot be created, changed or deleted."
	)

	def _refuse(self, *args, **kwargs):
		frappe.throw(self.refusal, LogIsAppendOnly)

	before_insert = validate = on_trash = before_rename = _refuse


class ConfidentialityLog(AppendOnly):
	pass
