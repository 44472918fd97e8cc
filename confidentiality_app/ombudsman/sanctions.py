"""Sanctions raised on a case (a case that found a breach closes only once one exists; an active
suspension puts the practitioner's egress under review: `decision.gate.under_review`)."""

from __future__ import annotations

import frappe


def active_sanctions(case: str) -> int:
	return frappe.db.count("Sanction", {"case": case, "status": "Active"})
