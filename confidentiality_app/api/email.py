"""Held mail: release (decided again, then sent once) or discard (kept for the record)."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision.permissions import can_act_for_office


def _office_only():
	if not can_act_for_office():
		frappe.throw(
			_(
				"Only a Confidentiality Officer (or a member of the office) can release or discard held email."
			),
			frappe.PermissionError,
		)


@frappe.whitelist(methods=["POST"])
def release_held_email(held_email):
	"""Decide the held mail again against the consents in force now; if every recipient is
	allowed, send it now, once. Refused (HTTP 403, with the reason) otherwise. Returns the
	Held Email name."""
	_office_only()
	if not frappe.db.exists("Held Email", held_email):
		frappe.throw(_("Held Email {0} does not exist.").format(held_email), frappe.DoesNotExistError)
	from confidentiality_app.channels import email

	return email.release(held_email)


@frappe.whitelist(methods=["POST"])
def discard_held_email(held_email, reason):
	"""Never send the held mail; the Held Email and its queue row are kept with the reason.
	Returns the Held Email name."""
	_office_only()
	if not frappe.db.exists("Held Email", held_email):
		frappe.throw(_("Held Email {0} does not exist.").format(held_email), frappe.DoesNotExistError)
	from confidentiality_app.channels import email

	return email.discard(held_email, reason)
