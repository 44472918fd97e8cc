"""A case's stages (Received, Acknowledged, Under Investigation, Determination, Sanctions, Closed,
Appeal) with a deadline each: a case's status changes only through `move` (and `determine`),
whatever the entry point; overdue cases are escalated daily."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from confidentiality_app.decision.permissions import OMBUDSMAN
from confidentiality_app.ombudsman.cases import ACKNOWLEDGEMENT_LETTER, log_case, refuse, tell_source
from confidentiality_app.ombudsman.letters import send_letters
from confidentiality_app.ombudsman.sanctions import active_sanctions
from confidentiality_app.rules import determination

# --------------------------------------------------------------------------- stages


def enter_stage(doc, status: str) -> None:
	doc.status = status
	doc.stage_since = now_datetime()
	deadline = determination.due(status, get_datetime(doc.stage_since))
	doc.due_on = deadline
	doc.escalated = 0


def move(doc, to: str) -> None:
	if OMBUDSMAN not in frappe.get_roles():
		refuse(_("Only an Ombudsman Officer moves a case."))
	if to not in determination.STAGES:
		refuse(_("{0} is not a stage of a case.").format(to))
	if not determination.can_move(doc.status, to):
		refuse(_("A case at {0} cannot move to {1}.").format(_(doc.status), _(to)))
	if (
		to in (determination.SANCTIONS, determination.CLOSED)
		and not doc.determined_on
		and doc.status != determination.APPEAL
	):
		refuse(_("Record the determination first."))
	if to == determination.CLOSED and not determination.can_close(
		bool(doc.breach_of_confidentiality), active_sanctions(doc.name)
	):
		refuse(
			_(
				"Case {0} found a breach of confidentiality without a valid reason: raise at least one sanction before closing it."
			).format(doc.name)
		)
	before = doc.status
	enter_stage(doc, to)
	doc.flags.case_transition = True
	doc.save(ignore_permissions=True)
	log_case(doc, "Move Case", _("{0} -> {1}").format(_(before), _(to)))
	tell_source(doc, _("Ombudsman Case {0}: {1}.").format(doc.name, _(to)))
	if to == determination.ACKNOWLEDGED:
		send_letters(doc, ACKNOWLEDGEMENT_LETTER)


def escalate_overdue() -> list[str]:
	"""Scheduled daily: cases whose stage is past its deadline are flagged and the Ombudsman
	Officers told (once per stage)."""
	from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

	now = now_datetime()
	late = []
	for row in frappe.get_all(
		"Ombudsman Case",
		{"status": ["!=", determination.CLOSED], "escalated": 0},
		["name", "status", "stage_since"],
	):
		if row.stage_since and determination.overdue(row.status, get_datetime(row.stage_since), now):
			frappe.db.set_value("Ombudsman Case", row.name, "escalated", 1, update_modified=False)
			late.append(row.name)
	officers = [
		u
		for u in frappe.get_all(
			"Has Role", {"role": OMBUDSMAN, "parenttype": "User"}, pluck="parent", distinct=True
		)
		if u not in ("Administrator", "Guest")
	]
	for name in late:
		if officers:
			enqueue_create_notification(
				officers,
				{
					"type": "Alert",
					"document_type": "Ombudsman Case",
					"document_name": name,
					"subject": _("Ombudsman Case {0} is overdue").format(name),
				},
			)
	return late
