"""Held mail: a refused mail is held (status "Held", which Frappe's flush never picks, and a Held
Email record), never dropped; a consent lost holds the client's pending mail at once
(`hold_pending`); only `release` (decided again, sent once) or `discard` (kept) end it."""

from __future__ import annotations

import email as email_lib
from email import policy as email_policy

import frappe
from frappe.utils import now_datetime

from confidentiality_app.channels.email.decision import Refusal
from confidentiality_app.channels.email.subject import (
	DECIDED,
	HELD,
	PURPOSE,
	STAMP,
	Subject,
)

# Held Email rows are written only by this channel (its controller refuses any other writer)
WRITER_FLAG = "confidentiality_held_email"


# ---------------------------------------------------------------- holding
def hold(queue, refused: list[Refusal], stage: str, split: bool) -> str:
	"""Keep the refused recipients' mail in a row that is never sent. With `split`, the
	other recipients stay on `queue` and the refused ones move to a copy; otherwise
	`queue` itself is held. Returns the Held Email."""
	names = [r.recipient for r in refused]
	if split:
		held_row = queue.get_duplicate(names)
		held_row.status = HELD
		held_row.flags[DECIDED] = True
		held_row.insert(ignore_permissions=True)
		gone = [r.name for r in queue.recipients if r.recipient in set(names) and not r.is_mail_sent()]
		if gone and not queue.is_new():
			frappe.db.delete("Email Queue Recipient", {"parent": queue.name, "name": ["in", gone]})
		queue.set("recipients", [r for r in queue.recipients if r.name not in set(gone)])
	else:
		held_row = queue
		if not queue.is_new() and queue.status != HELD:
			queue.db_set("status", HELD, update_modified=False)
			queue.status = HELD
	first = refused[0].verdict
	client = first.decision.client or (first.clients[0] if first.clients else (None, None))
	subject = Subject.decode(held_row.get(STAMP))
	held = frappe.get_doc(
		{
			"doctype": "Held Email",
			"status": HELD,
			"stage": stage,
			"purpose": subject.purpose if subject else PURPOSE,
			"held_on": now_datetime(),
			"client_doctype": client[0],
			"client_name": client[1],
			"reference_doctype": held_row.reference_doctype,
			"reference_name": held_row.reference_name,
			"email_queue": held_row.name,
			"subject": subject_line(held_row.message),
			"sender": held_row.sender,
			"recipients": "\n".join(names),
			"queued_by": held_row.owner if frappe.db.exists("User", held_row.owner) else None,
			"queued_on": held_row.creation,
			"log": ", ".join(r.verdict.log for r in refused if r.verdict.log),
			"reason": "\n".join(r.verdict.message for r in refused),
		}
	)
	held.flags[WRITER_FLAG] = True
	held.flags.ignore_links = True  # the record of a hold is never refused for a stale link
	held.insert(ignore_permissions=True)
	return held.name


def subject_line(message: str | None) -> str:
	if not message:
		return ""
	try:
		parsed = email_lib.message_from_string(message, policy=email_policy.default)
		return str(parsed.get("Subject") or "")[:140]
	except Exception:
		return ""


def like(value: str) -> str:
	return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
