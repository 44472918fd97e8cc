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
ACKNOWLEDGEMENT_LETTER = "Case Acknowledgement"
DETERMINATION_LETTER = "Case Determination"
REFERRAL_GROUNDS = ("Government Requirement", "Serious Danger")
# the Ombudsman Service's own records that hold client information: who exports them is logged
CASE_DOCTYPES = ("Ombudsman Case", "Confidentiality Breach")


class CaseRefused(frappe.ValidationError):
	pass


def _refuse(message: str):
	frappe.throw(message, CaseRefused, title=_("Not Allowed"))


def _log(
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
	try:
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
	except Exception as error:
		# the complaint is kept whatever the mail does (no outgoing account, a refusal): the
		# log and the Error Log say the acknowledgement is owed
		frappe.log_error(title=f"Confidentiality: acknowledgement of {doc.name} not sent")
		_log(
			doc,
			"Acknowledgement Not Sent",
			_("The acknowledgement could not be sent ({0}): write to the complainant").format(
				str(error).splitlines()[0][:200] if str(error) else type(error).__name__
			),
			recipient=doc.complainant_email,
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
	if to == determination.ACKNOWLEDGED:
		send_letters(doc, ACKNOWLEDGEMENT_LETTER)


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
	send_letters(doc, DETERMINATION_LETTER)
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


# --------------------------------------------------------------------------- letters


def _practitioner_address(practitioner: str) -> str | None:
	email, user = frappe.db.get_value("Practitioner", practitioner, ["email", "user"]) or (None, None)
	return email or (frappe.db.get_value("User", user, "email") if user else None)


def letter_recipients(doc) -> list[tuple[str, str, str]]:
	"""(to whom, name, address): the complainant and every respondent with an address, once each. The
	complainant is written to as the client only at an address the client's own records hold
	(whoever ticks "complainant is the client", an address given on a form proves nothing)."""
	found: list[tuple[str, str, str]] = []
	if doc.complainant_email:
		address = doc.complainant_email.strip()
		own = clients.own_addresses(clients.identity((doc.client_type, doc.client))) if doc.client else ()
		is_client = clients.normalise(address) in own
		found.append(("client" if is_client else "complainant", doc.complainant_name, address))
	for row in doc.respondents:
		address = row.practitioner and _practitioner_address(row.practitioner)
		if address and address.strip() not in [a for _, _, a in found]:
			found.append(("respondent", row.practitioner_name or row.practitioner, address.strip()))
	return found


def send_letters(doc, print_format: str) -> list[str]:
	"""The letter of a stage (a print format) to the complainant and to each respondent: its PDF
	kept on the case (private) and mailed, each logged with its recipient. The determination
	letter lists what was released, and to whom, only to the client themself (at the client's
	own address) and to the respondents (who released it): any other complainant is told the
	outcome.
	Returns the Email Queue names."""
	queued = []
	for to_whom, name, address in letter_recipients(doc):
		try:
			queued += _send_letter(doc, print_format, to_whom, name, address)
		except Exception as error:
			# the stage has moved; a letter that could not be made is not lost silently: the
			# log and the officer are told to print it from the case and post it
			frappe.log_error(title=f"Confidentiality: {print_format} for {doc.name} not sent")
			_log(
				doc,
				"Letter Not Sent",
				_("{0} to the {1} could not be made ({2}): print it from the case and post it").format(
					_(print_format),
					_(to_whom),
					str(error).splitlines()[0][:200] if str(error) else type(error).__name__,
				),
				recipient=address,
			)
			frappe.msgprint(
				_("The {0} to {1} could not be made: print it from the case and post it.").format(
					_(print_format), address
				),
				indicator="orange",
				alert=True,
			)
	return queued


def _send_letter(doc, print_format: str, to_whom: str, name: str, address: str) -> list[str]:
	from frappe.utils.file_manager import save_file

	doc.flags.letter_for, doc.flags.letter_to = to_whom, name
	try:
		attachment = frappe.attach_print(
			"Ombudsman Case",
			doc.name,
			file_name=_("{0} {1} ({2})").format(_(print_format), doc.name, _(to_whom)),
			print_format=print_format,
			doc=doc,
		)
	finally:
		doc.flags.letter_for = doc.flags.letter_to = None
	if not attachment["fname"].endswith(".pdf"):
		from frappe.utils.pdf import get_pdf

		attachment = {
			"fname": attachment["fname"].rsplit(".", 1)[0] + ".pdf",
			"fcontent": get_pdf(attachment["fcontent"]),
		}
	save_file(attachment["fname"], attachment["fcontent"], "Ombudsman Case", doc.name, is_private=1)
	mine = {"reference_doctype": "Ombudsman Case", "reference_name": doc.name}
	before = set(frappe.get_all("Email Queue", mine, pluck="name"))
	frappe.sendmail(
		recipients=[address],
		subject=_("{0}: {1}").format(_(print_format), doc.name),
		message=_("<p>Please find attached the Ombudsman Service's letter about case {0}.</p>").format(
			doc.name
		),
		attachments=[attachment],
		**mine,
	)
	_log(doc, "Send Letter", _("{0} sent to the {1}").format(_(print_format), _(to_whom)), recipient=address)
	return [q for q in frappe.get_all("Email Queue", mine, pluck="name") if q not in before]


# --------------------------------------------------------------------------- referral


def refer(doc, authority: str, ground: str, purpose: str, authority_reference: str | None = None) -> str:
	"""Referral of a case to a regulator or government body (a Disclosure Authority) is itself a
	disclosure: it becomes a Disclosure Request for the case's client, naming the client and
	the records released in the findings, to the authority's address by email, on the ground
	given; the Confidentiality Office approves it by the disclosure rules and only then does
	`send_referral` mail the case. Returns the request's name."""
	if OMBUDSMAN not in frappe.get_roles():
		_refuse(_("Only an Ombudsman Officer refers a case."))
	if doc.referral and frappe.db.get_value("Disclosure Request", doc.referral, "docstatus") != 2:
		_refuse(_("Case {0} is already referred: {1}.").format(doc.name, doc.referral))
	if not doc.client:
		_refuse(_("Link the case to its client first: a referral discloses the client's information."))
	if ground not in REFERRAL_GROUNDS:
		_refuse(
			_(
				"A referral to a regulator is made on a government requirement or for serious danger, not {0}."
			).format(_(ground or "-"))
		)
	if not (purpose or "").strip():
		_refuse(_("Say why the case is referred."))
	values = frappe.db.get_value(
		"Disclosure Authority", authority or "", ["authority_name", "email", "disabled"], as_dict=True
	)
	if not values or values.disabled:
		_refuse(_("{0} is not a Disclosure Authority in the register.").format(authority or "-"))
	if not values.email:
		_refuse(_("Disclosure Authority {0} has no email address to refer the case to.").format(authority))
	records = [(doc.client_type, doc.client)]
	for row in frappe.get_all(
		audit.LOG_DOCTYPE,
		{"name": ["in", [f.log_entry for f in doc.findings] or [""]]},
		["reference_doctype", "reference_name"],
	):
		if (
			row.reference_doctype
			and row.reference_name
			and frappe.db.exists(row.reference_doctype, row.reference_name)
			and (row.reference_doctype, row.reference_name) not in records
		):
			records.append((row.reference_doctype, row.reference_name))
	request = frappe.get_doc(
		{
			"doctype": "Disclosure Request",
			"party_type": doc.client_type,
			"party": doc.client,
			"ground": ground,
			"description": _("Ombudsman Case {0} ({1}) and the records it examined").format(
				doc.name, doc.about
			),
			"purpose": purpose.strip(),
			"records": [{"reference_doctype": d, "reference_name": n} for d, n in records],
			"channels": [{"channel": "Email"}],
			"recipient_name": values.authority_name,
			"recipient_email": values.email,
			"authority": authority,
			"authority_reference": (authority_reference or "").strip() or doc.name,
			"evidence": _("Referral of Ombudsman Case {0}: {1}").format(doc.name, purpose.strip()),
			"client_told": 1,
			"max_uses": 1,
		}
	)
	request.flags.ignore_permissions = True
	request.insert()
	request.submit()
	frappe.db.set_value("Ombudsman Case", doc.name, "referral", request.name, update_modified=False)
	doc.referral = request.name
	_log(
		doc,
		"Refer Case",
		_("Referral to {0} requested as {1} ({2})").format(values.authority_name, request.name, _(ground)),
		recipient=values.email,
	)
	return request.name


def send_referral(doc) -> str:
	"""Mail the case to the authority under its approved referral. The mail is about the
	client's record, so the email gate decides it like any other: the approved disclosure
	allows it (and its use is counted); without one it is held and logged. Returns the Email
	Queue name."""
	if OMBUDSMAN not in frappe.get_roles():
		_refuse(_("Only an Ombudsman Officer refers a case."))
	if not doc.referral:
		_refuse(_("Case {0} has no referral: refer it first.").format(doc.name))
	request = frappe.db.get_value(
		"Disclosure Request", doc.referral, ["status", "recipient_email", "recipient_name"], as_dict=True
	)
	if request.status != "Approved":
		_refuse(
			_(
				"The referral {0} is {1}: the Confidentiality Office approves it before the case is sent."
			).format(doc.referral, _(request.status))
		)
	doc.flags.letter_for = "authority"
	try:
		attachment = frappe.attach_print(
			"Ombudsman Case",
			doc.name,
			file_name=_("Referral {0}").format(doc.name),
			print_format=DETERMINATION_LETTER,
			doc=doc,
		)
	finally:
		doc.flags.letter_for = None
	frappe.sendmail(
		recipients=[request.recipient_email],
		subject=_("Referral of Ombudsman Case {0}").format(doc.name),
		message=_("<p>{0}: please find attached Ombudsman Case {1}, referred under {2}.</p>").format(
			frappe.utils.escape_html(request.recipient_name), doc.name, doc.referral
		),
		attachments=[attachment],
		reference_doctype=doc.client_type,
		reference_name=doc.client,
		now=False,
	)
	queued = frappe.get_all(
		"Email Queue",
		{"reference_doctype": doc.client_type, "reference_name": doc.client},
		["name", "status"],
		order_by="creation desc",
		limit=1,
	)
	status = queued[0].status if queued else None
	_log(
		doc,
		"Send Referral",
		_("Case sent to {0} under {1}: {2}").format(request.recipient_name, doc.referral, status or "-"),
		recipient=request.recipient_email,
		decision="Allow" if status == "Not Sent" else "Deny",
	)
	return queued[0].name if queued else ""


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


def from_ticket(doc, method=None):
	"""doc_events["HD Ticket"]["after_insert"]: a Frappe Helpdesk ticket of the complaint
	ticket type opens a linked case."""
	wanted = clients.settings().get("ombudsman_ticket_type")
	if not wanted or doc.get("ticket_type") != wanted:
		return
	if frappe.db.exists("Ombudsman Case", {"source_doctype": "HD Ticket", "source_name": str(doc.name)}):
		return
	raised_by = doc.get("raised_by") or ""
	case = open_case(
		{
			"complainant_name": (
				frappe.db.get_value("Contact", doc.get("contact"), "full_name")
				if doc.get("contact")
				else None
			)
			or raised_by
			or _("Unknown"),
			"complainant_email": raised_by or None,
			"about": (doc.subject or _("Complaint"))[:140],
			"description": frappe.utils.strip_html_tags(doc.get("description") or "") or doc.subject or "-",
			"source_doctype": "HD Ticket",
			"source_name": str(doc.name),
		},
		"Helpdesk",
	)
	tell_source(
		frappe._dict(source_doctype="HD Ticket", source_name=str(doc.name)),
		_("Ombudsman Case {0} opened for this complaint.").format(case),
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
