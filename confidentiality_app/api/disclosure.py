"""Disclosures: request, approve, refuse, complete, and the client's disclosures for the
desk panel. Lifecycle in the Disclosure Request controller; grounds and transitions in
confidentiality_app.disclosures."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app import disclosures
from confidentiality_app.api.consent import _as_list
from confidentiality_app.rules import policy


@frappe.whitelist(methods=["POST"])
def request_disclosure(
	party_type,
	party,
	ground,
	recipient,
	channels,
	description,
	records=None,
	involved_parties=None,
	authority=None,
	authority_reference=None,
	evidence=None,
	valid_until=None,
	max_uses=None,
	purpose=None,
	client_told=1,
	not_told_reason=None,
	recipient_email=None,
	recipient_user=None,
	evidence_file=None,
):
	"""File and submit a Disclosure Request (it then waits for approval). Returns its name.

	ground: Written Consent, Government Requirement or Serious Danger.
	recipient: the recipient's name, or an email address or a user id (then also used as
	such). channels: Email, Print, Export, Share. records: [[doctype, name], ...] (empty:
	the client's record). involved_parties: [{party_name, relationship, email,
	consent_given_on, evidence_file}]."""
	if ground not in policy.GROUNDS:
		frappe.throw(_("Ground must be one of: {0}.").format(", ".join(policy.GROUNDS)))
	doc = frappe.new_doc("Disclosure Request")
	recipient = (recipient or "").strip()
	if not recipient_user and recipient and frappe.db.exists("User", recipient) and "@" in recipient:
		recipient_user = recipient if "Share" in _as_list(channels) else None
	if not recipient_email and "@" in recipient:
		recipient_email = recipient
	doc.update(
		{
			"party_type": party_type,
			"party": party,
			"ground": ground,
			"recipient_name": recipient
			or (
				frappe.db.get_value("Disclosure Authority", authority, "authority_name") if authority else ""
			),
			"recipient_email": recipient_email,
			"recipient_user": recipient_user,
			"authority": authority,
			"authority_reference": authority_reference,
			"description": description,
			"purpose": purpose or description,
			"evidence": evidence,
			"evidence_file": evidence_file,
			"valid_until": valid_until or None,
			"max_uses": int(max_uses) if max_uses not in (None, "") else 1,
			"client_told": frappe.utils.cint(client_told),
			"not_told_reason": not_told_reason,
		}
	)
	for channel in _as_list(channels):
		doc.append("channels", {"channel": channel})
	for record in _as_list(records):
		if isinstance(record, dict):
			doc.append("records", record)
		else:
			doctype, name = (list(record) + [None, None])[:2]
			doc.append("records", {"reference_doctype": doctype, "reference_name": name})
	for involved in _as_list(involved_parties):
		if not isinstance(involved, dict):
			frappe.throw(_("Each involved party must be an object with party_name and evidence_file."))
		doc.append("involved_parties", involved)
	doc.insert()
	doc.submit()
	return doc.name


def _get(request):
	doc = frappe.get_doc("Disclosure Request", request)
	doc.check_permission("read")
	return doc


@frappe.whitelist(methods=["POST"])
def approve_disclosure(request):
	"""Approve a pending request (a Confidentiality Officer; on serious danger, not the
	requester): the gate honours it within its scope from now on."""
	doc = _get(request)
	disclosures.approve(doc)
	return doc.status


@frappe.whitelist(methods=["POST"])
def refuse_disclosure(request, reason):
	doc = _get(request)
	disclosures.refuse(doc, reason)
	return doc.status


@frappe.whitelist(methods=["POST"])
def complete_disclosure(request):
	"""The disclosure was made: it authorises nothing more, and the letter is written to the
	client (unless ground 3 recorded that telling them would increase the danger)."""
	doc = _get(request)
	disclosures.complete(doc)
	return {
		"status": doc.status,
		"letter_sent": doc.letter_sent,
		"letter_file": doc.letter_file,
		"letter_email": doc.letter_email,
		"letter_note": doc.letter_note,
	}
