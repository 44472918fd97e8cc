"""Ombudsman cases: intake, the evidence pack from the log, determination under the Code,
breaches and sanctions, stage deadlines (the rules themselves are pure, in
confidentiality_app.determination).

A case's status changes only through `move` (and `determine`), whatever the entry point: the
controller refuses any other change. A case that found a breach closes only once a
sanction is raised. Who opened or printed a case is logged (a case holds client information
too)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from confidentiality_app import audit, clients, determination
from confidentiality_app.permissions import OMBUDSMAN

CHANNEL = "Ombudsman"
RELEASED = ("Allowed", "Monitored")


class CaseRefused(frappe.ValidationError):
	pass


def _refuse(message: str):
	frappe.throw(message, CaseRefused, title=_("Not Allowed"))


def _log(case, action: str, reason: str, decision: str = "Allow", outcome: str = "Recorded", at_once=False):
	entry = audit.Entry(
		action=action,
		channel=CHANNEL,
		decision=decision,
		outcome=outcome,
		reference_doctype="Ombudsman Case",
		reference_name=case.name,
		client_doctype=case.client_type if case.client else None,
		client_name=case.client or None,
		reason=reason,
		basis=case.status,
	)
	try:
		(audit.append if at_once else audit.append_on_commit)(entry)
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")


# --------------------------------------------------------------------------- intake


def open_case(values: dict, channel: str) -> str:
	"""Create a case from an intake route, acknowledge the complainant, log the intake."""
	doc = frappe.new_doc("Ombudsman Case")
	doc.update(values)
	doc.intake_channel = channel
	doc.flags.ignore_permissions = True
	doc.insert()
	acknowledge(doc)
	_log(doc, "Complaint Received", _("Complaint received through {0}: {1}").format(_(channel), doc.about))
	return doc.name


def acknowledge(doc) -> None:
	"""The acknowledgement to the complainant: the case's reference and what happens next,
	nothing about any record."""
	if not doc.complainant_email:
		return
	frappe.sendmail(
		recipients=[doc.complainant_email],
		subject=_("We have received your complaint ({0})").format(doc.name),
		message=_(
			"<p>Dear {0},</p><p>We have received your complaint about: {1}.</p><p>Our reference is {2}. An Ombudsman Officer will acknowledge it within {3} working days and investigate it; we will write to you with our determination.</p>"
		).format(
			frappe.utils.escape_html(doc.complainant_name),
			frappe.utils.escape_html(doc.about),
			doc.name,
			determination.DEADLINE_DAYS[determination.RECEIVED],
		),
		reference_doctype="Ombudsman Case",
		reference_name=doc.name,
	)


# --------------------------------------------------------------------------- stages


def enter_stage(doc, status: str) -> None:
	doc.status = status
	doc.stage_since = now_datetime()
	deadline = determination.due(status, get_datetime(doc.stage_since))
	doc.due_on = deadline
	doc.escalated = 0


def move(doc, to: str) -> None:
	if OMBUDSMAN not in frappe.get_roles():
		_refuse(_("Only an Ombudsman Officer moves a case."))
	if to not in determination.STAGES:
		_refuse(_("{0} is not a stage of a case.").format(to))
	if not determination.can_move(doc.status, to):
		_refuse(_("A case at {0} cannot move to {1}.").format(_(doc.status), _(to)))
	if (
		to in (determination.SANCTIONS, determination.CLOSED)
		and not doc.determined_on
		and doc.status != determination.APPEAL
	):
		_refuse(_("Record the determination first."))
	if to == determination.CLOSED and not determination.can_close(
		bool(doc.breach_of_confidentiality), active_sanctions(doc.name)
	):
		_refuse(
			_(
				"Case {0} found a breach of confidentiality without a valid reason: raise at least one sanction before closing it."
			).format(doc.name)
		)
	before = doc.status
	enter_stage(doc, to)
	doc.flags.case_transition = True
	doc.save(ignore_permissions=True)
	_log(doc, "Move Case", _("{0} -> {1}").format(_(before), _(to)))
	tell_source(doc, _("Ombudsman Case {0}: {1}.").format(doc.name, _(to)))


def active_sanctions(case: str) -> int:
	return frappe.db.count("Sanction", {"case": case, "status": "Active"})


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


# --------------------------------------------------------------------------- evidence


def _people(doc) -> list[tuple[str, str]]:
	return list(map(tuple, clients.identity((doc.client_type, doc.client)))) if doc.client else []


def _respondent_users(doc) -> list[str]:
	practitioners = [r.practitioner for r in doc.respondents if r.practitioner]
	if not practitioners:
		return []
	return [u for u in frappe.get_all("Practitioner", {"name": ["in", practitioners]}, pluck="user") if u]


def evidence_pack(doc) -> dict:
	"""What the case rests on: the log entries that released the client's information (to
	whom, on which basis), by the respondents when they have accounts, in the period; the
	client's consents and disclosures. Read on the log's own connection (everything sealed)."""
	people = _people(doc)
	if not people:
		return {"log": [], "consents": [], "disclosures": [], "client": None}
	audit.seal()
	conditions = [
		"(client_doctype, client_name) IN ({})".format(", ".join(["(%s, %s)"] * len(people))),
		"outcome IN ('Allowed', 'Monitored')",
		"channel NOT IN ('Client Consent', 'Disclosure', 'Confidentiality Agreement', 'Ombudsman', 'Client Page')",
	]
	values: list = [v for p in people for v in p]
	users = _respondent_users(doc)
	if users:
		conditions.append("`user` IN ({})".format(", ".join(["%s"] * len(users))))
		values += users
	if doc.incident_from:
		conditions.append("`timestamp` >= %s")
		values.append(f"{doc.incident_from} 00:00:00")
	if doc.incident_to:
		conditions.append("`timestamp` <= %s")
		values.append(f"{doc.incident_to} 23:59:59")
	log = audit._connection().sql(
		f"""SELECT name, sequence, `timestamp`, `user`, action, channel, decision, outcome,
			reference_doctype, reference_name, client_doctype, client_name, recipient, reason, basis
		FROM `tab{audit.LOG_DOCTYPE}` WHERE {" AND ".join(conditions)} ORDER BY sequence ASC""",
		tuple(values),
		as_dict=True,
	)
	party_filter = {"party": ["in", [p[1] for p in people]]}
	consent_rows = [
		c
		for c in frappe.get_all(
			"Client Consent",
			{**party_filter, "docstatus": ["in", [1, 2]]},
			["name", "party_type", "party", "status", "valid_from", "valid_until", "withdrawn_on"],
		)
		if (c.party_type, c.party) in people
	]
	disclosure_rows = [
		r
		for r in frappe.get_all(
			"Disclosure Request",
			{**party_filter, "docstatus": ["in", [1, 2]]},
			[
				"name",
				"party_type",
				"party",
				"ground",
				"status",
				"recipient_name",
				"approved_on",
				"completed_on",
			],
		)
		if (r.party_type, r.party) in people
	]
	return {
		"client": [doc.client_type, doc.client],
		"log": log,
		"consents": consent_rows,
		"disclosures": disclosure_rows,
	}


# --------------------------------------------------------------------------- determination


def determine(doc, findings) -> dict:
	if OMBUDSMAN not in frappe.get_roles():
		_refuse(_("Only an Ombudsman Officer determines a case."))
	if doc.status not in (determination.INVESTIGATION, determination.APPEAL):
		_refuse(_("A case is determined after investigation; {0} is at {1}.").format(doc.name, _(doc.status)))
	pack = {row.name: row for row in evidence_pack(doc)["log"]}
	parsed = []
	for raw in findings or []:
		raw = frappe._dict(raw)
		entry = str(raw.get("log_entry") or raw.get("entry") or "")
		if entry not in pack:
			_refuse(
				_(
					"{0} is not a release in this case's evidence: findings are made on the evidence pack."
				).format(entry or _("(no log entry)"))
			)
		parsed.append(
			determination.Finding(
				entry=entry,
				valid_reason=bool(frappe.utils.cint(raw.get("valid_reason"))),
				ground=raw.get("ground") or "",
				within_agreement=bool(frappe.utils.cint(raw.get("within_agreement", 1))),
			)
		)
	result = determination.determine(parsed)
	if not result.valid:
		_refuse(_("The findings cannot stand: {0}.").format(", ".join(result.problems)))
	notes = {
		str(frappe._dict(r).get("log_entry") or frappe._dict(r).get("entry")): frappe._dict(r).get("notes")
		for r in findings
	}
	doc.set("findings", [])
	for finding in parsed:
		entry = pack[finding.entry]
		doc.append(
			"findings",
			{
				"log_entry": finding.entry,
				"released": f"{entry.action}: {entry.reference_doctype} {entry.reference_name}"[:140],
				"recipient": (entry.recipient or "")[:140],
				"valid_reason": int(finding.valid_reason),
				"ground": finding.ground if finding.valid_reason else "",
				"within_agreement": int(finding.within_agreement),
				"notes": notes.get(finding.entry),
			},
		)
	doc.breach_of_confidentiality = int(result.breach_of_confidentiality)
	doc.breach_of_duty_of_care = int(result.breach_of_duty_of_care)
	doc.determined_by = frappe.session.user
	doc.determined_on = now_datetime()
	enter_stage(doc, determination.DETERMINATION)
	doc.flags.case_transition = True
	doc.save(ignore_permissions=True)
	breaches = [_record_breach(doc, pack[name]) for name in result.breaches]
	_log(
		doc,
		"Determine Case",
		_("Determined: {0} released item(s), {1} without a valid reason{2}.").format(
			len(parsed),
			len(result.breaches),
			_(": breach of confidentiality and of duty of care; a sanction is required")
			if result.breach_of_confidentiality
			else "",
		),
		decision="Deny" if result.breach_of_confidentiality else "Allow",
	)
	return {
		"breach_of_confidentiality": result.breach_of_confidentiality,
		"breach_of_duty_of_care": result.breach_of_duty_of_care,
		"sanction_required": result.sanction_required,
		"breaches": breaches,
	}


def _record_breach(doc, entry) -> str:
	practitioner = None
	if entry.user:
		practitioner = frappe.db.get_value("Practitioner", {"user": entry.user}, "name")
	if not practitioner and doc.respondents:
		practitioner = doc.respondents[0].practitioner
	breach = frappe.get_doc(
		{
			"doctype": "Confidentiality Breach",
			"case": doc.name,
			"practitioner": practitioner,
			"how_found": "Complaint",
			"log_entry": entry.name,
			"released_on": entry.timestamp,
			"released_by": entry.user,
			"what_released": f"{entry.action}: {entry.reference_doctype} {entry.reference_name}",
			"recipient": entry.recipient,
			"channel": entry.channel,
			"client_type": entry.client_doctype,
			"client": entry.client_name,
			"reason_given": entry.reason,
			"valid_reason": 0,
		}
	)
	breach.insert(ignore_permissions=True)
	return breach.name


# --------------------------------------------------------------------------- intake routes


def from_mail(doc, method=None):
	"""doc_events["Communication"]["after_insert"]: a mail received by the complaints inbox
	opens a case (a reply in the thread of a case's own mail is left on that case)."""
	if doc.communication_type != "Communication" or doc.sent_or_received != "Received":
		return
	inbox = clients.settings().get("ombudsman_inbox")
	if not inbox or doc.email_account != inbox:
		return
	if doc.reference_doctype == "Ombudsman Case" and doc.reference_name:
		return  # a reply on an existing case
	open_case(
		{
			"complainant_name": (doc.sender_full_name or doc.sender or "")[:140],
			"complainant_email": doc.sender,
			"about": (doc.subject or _("Complaint by email"))[:140],
			"description": frappe.utils.strip_html_tags(doc.content or "") or doc.subject or "-",
			"source_doctype": "Communication",
			"source_name": doc.name,
		},
		"Email",
	)


def from_issue(doc, method=None):
	"""doc_events["Issue"]["after_insert"]: an ERPNext Issue of the complaint Issue Type opens
	a linked case."""
	wanted = clients.settings().get("ombudsman_issue_type")
	if not wanted or doc.get("issue_type") != wanted:
		return
	if frappe.db.exists("Ombudsman Case", {"source_doctype": "Issue", "source_name": doc.name}):
		return
	case = open_case(
		{
			"complainant_name": (doc.get("customer_name") or doc.get("raised_by") or _("Unknown"))[:140],
			"complainant_email": doc.get("raised_by"),
			"about": (doc.subject or _("Complaint"))[:140],
			"description": frappe.utils.strip_html_tags(doc.get("description") or "") or doc.subject or "-",
			"source_doctype": "Issue",
			"source_name": doc.name,
		},
		"Issue",
	)
	doc.add_comment("Info", _("Ombudsman Case {0} opened for this complaint.").format(case))


def tell_source(case, message: str) -> None:
	"""A case's progress flows back to the ticket it came from (a comment on the Issue)."""
	if case.source_doctype == "Issue" and case.source_name and frappe.db.exists("Issue", case.source_name):
		frappe.get_doc("Issue", case.source_name).add_comment("Info", message)
