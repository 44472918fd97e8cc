"""A Disclosure Request's transitions: approve, refuse, complete, revoke; each logged, and the
officers and the requester told. Approval makes it a grant the decision point honours
(`decision.consents._load_disclosures`): its records, channels, recipient, window and uses."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, now_datetime, today

from confidentiality_app.decision import consents, epoch
from confidentiality_app.decision.permissions import OFFICER
from confidentiality_app.disclosures.grounds import _check_approver, check_request
from confidentiality_app.disclosures.letter import send_letter
from confidentiality_app.disclosures.request import (
	DOCTYPE,
	DisclosureRefused,
	channels_of,
	clause_of,
	log_attempt,
	log_transition,
	raise_refused,
	records_of,
	write_transition,
)
from confidentiality_app.rules import policy

# --------------------------------------------------------------------------- transitions


def approve(doc) -> None:
	user = frappe.session.user
	if doc.docstatus != 1 or doc.status != "Pending Approval":
		raise_refused(
			_("Only a request pending approval can be approved; {0} is {1}.").format(doc.name, _(doc.status))
		)
	try:
		_check_approver(doc, user)
		check_request(doc, approving=True)
	except DisclosureRefused as e:
		log_attempt(doc, "Approve Disclosure", str(e))
		raise
	until = doc.valid_until or add_days(today(), consents.DEFAULT_DISCLOSURE_DAYS)
	write_transition(
		doc,
		{
			"status": "Approved",
			"approved_by": user,
			"approved_on": now_datetime(),
			"valid_until": until,
			"client_consent": doc.client_consent,
			"recipient_email": doc.recipient_email,
			"recipient_name": doc.recipient_name,
		},
	)
	epoch.bump()
	log_transition(
		doc,
		"Approve Disclosure",
		_(
			"Disclosure to {0} approved on the ground {1} ({2}): {3}; channels {4}; until {5}; uses {6}."
		).format(
			doc.recipient_name,
			_(doc.ground),
			_(clause_of(doc)),
			", ".join(f"{d} {n}" for d, n in records_of(doc)),
			", ".join(channels_of(doc)),
			until,
			doc.max_uses or _("any"),
		),
	)
	notify([doc.requested_by], doc, _("Disclosure {0} approved").format(doc.name))
	if doc.ground == policy.SERIOUS_DANGER:
		notify(officers(), doc, _("Serious danger disclosure {0} approved").format(doc.name))


def refuse(doc, reason: str) -> None:
	if not (reason or "").strip():
		raise_refused(_("Give the reason the disclosure is refused."))
	if OFFICER not in frappe.get_roles():
		raise_refused(_("Only a Confidentiality Officer can refuse a disclosure."), title=_("Not Permitted"))
	if doc.docstatus != 1 or doc.status != "Pending Approval":
		raise_refused(
			_("Only a request pending approval can be refused; {0} is {1}.").format(doc.name, _(doc.status))
		)
	write_transition(
		doc, {"status": "Refused", "refused_by": frappe.session.user, "refusal_reason": reason.strip()}
	)
	log_transition(
		doc, "Refuse Disclosure", _("Disclosure refused: {0}").format(reason.strip()), decision="Deny"
	)
	notify([doc.requested_by], doc, _("Disclosure {0} refused").format(doc.name))


def complete(doc) -> None:
	"""The disclosure was made: it authorises nothing more, and the client is written to
	(unless ground 3 recorded that telling them would increase the danger)."""
	if doc.docstatus != 1 or doc.status != "Approved":
		raise_refused(
			_("Only an approved disclosure can be completed; {0} is {1}.").format(doc.name, _(doc.status))
		)
	if OFFICER not in frappe.get_roles() and frappe.session.user != doc.requested_by:
		raise_refused(
			_("Only the requester or a Confidentiality Officer can complete a disclosure."),
			title=_("Not Permitted"),
		)
	write_transition(doc, {"status": "Completed", "completed_on": now_datetime()})
	epoch.bump()
	if doc.client_told:
		letter = send_letter(doc)
	else:
		letter = _("No letter: {0}").format(doc.not_told_reason)
		write_transition(doc, {"letter_note": letter})
	log_transition(doc, "Complete Disclosure", _("Disclosure completed. {0}").format(letter))


def revoked(doc) -> None:
	"""on_cancel: the disclosure authorises nothing from now on."""
	doc.db_set("status", "Revoked")
	epoch.bump()
	log_transition(
		doc, "Revoke Disclosure", _("Disclosure revoked: it authorises nothing from now on."), decision="Deny"
	)


# --------------------------------------------------------------------------- who is told


def officers(exclude: tuple[str, ...] = ()) -> list[str]:
	return [
		u
		for u in frappe.get_all(
			"Has Role", {"role": OFFICER, "parenttype": "User"}, pluck="parent", distinct=True
		)
		if u not in exclude
		and u not in ("Administrator", "Guest")
		and frappe.db.get_value("User", u, "enabled")
	]


def notify(users, doc, subject: str) -> None:
	"""A desk notification (bell, and mail per the user's settings) about the disclosure."""
	from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

	users = [u for u in dict.fromkeys(users) if u and u not in ("Guest",)]
	if not users:
		return
	enqueue_create_notification(
		users,
		{
			"type": "Alert",
			"document_type": DOCTYPE,
			"document_name": doc.name,
			"subject": subject,
			"from_user": frappe.session.user,
		},
	)
