"""Scheduled jobs."""

import frappe
from frappe import _

from confidentiality_app.decision.permissions import OFFICER, OMBUDSMAN
from confidentiality_app.log import verification


def daily():
	from confidentiality_app.channels import email, files, share, share_key
	from confidentiality_app.confidentiality.doctype.client_consent.client_consent import expire_consents

	email.check_wiring()
	expire_consents()
	share.sweep()
	files.privatise_existing()
	share_key.recheck(
		None, _("Periodic check of every public link of a protected record."), channel="Share Sweep"
	)
	verify_log_and_alert()


def verify_log_and_alert():
	"""Verify the whole log (kept as a Confidentiality Log Verification); when it fails, tell
	every Confidentiality and Ombudsman Officer."""
	result = verification.run_here()
	if result.ok:
		return result
	listed = "\n".join(
		f"- {p.name or '-'} (sequence {p.sequence}): {p.problem}" for p in result.problems[:50]
	)
	message = (
		_(
			"The Confidentiality Log failed verification: {0} problem(s) in {1} entries, the first at entry {2} ({3}). Entries may have been changed, inserted or removed in the database."
		).format(len(result.problems), result.entries, result.first_bad, result.problem)
		+ "\n"
		+ listed
	)
	frappe.log_error(title="Confidentiality Log verification failed", message=message)
	if frappe.db.get_single_value("Confidentiality Settings", "alert_on_log_failure"):
		officers = frappe.get_all(
			"Has Role",
			filters={"role": ["in", [OFFICER, OMBUDSMAN]], "parenttype": "User"},
			pluck="parent",
			distinct=True,
		)
		officers = [u for u in officers if frappe.db.get_value("User", u, "enabled") and u not in ("Guest",)]
		for user in officers:
			frappe.get_doc(
				{
					"doctype": "Notification Log",
					"for_user": user,
					"type": "Alert",
					"subject": _("Confidentiality Log verification failed"),
					"email_content": message,
					"document_type": "Confidentiality Log",
					"document_name": result.first_bad,
				}
			).insert(ignore_permissions=True)
	return result
