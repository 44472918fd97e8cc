# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log Node: a complete subtree of the log's Merkle tree, named "<level>-<index>".
Written by the sealer on the log's own connection (confidentiality_app.log.tree); nothing may
create, change or delete one through the ORM, whatever the user's roles."""

from frappe import _

from confidentiality_app.confidentiality.doctype.confidentiality_log.confidentiality_log import (
	AppendOnly,
)


class ConfidentialityLogNode(AppendOnly):
	refusal = _(
		"The Confidentiality Log's Merkle tree is written by the log alone: a node cannot be created, changed or deleted."
	)
