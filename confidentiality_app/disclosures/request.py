"""What a Disclosure Request names (records, channels, recipient, the Code clause of its ground), the
refusal raised when a request does not meet its ground, and its entries in the Confidentiality Log
(channel "Disclosure"; a refused approval is logged on the log's own connection and survives the
rollback)."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision.uses import touched
from confidentiality_app.log import audit
from confidentiality_app.rules import policy

DOCTYPE = "Disclosure Request"
CHANNEL = "Disclosure"
# the egress channels a disclosure can open (the Consent Purposes of those channels)
CHANNELS = ("Email", "Print", "Export", "Share")
LETTER_PRINT_FORMAT = "Disclosure Letter"
LETTER_EMAIL_TEMPLATE = "Disclosure Letter"

GROUND_CLAUSE = {
	policy.WRITTEN_CONSENT: policy.CLAUSE_CONSENT,
	policy.GOVERNMENT_REQUIREMENT: policy.CLAUSE_GOVERNMENT,
	policy.SERIOUS_DANGER: policy.CLAUSE_DANGER,
}


class DisclosureRefused(frappe.ValidationError):
	pass


# --------------------------------------------------------------------------- what it names


def recipient_ids(doc) -> frozenset[str]:
	"""Every identifier that names the recipient (email, user id, the user's and the
	authority's email addresses)."""
	values = [doc.recipient_email, doc.recipient_user]
	if doc.recipient_user:
		values.append(frappe.db.get_value("User", doc.recipient_user, "email"))
	if doc.authority:
		values.append(frappe.db.get_value("Disclosure Authority", doc.authority, "email"))
	return policy.recipient_ids(*values)


def records_of(doc) -> list[tuple[str, str]]:
	return [(row.reference_doctype, row.reference_name) for row in doc.records]


def channels_of(doc) -> list[str]:
	return [row.channel for row in doc.channels]


def clause_of(doc) -> str:
	return GROUND_CLAUSE.get(doc.ground, policy.CLAUSE_NON_DISCLOSURE)


def raise_refused(message: str, title: str | None = None):
	frappe.throw(message, DisclosureRefused, title=title or _("Disclosure Refused"))


# --------------------------------------------------------------------------- the log


def entry_for(
	doc, action: str, reason: str, decision: str = "Allow", outcome: str = "Recorded"
) -> audit.Entry:
	return audit.Entry(
		action=action,
		channel=CHANNEL,
		decision=decision,
		outcome=outcome,
		reference_doctype=DOCTYPE,
		reference_name=doc.name,
		client_doctype=doc.party_type,
		client_name=doc.party,
		recipient=doc.recipient_email or doc.recipient_user or doc.recipient_name,
		reason=reason,
		basis=f"{doc.name} ({_(clause_of(doc))})" if doc.ground else doc.name,
	)


def log_transition(doc, action: str, reason: str, decision: str = "Allow") -> None:
	"""A transition: committed with it."""
	audit.append_on_commit(entry_for(doc, action, reason, decision))


def log_attempt(doc, action: str, reason: str) -> None:
	"""A refused transition: on the log's own connection, it survives the rollback."""
	try:
		audit.append(entry_for(doc, action, reason, decision="Deny", outcome="Blocked"))
	except audit.LogUnavailable:
		frappe.log_error(title="Confidentiality: log unavailable")


def log_request(doc) -> None:
	log_transition(
		doc,
		"Request Disclosure",
		_("Disclosure to {0} requested on the ground {1}: {2}").format(
			doc.recipient_name, _(doc.ground), doc.description
		),
	)


def write_transition(doc, values: dict) -> None:
	"""A disclosure changes after submission only here (db_set: its controller refuses any
	other update after submit, whatever the entry point)."""
	doc.db_set(values, notify=True)
	touched().add(doc.name)
