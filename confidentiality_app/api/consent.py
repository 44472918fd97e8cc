"""Consent: record, withdraw, check, and the consent panel."""

from __future__ import annotations

import json

import frappe
from frappe import _

from confidentiality_app.decision import clients, gate
from confidentiality_app.rules import policy


def _as_list(value) -> list:
	if value is None or value == "":
		return []
	if isinstance(value, str):
		value = value.strip()
		if value.startswith("["):
			try:
				return json.loads(value)
			except ValueError:
				frappe.throw(_("Could not read the list {0}.").format(value))
		return [v.strip() for v in value.split(",") if v.strip()]
	if isinstance(value, (list, tuple)):
		return list(value)
	frappe.throw(_("Expected a list, got {0}.").format(type(value).__name__))


def _as_dict(value) -> dict:
	if isinstance(value, str):
		try:
			value = json.loads(value)
		except ValueError:
			frappe.throw(_("on_behalf_of must be an object with guardian_name and how_obtained."))
	if not isinstance(value, dict):
		frappe.throw(_("on_behalf_of must be an object with guardian_name and how_obtained."))
	return value


@frappe.whitelist(methods=["POST"])
def record_consent(
	party_type,
	party,
	purposes,
	evidence,
	valid_until=None,
	recipients=None,
	on_behalf_of=None,
	consent_form=None,
	valid_from=None,
):
	"""Record and submit a client's written consent. Returns the Client Consent name.

	evidence: the URL of an attached signed document (a File's file_url) or the name of
	the Communication in which the client accepted in writing.
	recipients: user ids or email addresses the consent is limited to (empty: anyone).
	on_behalf_of: {"guardian_name", "relationship", "how_obtained"} for a guardian's consent.
	"""
	purposes = _as_list(purposes)
	if not purposes:
		frappe.throw(_("Give at least one purpose the client consents to."))
	for purpose in purposes:
		if not frappe.db.exists("Consent Purpose", purpose):
			frappe.throw(_("{0} is not a Consent Purpose.").format(frappe.bold(purpose)))

	doc = frappe.new_doc("Client Consent")
	doc.update(
		{
			"party_type": party_type,
			"party": party,
			"valid_until": valid_until or None,
			"consent_form": consent_form,
		}
	)
	if valid_from:
		doc.valid_from = valid_from
	for purpose in purposes:
		doc.append("purposes", {"purpose": purpose})

	evidence = (evidence or "").strip()
	if not evidence:
		frappe.throw(_("Written evidence is required: a signed document's URL or a Communication."))
	if frappe.db.exists("Communication", evidence):
		doc.evidence_type = "Written Acceptance"
		doc.evidence_communication = evidence
	elif frappe.db.exists("File", {"file_url": evidence}):
		doc.evidence_type = "Signed Document"
		doc.evidence_file = evidence
	else:
		frappe.throw(
			_("Evidence {0} is neither an attached file's URL nor a Communication.").format(
				frappe.bold(evidence)
			)
		)

	for recipient in _as_list(recipients):
		if isinstance(recipient, dict):
			doc.append("recipients", recipient)
		elif frappe.db.exists("User", recipient):
			doc.append("recipients", {"recipient_user": recipient})
		elif ":" in recipient and "@" not in recipient.split(":", 1)[0]:
			# a number or a system: tel:+44..., webhook:https://host, google:account
			doc.append("recipients", {"recipient_address": recipient})
		else:
			doc.append("recipients", {"recipient_email": recipient})

	if on_behalf_of:
		behalf = _as_dict(on_behalf_of)
		doc.given_on_behalf = 1
		doc.guardian_name = behalf.get("guardian_name")
		doc.guardian_relationship = behalf.get("relationship") or behalf.get("guardian_relationship")
		doc.how_obtained = behalf.get("how_obtained")

	doc.insert()
	doc.submit()
	return doc.name


@frappe.whitelist(methods=["POST"])
def withdraw_consent(consent, reason):
	"""Withdraw a consent: it is cancelled with the date and reason, never deleted, and the
	shares it allowed are removed."""
	if not (reason or "").strip():
		frappe.throw(_("Give the reason the consent is withdrawn."), title=_("Withdrawal Reason Needed"))
	doc = frappe.get_doc("Client Consent", consent)
	doc.check_permission("cancel")
	if doc.docstatus != 1:
		frappe.throw(_("Only an active (submitted) consent can be withdrawn; {0} is not.").format(doc.name))
	doc.withdrawal_reason = reason.strip()
	doc.withdrawn_on = frappe.utils.now_datetime()
	doc.withdrawn_by = frappe.session.user
	doc.cancel()
	return doc.name


@frappe.whitelist()
def check(doctype, name, purpose, recipient=None):
	"""Would `purpose` on this record (to `recipient`) be allowed now? Nothing is logged:
	the egress channels log when data actually leaves."""
	if not frappe.db.exists(doctype, name):
		frappe.throw(_("{0} {1} does not exist.").format(_(doctype), name))
	frappe.has_permission(doctype, "read", name, throw=True)
	if not frappe.db.exists("Consent Purpose", purpose):
		frappe.throw(_("{0} is not a Consent Purpose.").format(frappe.bold(purpose)))
	recipients = ()
	if recipient:
		email = frappe.db.get_value("User", recipient, "email")
		recipients = (policy.recipient_ids(recipient, email),)
	verdict = gate.check(doctype, name, purpose, channel="API check", recipients=recipients, log=False)
	return {
		"allowed": verdict.decision.allowed,
		"reason": verdict.message,
		"basis": list(verdict.decision.basis),
		"code": verdict.decision.code,
		"mode": verdict.outcome.mode,
	}


@frappe.whitelist()
def client_consents(doctype, name):
	"""For the consent panel on client forms: the clients the record names and the consents
	that cover each of them."""
	frappe.has_permission(doctype, "read", name, throw=True)
	if not gate.is_protected(doctype):
		return {"protected": False, "clients": []}
	result = []
	for party in clients.clients_of(doctype, name):
		same_person = clients.identity(party)
		consents = []
		for p_type, p_name in same_person:
			consents += frappe.get_all(
				"Client Consent",
				filters={"party_type": p_type, "party": p_name, "docstatus": ["in", [0, 1, 2]]},
				fields=["name", "status", "party_type", "party", "valid_from", "valid_until", "docstatus"],
				order_by="creation desc",
			)
		for consent in consents:
			consent["purposes"] = frappe.get_all(
				"Client Consent Purpose", {"parent": consent["name"]}, pluck="purpose"
			)
		result.append(
			{
				"party_type": party[0],
				"party": party[1],
				"title": clients.title_of(party),
				"consents": consents,
				"disclosures": _disclosures_of(same_person),
				"agreement": _agreement_of(same_person),
			}
		)
	return {
		"protected": True,
		"clients": result,
		"can_record": frappe.has_permission("Client Consent", "create"),
		"can_request_disclosure": frappe.has_permission("Disclosure Request", "create"),
		"client_doctypes": sorted(clients.client_doctypes()),
	}


def _disclosures_of(same_person) -> list[dict]:
	"""The client's disclosures the user may read, newest first."""
	if not frappe.has_permission("Disclosure Request", "read"):
		return []
	rows = []
	for party_type, party in same_person:
		rows += frappe.get_list(
			"Disclosure Request",
			filters={"party_type": party_type, "party": party},
			fields=["name", "status", "ground", "recipient_name", "requested_on", "approved_on", "creation"],
			order_by="creation desc",
		)
	return sorted(rows, key=lambda r: r.creation, reverse=True)


def _agreement_of(same_person) -> dict | None:
	"""The Confidentiality Agreement in force (what may ever be released, and to whom)."""
	from confidentiality_app.decision import consents

	agreement = consents.agreement_for(same_person)
	if agreement is None:
		return None
	return {
		"name": agreement.name,
		"purposes": sorted(agreement.purposes),
		"recipients": sorted(agreement.recipients),
		"agreed_on": frappe.db.get_value("Confidentiality Agreement", agreement.name, "agreed_on"),
	}
