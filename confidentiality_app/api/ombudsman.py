"""Ombudsman cases: the public complaint, the evidence pack, the determination, the stages."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import validate_email_address

from confidentiality_app import ombudsman


def _text(value, label: str, limit: int, required: bool = True) -> str:
	value = (value or "").strip() if isinstance(value, str) else ""
	if required and not value:
		frappe.throw(_("{0} is required.").format(label))
	if len(value) > limit:
		frappe.throw(_("{0} is too long (at most {1} characters).").format(label, limit))
	return value


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=5, seconds=60 * 60)
def file_complaint(
	complainant_name,
	complainant_email,
	about,
	description,
	respondent=None,
	organisation=None,
	client_reference=None,
):
	"""A complaint to the Ombudsman Service (the public complaint page uses it; no login).
	Returns the case's reference. Rate limited per address; it tells nothing about any
	record (a respondent or client named is stored as written, never looked up for the
	complainant)."""
	email = _text(complainant_email, _("Your email address"), 140)
	if not validate_email_address(email):
		frappe.throw(_("{0} is not a valid email address.").format(frappe.utils.escape_html(email)))
	values = {
		"complainant_name": _text(complainant_name, _("Your name"), 140),
		"complainant_email": email,
		"about": _text(about, _("What the complaint is about"), 140),
		"description": _text(description, _("Description"), 10000),
		"respondent_given": _text(respondent, _("Who it is about"), 140, required=False),
		"organisation": _text(organisation, _("Organisation"), 140, required=False),
		"client_reference": _text(client_reference, _("Your reference"), 140, required=False),
	}
	channel = "Web Form" if frappe.session.user == "Guest" else "Desk"
	return ombudsman.open_case(values, channel)


def _case(case):
	doc = frappe.get_doc("Ombudsman Case", case)
	doc.check_permission("read")
	return doc


@frappe.whitelist()
def evidence_pack(case):
	"""The log entries, consents and disclosures the case rests on, and "verifiable": the
	entries as a pack with proofs (confidentiality_app.logverify)."""
	doc = _case(case)
	doc.check_permission("write")
	return ombudsman.evidence_pack(doc, proofs=True)


@frappe.whitelist(methods=["POST"])
def determine(case, findings):
	"""findings: [{"log_entry", "valid_reason", "ground", "within_agreement", "notes"}], one per
	released item of the evidence pack."""
	doc = _case(case)
	doc.check_permission("write")
	return ombudsman.determine(doc, frappe.parse_json(findings) if isinstance(findings, str) else findings)


@frappe.whitelist(methods=["POST"])
def move_case(case, to):
	doc = _case(case)
	doc.check_permission("write")
	ombudsman.move(doc, to)
	return doc.status


@frappe.whitelist(methods=["POST"])
def refer_case(case, authority, ground, purpose, authority_reference=None):
	"""Refer a case to a regulator or government body: a Disclosure Request the Confidentiality
	Office approves by the disclosure rules. Returns the request's name."""
	doc = _case(case)
	doc.check_permission("write")
	return ombudsman.refer(doc, authority, ground, purpose, authority_reference)


@frappe.whitelist(methods=["POST"])
def send_referral(case):
	"""Mail the case to the authority once its referral is approved (the email gate decides it)."""
	doc = _case(case)
	doc.check_permission("write")
	return ombudsman.send_referral(doc)
