"""What a decision says to the user: one translated sentence naming the action, the record, the
client, why it is allowed or refused, the Code clause it rests on or upholds, and what would
allow it (the message of every refusal and of every log entry's reason)."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import clients
from confidentiality_app.rules import policy


def explain(decision: policy.Decision, doctype: str, name: str, purpose: str, action: str) -> str:
	"""A translated sentence for a decision."""
	what = _("{0} of {1} {2}").format(_(action), _(doctype), name)
	if not decision.allowed and decision.recipient and decision.recipient != policy.EVERYONE:
		what = _("{0} of {1} {2} to {3}").format(_(action), _(doctype), name, decision.recipient)
	if decision.allowed:
		if decision.code == policy.NOT_PROTECTED:
			return _("{0} is allowed: the record names no protected client.").format(what)
		if decision.code == policy.TO_CLIENT:
			return _("{0} is allowed: it goes to the client themself.").format(what)
		if decision.code == policy.NO_NEW_ACCESS:
			return _(
				"{0} is allowed: the recipient can already read it through their own roles, so nothing new is released."
			).format(what)
		if decision.clause:
			return _("{0} is allowed by {1} ({2}).").format(
				what, ", ".join(decision.basis), clause_text(decision.clause)
			)
		return _("{0} is allowed by {1}.").format(what, ", ".join(decision.basis))

	client = clients.title_of(decision.client) if decision.client else ""
	client_label = _("{0} {1}").format(_(decision.client[0]), client) if decision.client else ""
	how = _(
		"Record the client's written consent first: use Record Consent on {0}, or create a Client Consent."
	).format(client_label or _("the client record"))
	code = decision.code
	upholds = " " + _("Upheld: {0}.").format(clause_text(decision.clause)) if decision.clause else ""
	if code == policy.UNDER_REVIEW:
		return _(
			"{0} is held for review: sanction {1} puts the egress of {2} under review, so what they release waits for a Confidentiality Officer."
		).format(what, decision.detail, frappe.session.user)
	if code == policy.UNKNOWN_CLIENT:
		return (
			_(
				"{0} is refused: it names no client (its client field is empty), so no consent can cover it. Set the client on the record first."
			).format(what)
			+ upholds
		)
	if code == policy.NO_CONSENT:
		reason = _("client {0} has no consent for purpose {1}.").format(client_label, _(purpose))
	elif code == policy.PURPOSE_MISSING:
		reason = _("the consents of client {0} ({1}) do not include purpose {2}.").format(
			client_label, decision.detail, _(purpose)
		)
	elif code == policy.RECIPIENT_NOT_NAMED:
		reason = _(
			"the consent of client {0} for purpose {1} ({2}) does not name {3} as a recipient."
		).format(client_label, _(purpose), decision.detail, decision.recipient)
	elif code == policy.WITHDRAWN:
		reason = _("client {0} withdrew consent for purpose {1} ({2}).").format(
			client_label, _(purpose), decision.detail
		)
	elif code == policy.EXPIRED:
		reason = _("the consent of client {0} for purpose {1} has expired ({2}).").format(
			client_label, _(purpose), decision.detail
		)
	elif code == policy.NOT_YET_VALID:
		reason = _("the consent of client {0} for purpose {1} is not valid yet ({2}).").format(
			client_label, _(purpose), decision.detail
		)
	elif code == policy.SUPERSEDED:
		reason = _(
			"the consent of client {0} ({1}) was given on a consent form version that now requires re-consent."
		).format(client_label, decision.detail)
	elif code == policy.NOT_ACTIVE:
		reason = _("the consent or disclosure of client {0} ({1}) is not in force.").format(
			client_label, decision.detail
		)
	elif code == policy.OUT_OF_SCOPE:
		reason = _("the disclosure for client {0} ({1}) does not name this record.").format(
			client_label, decision.detail
		)
		how = _("A disclosure covers only the records it names; request a new disclosure for this one.")
	elif code == policy.USED_UP:
		reason = _("the disclosure for client {0} ({1}) has been used as many times as it allows.").format(
			client_label, decision.detail
		)
		how = _("Request a new disclosure.")
	elif code == policy.BEYOND_AGREEMENT:
		reason = _(
			"it goes beyond the level of confidentiality agreed with client {0} at the start ({1})."
		).format(client_label, decision.detail)
		how = _(
			"No consent can go beyond the Confidentiality Agreement; only a new written agreement with the client can widen it."
		)
	else:
		return _(
			"{0} is refused: the confidentiality decision could not be made ({1}), so the action is blocked until it can. Ask your administrator to check Confidentiality Settings, Redis and the database."
		).format(what, decision.detail)
	return _("{0} is refused: {1} {2}").format(what, reason, how) + upholds


def clause_text(clause: str) -> str:
	"""The Code clause(s) of a decision, translated ("a; b")."""
	return "; ".join(_(part) for part in clause.split("; ") if part)
