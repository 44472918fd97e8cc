"""The Confidentiality Log: verify, seal, publish the head."""

from __future__ import annotations

import frappe

from confidentiality_app.decision.permissions import OFFICER, OMBUDSMAN
from confidentiality_app.log import audit, verification


@frappe.whitelist()
def verify_log():
	"""Walk the whole Confidentiality Log against the site's keys and published heads:
	{"ok", "entries", "first_bad", "problem", "problems": [{"name", "sequence", "problem"}],
	"head_sequence", "head_hash", "anchors_checked"}."""
	frappe.only_for((OFFICER, OMBUDSMAN, "System Manager"))
	return verification.verify().as_dict()


@frappe.whitelist()
def seal_log():
	"""Seal what has been accepted, so the desk shows every entry. Returns the number sealed."""
	frappe.only_for((OFFICER, OMBUDSMAN, "System Manager"))
	return audit.seal()


@frappe.whitelist(methods=["POST"])
def publish_log_anchor():
	"""Publish the log's head now (anchor file, email, witness)."""
	frappe.only_for((OFFICER,))
	from confidentiality_app.log import anchors

	return anchors.publish(force=True)
