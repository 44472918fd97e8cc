# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log Node: a complete subtree of the log's Merkle tree, named "<level>-<index>".
Written by the sealer on the log's own connection (confidentiality_app.log.tree); nothing may
create, change or delete one through the ORM, whatever the user's roles."""

import frappe
from frappe import _
from frappe.model.document import Document


def _refuse():
	frappe.throw(
		_(
			"The Confidentiality Log's Merkle tree is written by the log alone: a node cannot be created, changed or deleted."
		),
		frappe.PermissionError,
	)


class ConfidentialityLogNode(Document):
	def before_insert(self):
		_refuse()

	def validate(self):
		_refuse()

	def on_trash(self):
		_refuse()

	def before_rename(self, *args, **kwargs):
		_refuse()
