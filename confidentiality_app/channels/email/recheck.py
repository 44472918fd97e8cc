"""Mail decided again after it was queued: the pending mail of a client whose consent was lost
(`hold_pending`, hook `confidentiality_consent_lost`: held at once), and a held mail an officer
releases (decided again, sent once) or discards (kept for the record)."""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import now_datetime

from confidentiality_app.channels.email.decision import decide, unsent
from confidentiality_app.channels.email.held import WRITER_FLAG, like
from confidentiality_app.channels.email.send import cleared_to_send
from confidentiality_app.channels.email.subject import HELD, PENDING, STAMP, describe, stamp_of
from confidentiality_app.decision import clients, gate


def hold_pending(reason: str, parties=None):
	"""Hook `confidentiality_consent_lost`: a consent of `parties` was withdrawn, expired
	or superseded. Decide their not-yet-sent mail again now and hold what is no longer
	allowed (the send-time decision would hold it too; this holds it at once)."""
	if not parties:
		return []
	covered: list[tuple[str, str]] = []
	for party in parties:
		for p in clients.covered_by(tuple(party)):
			if p not in covered:
				covered.append(p)
	conditions = " OR ".join([f"`{STAMP}` LIKE %s"] * len(covered))
	values = ["%" + like(json.dumps(list(p), separators=(",", ":"))) + "%" for p in covered]
	rows = frappe.db.sql(
		f"""SELECT name FROM `tabEmail Queue`
		WHERE status IN ({", ".join(["%s"] * len(PENDING))}) AND ({conditions})""",
		(*PENDING, *values),
	)
	held = []
	for (name,) in rows:
		queue = frappe.get_doc("Email Queue", name)
		if not cleared_to_send(queue, stage="Consent Lost", commit=False) or queue.status == HELD:
			held.append(name)
	return held


def release(held_name: str) -> str:
	"""Decide a held mail again; if allowed, send it now (once). Raises
	ConfidentialityBlocked when it is still not allowed."""
	held = frappe.get_doc("Held Email", held_name)
	if held.status != HELD:
		frappe.throw(_("Held Email {0} is already {1}.").format(held.name, _(held.status)))
	queue = frappe.get_doc("Email Queue", held.email_queue)
	subject = stamp_of(queue)
	stamped = subject is not None
	allowed, refused = decide(
		queue,
		subject if stamped else describe(queue),
		unsent(queue),
		channel="Email",
		action="Release held email",
		log_allowed=True,
		stamped=stamped,
	)
	if refused:
		frappe.throw(
			"<br>".join(r.verdict.message for r in refused),
			gate.ConfidentialityBlocked,
			title=_("Still refused by confidentiality rules"),
		)
	held.update({"status": "Released", "released_by": frappe.session.user, "released_on": now_datetime()})
	held.flags[WRITER_FLAG] = True
	held.save(ignore_permissions=True)
	queue.db_set({"status": "Not Sent", "error": None}, update_modified=False)
	queue.status = "Not Sent"
	frappe.db.commit()  # the release and its log entry stand before the mail goes
	queue.send()
	return held.name


def discard(held_name: str, reason: str) -> str:
	from confidentiality_app.log import audit

	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Give the reason the held email is discarded."))
	held = frappe.get_doc("Held Email", held_name)
	if held.status != HELD:
		frappe.throw(_("Held Email {0} is already {1}.").format(held.name, _(held.status)))
	held.update(
		{
			"status": "Discarded",
			"discarded_by": frappe.session.user,
			"discarded_on": now_datetime(),
			"discard_reason": reason,
		}
	)
	held.flags[WRITER_FLAG] = True
	held.save(ignore_permissions=True)
	audit.append_on_commit(
		audit.Entry(
			action="Discard held email",
			channel="Email",
			outcome="Discarded",
			reference_doctype=held.reference_doctype or "Email Queue",
			reference_name=held.reference_name or held.email_queue,
			client_doctype=held.client_doctype,
			client_name=held.client_name,
			recipient=(held.recipients or "").replace("\n", ", ")[:140],
			reason=_("Held Email {0} discarded: {1}").format(held.name, reason),
			basis=held.name,
		)
	)
	return held.name
