"""What every part of the Ombudsman Service shares: the case doctypes, the refusal, a case's entries
in the Confidentiality Log (who opened, moved, printed or exported a case: a case holds client
information too) and progress told back where the complaint came from."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.log import audit

CHANNEL = "Ombudsman"
RELEASED = ("Allowed", "Monitored")
ACKNOWLEDGEMENT_LETTER = "Case Acknowledgement"
DETERMINATION_LETTER = "Case Determination"
REFERRAL_GROUNDS = ("Government Requirement", "Serious Danger")
# the Ombudsman Service's own records that hold client information: who exports them is logged
CASE_DOCTYPES = ("Ombudsman Case", "Confidentiality Breach")


class CaseRefused(frappe.ValidationError):
	pass


def refuse(message: str):
	frappe.throw(message, CaseRefused, title=_("Not Allowed"))


def log_case(
	case,
	action: str,
	reason: str,
	decision: str = "Allow",
	outcome: str = "Recorded",
	at_once=False,
	recipient: str | None = None,
):
	entry = audit.Entry(
		action=action,
		channel=CHANNEL,
		decision=decision,
		outcome=outcome,
		reference_doctype="Ombudsman Case",
		reference_name=case.name,
		client_doctype=case.client_type if case.client else None,
		client_name=case.client or None,
		recipient=recipient,
		reason=reason,
		basis=case.status,
	)
	try:
		(audit.append if at_once else audit.append_on_commit)(entry)
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")


def log_export(doctype: str, names, action: str) -> None:
	"""An export of cases (or breaches) leaves with client information: one entry per record
	exported, naming who exported it and how, written at once (a GET export never commits).
	Records are read in one query; the entries are queue inserts."""
	names = list(dict.fromkeys(n for n in names or [] if n))
	if not names:
		return
	for row in frappe.get_all(doctype, {"name": ["in", names]}, ["name", "client_type", "client"]):
		entry = audit.Entry(
			action="Export Case",
			channel=CHANNEL,
			decision="Allow",
			outcome="Recorded",
			reference_doctype=doctype,
			reference_name=row.name,
			client_doctype=row.client_type if row.client else None,
			client_name=row.client or None,
			reason=_("{0} {1} exported by {2} ({3})").format(
				_(doctype), row.name, frappe.session.user, action
			),
			basis=action,
		)
		try:
			audit.append(entry)
		except audit.LogUnavailable:
			# fail closed: an export of cases that cannot be logged does not leave
			frappe.throw(
				_("The confidentiality log is unavailable: the export of {0} cannot be recorded.").format(
					_(doctype)
				),
				audit.LogUnavailable,
			)


def tell_source(case, message: str) -> None:
	"""A case's progress flows back to the ticket it came from: a comment on the ERPNext
	Issue, or on the Helpdesk ticket's conversation (an HD Ticket Comment, which its agents
	see beside the ticket's mails)."""
	if not case.source_name:
		return
	if case.source_doctype == "Issue" and frappe.db.exists("Issue", case.source_name):
		frappe.get_doc("Issue", case.source_name).add_comment("Info", message)
	elif case.source_doctype == "HD Ticket" and frappe.db.exists("HD Ticket", case.source_name):
		frappe.get_doc(
			{
				"doctype": "HD Ticket Comment",
				"reference_ticket": case.source_name,
				"content": frappe.utils.escape_html(message),
				"commented_by": "Administrator",
			}
		).insert(ignore_permissions=True)
