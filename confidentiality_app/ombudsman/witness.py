"""The professional body witnesses its members' logs (C2SP tlog-witness, `add-checkpoint`).

A member site sends each checkpoint it publishes (`log.anchors.publish`, Witness URL) as

    old <size the body last witnessed for it>
    <consistency proof from that size, one base64 hash per line>
    <blank line>
    <the member's signed checkpoint>

The body, here, identifies the member by the key that signed the checkpoint (a key registered on
an Active Member Organisation, for that member's log origin: nothing else authenticates the
call, and nothing else is needed: only the member holds that key), checks that `old` is the size
it holds (409 with its size otherwise, so the member proves from there; a replayed old
checkpoint gets the same answer), checks the consistency proof from the checkpoint it holds to
the new one (RFC 9162), records the new one and answers with its cosignature (an Ed25519
signature line by the body's witness key on the checkpoint's text). A proof that fails, or a
second root for a size already witnessed, is a **rollback or a split view**: refused (422),
recorded on the Member Organisation, logged, and told to every Ombudsman Officer. A member
silent for longer than the configured period is flagged (hourly).
"""

from __future__ import annotations

import base64
import binascii

import frappe
from frappe import _
from frappe.utils import add_to_date, now_datetime

from confidentiality_app.log import audit, keys
from confidentiality_app.rules import merkle, note
from confidentiality_app.rules.roles import OMBUDSMAN

DOCTYPE = "Member Organisation"
CHANNEL = "Witness"
MAX_BODY = 64 * 1024
MAX_PROOF = 64


class Answer:
	def __init__(self, status: int, text: str):
		self.status, self.text = status, text


def site_is_body() -> bool:
	role = frappe.db.get_single_value("Confidentiality Settings", "site_role") or "Member Organisation"
	return role in ("Professional Body", "Both")


def _parse(body: bytes) -> tuple[int, list[bytes], str]:
	if len(body) > MAX_BODY:
		raise _Refused(413, _("An add-checkpoint request is at most {0} bytes.").format(MAX_BODY))
	try:
		text = body.decode("utf-8")
	except UnicodeDecodeError:
		raise _Refused(400, _("An add-checkpoint request is UTF-8 text.")) from None
	head, sep, checkpoint = text.partition("\n\n")
	lines = head.split("\n")
	if not sep or not lines[0].startswith("old ") or not lines[0][4:].isdigit():
		raise _Refused(
			400,
			_(
				"An add-checkpoint request starts with 'old <size>', then the proof, a blank line and the checkpoint."
			),
		)
	if len(lines) - 1 > MAX_PROOF:
		raise _Refused(400, _("A consistency proof has at most {0} hashes.").format(MAX_PROOF))
	try:
		proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
	except (binascii.Error, ValueError):
		raise _Refused(400, _("The consistency proof's lines are base64 hashes.")) from None
	return int(lines[0][4:]), proof, checkpoint


def verifiers_of(doc) -> list[note.Verifier]:
	"""The verifier keys registered on a Member Organisation (one per line)."""
	return [
		note.parse_verifier_key(line.strip())
		for line in (doc.checkpoint_keys or "").splitlines()
		if line.strip()
	]


class _Refused(Exception):
	def __init__(self, status: int, message: str):
		super().__init__(message)
		self.status, self.message = status, message


def _member_for(checkpoint_note: str):
	"""(member name, checkpoint) for the Active member whose registered key signed it."""
	try:
		text, signatures = note.split_note(checkpoint_note)
		parsed = note.parse_checkpoint(text)
	except note.NoteError as e:
		raise _Refused(400, _("The checkpoint cannot be read: {0}").format(e)) from None
	members = frappe.get_all(
		DOCTYPE,
		filters={"status": "Active", "log_origin": parsed.origin},
		fields=["name", "checkpoint_keys"],
	)
	for member in members:
		try:
			note.open_checkpoint(checkpoint_note, verifiers_of(member))
		except note.NoteError:
			continue
		return member.name, parsed
	raise _Refused(
		403,
		_("The checkpoint of {0} is not signed by a key of an active member organisation.").format(
			parsed.origin
		),
	)


def _log(action: str, member: str | None, outcome: str, reason: str):
	try:
		audit.append(
			audit.Entry(
				action=action,
				channel=CHANNEL,
				decision="Deny" if outcome == "Blocked" else "Allow",
				outcome=outcome,
				reference_doctype=DOCTYPE if member else "",
				reference_name=member or "",
				reason=reason,
				user="Guest",
			)
		)
	except audit.LogUnavailable:
		frappe.log_error(title="Witness: log entry not written", message=reason)


def _notify(member: str, subject: str, message: str):
	"""A desk alert on the member's record for every Ombudsman Officer."""
	for user in _ombudsman_officers():
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"subject": subject,
				"email_content": message,
				"document_type": DOCTYPE,
				"document_name": member,
			}
		).insert(ignore_permissions=True)


def _alert(member: str, message: str):
	# db.set_value writes the witness's fields without the form's controller, which refuses
	# any change to them by hand
	frappe.db.set_value(DOCTYPE, member, {"witness_alert": message, "witness_alert_on": now_datetime()})
	_notify(member, _("Member log alert: {0}").format(member), message)


def _ombudsman_officers() -> list[str]:
	users = frappe.get_all(
		"Has Role", filters={"role": OMBUDSMAN, "parenttype": "User"}, pluck="parent", distinct=True
	)
	return [
		u for u in users if u not in ("Guest", "Administrator") and frappe.db.get_value("User", u, "enabled")
	]


def add_checkpoint(body: bytes) -> Answer:
	"""Witness one checkpoint (see the module's docstring). Commits what it records."""
	if not site_is_body():
		return Answer(404, _("This site is not a professional body: it witnesses no log."))
	try:
		old, proof, checkpoint_note = _parse(body)
		member, checkpoint = _member_for(checkpoint_note)
	except _Refused as e:
		_log("Witness Refused", None, "Blocked", e.message)
		frappe.db.commit()
		return Answer(e.status, e.message)
	# one checkpoint of a member at a time: the row is the member's witnessed state
	held = frappe.db.get_value(
		DOCTYPE, member, ["witnessed_size", "witnessed_root"], as_dict=True, for_update=True
	)
	size, root = int(held.witnessed_size or 0), held.witnessed_root or ""
	if old != size:
		frappe.db.rollback()
		return Answer(409, str(size))
	message = None
	if checkpoint.size < size:
		message = _(
			"The log of {0} now has {1} entries, fewer than the {2} already witnessed: a rollback (entries removed)."
		).format(member, checkpoint.size, size)
	elif size and not merkle.verify_consistency(
		size, checkpoint.size, bytes.fromhex(root), checkpoint.root, proof
	):
		if checkpoint.size == size:
			message = _(
				"The log of {0} showed a second root for {1} entries, already witnessed with another: a split view (two histories)."
			).format(member, size)
		else:
			message = _(
				"The log of {0} at {1} entries is not consistent with the {2} already witnessed: a rollback or a rewritten history."
			).format(member, checkpoint.size, size)
	elif not size and proof:
		message = _("A first checkpoint comes with no proof.")
	if message:
		frappe.db.rollback()
		_alert(member, message)
		_log("Witness Alert", member, "Blocked", message)
		frappe.db.commit()
		return Answer(422, message)
	text = checkpoint.text()
	name, seed = keys.witness_signer()
	cosignature = note.signature_line(name, seed, text.encode())
	frappe.db.set_value(
		DOCTYPE,
		member,
		{
			"witnessed_size": checkpoint.size,
			"witnessed_root": checkpoint.root.hex(),
			"witnessed_on": now_datetime(),
			"witnessed_checkpoint": checkpoint_note,
			"silent": 0,
		},
	)
	frappe.db.commit()
	return Answer(200, cosignature)


def flag_silent():
	"""Hourly: flag each Active member whose log sent nothing to witness for too long, and
	tell the Ombudsman Officers once."""
	if not site_is_body():
		return
	hours = frappe.db.get_single_value("Confidentiality Settings", "member_silence_hours") or 48
	since = add_to_date(now_datetime(), hours=-int(hours))
	silent = frappe.get_all(
		DOCTYPE,
		filters={"status": "Active", "silent": 0, "joined_on": ["<", since.date()]},
		or_filters=[["witnessed_on", "<", since], ["witnessed_on", "is", "not set"]],
		pluck="name",
	)
	for member in silent:
		frappe.db.set_value(DOCTYPE, member, "silent", 1)
		_notify(
			member,
			_("Member log silent: {0}").format(member),
			_("No checkpoint of the log of {0} has been witnessed for {1} hours.").format(member, hours),
		)
	frappe.db.commit()
