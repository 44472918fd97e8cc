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


def _refuse():
	frappe.throw(
		_(
			"Confidentiality Log entries are append-only evidence: they cannot be created, changed or deleted."
		),
		LogIsAppendOnly,
	)


class ConfidentialityLog(Document):
	def before_insert(self):
		_refuse()

	def validate(self):
		_refuse()

	def on_trash(self):
		_refuse()

	def before_rename(self, *args, **kwargs):
		_refuse()
