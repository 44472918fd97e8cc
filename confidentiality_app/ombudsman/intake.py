"""Intake: a complaint becomes exactly one Ombudsman Case, acknowledged and logged, from the public
complaint page (`api.file_complaint`), mail to the complaints inbox, an ERPNext Issue of the
complaint type or a Frappe Helpdesk ticket (hooks.py doc_events)."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import clients
from confidentiality_app.ombudsman.cases import log_case, tell_source
from confidentiality_app.rules import determination

# --------------------------------------------------------------------------- intake


def open_case(values: dict, channel: str) -> str:
	"""Create a case from an intake route, acknowledge the complainant, log the intake."""
	doc = frappe.new_doc("Ombudsman Case")
	doc.update(values)
	doc.intake_channel = channel
	doc.flags.ignore_permissions = True
	doc.insert()
	acknowledge(doc)
	log_case(
		doc, "Complaint Received", _("Complaint received through {0}: {1}").format(_(channel), doc.about)
	)
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
		log_case(
			doc,
			"Acknowledgement Not Sent",
			_("The acknowledgement could not be sent ({0}): write to the complainant").format(
				str(error).splitlines()[0][:200] if str(error) else type(error).__name__
			),
			recipient=doc.complainant_email,
		)


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
