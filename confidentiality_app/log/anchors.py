"""Anchors: the log's signed checkpoint (and chain head) published outside the site's database.

A keyed chain stops someone who can write the database but not read the key. It cannot stop
someone who holds the key from rebuilding a chain that verifies, nor anyone from deleting the
newest entries. A checkpoint published elsewhere does: the tree of the first N entries must
keep the root the checkpoint of N published, and any later tree must be consistent with it.

`publish()` (scheduled hourly, and `bench --site S confidentiality-log-anchor`) seals the log
and publishes the C2SP checkpoint of the tree, signed with the site's Ed25519 key
(`checkpoints`), together with the chain head (sequence, hash, HMAC) it was taken at:
* appended as one JSON line to the anchor file (Confidentiality Settings > Anchor File;
  put it on write-once storage in production). `verify` reads them back from it;
* emailed to every Confidentiality Officer and Ombudsman Officer;
* POSTed, when a Witness URL is set (the professional body's or the ombudsman's), as a
  C2SP tlog-witness `add-checkpoint` request (`old <size>`, the consistency proof from the
  size the witness last acknowledged, a blank line, the checkpoint). The witness answers with
  its cosignature lines, which are stored with the checkpoint (checked first against the
  Witness Verifier Key when one is set). Retried; failures alerted to the officers.
Each publication is also kept as a Confidentiality Log Anchor record (what was sent where),
which verification compares too (a tripwire: the file is the copy that counts).
"""

from __future__ import annotations

import json
import os
import time

import frappe
from frappe import _
from frappe.utils import now_datetime

from confidentiality_app.log import audit, keys
from confidentiality_app.rules import chain
from confidentiality_app.rules.roles import OFFICER, OMBUDSMAN

WITNESS_ATTEMPTS = 3
WITNESS_TIMEOUT = 10
DEFAULT_FILE = "private/confidentiality-log-anchors.jsonl"


def anchor_file() -> str:
	path = frappe.db.get_single_value("Confidentiality Settings", "anchor_file") or DEFAULT_FILE
	return path if os.path.isabs(path) else os.path.join(frappe.get_site_path(), path)


def head() -> chain.Anchor:
	"""The signed head of the chain as it stands now (sealed first)."""
	db = audit.connection()
	audit.seal(db)
	row = db.sql(
		f"SELECT sequence, entry_hash, key_id FROM `tab{audit.LOG_DOCTYPE}` ORDER BY sequence DESC LIMIT 1"
	)
	key_id, key = keys.current()
	if not row:
		return chain.Anchor(0, chain.GENESIS, str(now_datetime()), key_id).signed(key)
	sequence, entry_hash, _entry_key = row[0]
	return chain.Anchor(int(sequence), entry_hash, str(now_datetime()), key_id).signed(key)


def lines(path: str | None = None) -> list[dict]:
	"""The publications in the anchor file (the copy outside the database), oldest first."""
	path = path or anchor_file()
	if not os.path.exists(path):
		return []
	published = []
	with open(path) as f:
		for line in f:
			line = line.strip()
			if line:
				published.append(json.loads(line))
	return published


def read(path: str | None = None) -> list[chain.Anchor]:
	"""The chain heads published to the anchor file."""
	return [chain.Anchor.from_dict(line) for line in lines(path) if "sequence" in line]


def published_checkpoints(path: str | None = None) -> list[str]:
	"""The signed checkpoints published to the anchor file (note texts), oldest first."""
	return [line["checkpoint"] for line in lines(path) if line.get("checkpoint")]


def _append_to_file(anchor: chain.Anchor, checkpoint: str = "") -> str:
	path = anchor_file()
	os.makedirs(os.path.dirname(path), exist_ok=True)
	# append-only: never rewritten, one line per head
	fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
	with os.fdopen(fd, "a") as f:
		line = anchor.as_dict()
		if checkpoint:
			line["checkpoint"] = checkpoint
		f.write(json.dumps(line, sort_keys=True) + "\n")
		f.flush()
		os.fsync(f.fileno())
	return path


def _recipients() -> list[str]:
	users = frappe.get_all(
		"Has Role",
		filters={"role": ["in", [OFFICER, OMBUDSMAN]], "parenttype": "User"},
		pluck="parent",
		distinct=True,
	)
	return sorted(
		{
			frappe.db.get_value("User", u, "email")
			for u in users
			if u not in ("Administrator", "Guest") and frappe.db.get_value("User", u, "enabled")
		}
		- {None, ""}
	)


def _email(anchor: chain.Anchor, checkpoint: str = "") -> list[str]:
	recipients = _recipients()
	if not recipients:
		return []
	try:
		_send(anchor, recipients, checkpoint)
	except frappe.OutgoingEmailError as e:
		_alert(
			_("The head {0} of the Confidentiality Log could not be emailed: {1}").format(anchor.sequence, e)
		)
		return []
	return recipients


def _send(anchor: chain.Anchor, recipients: list[str], checkpoint: str = ""):
	from frappe.utils import escape_html

	frappe.sendmail(
		recipients=recipients,
		subject=_("Confidentiality Log checkpoint {0} of {1}").format(anchor.sequence, frappe.local.site),
		message=_(
			"<p>The Confidentiality Log of {0} reached entry {1} on {2}.</p>"
			"<p>Keep this message: it lets anyone verify later that the log was not shortened or rewritten. "
			"The signed checkpoint (C2SP tlog-checkpoint, Ed25519; the public key is at /api/method/confidentiality_app.api.log_public_keys):</p>"
			"<pre>{3}</pre><p>The chain head it was taken at:</p><pre>{4}</pre>"
		).format(
			frappe.local.site,
			anchor.sequence,
			anchor.timestamp,
			escape_html(checkpoint),
			json.dumps(anchor.as_dict(), indent=1),
		),
		delayed=True,
	)


def _witness_request(old_size: int, proof: list[bytes], checkpoint: str) -> str:
	"""C2SP tlog-witness add-checkpoint body."""
	import base64

	lines = [f"old {old_size}", *(base64.b64encode(p).decode() for p in proof)]
	return "\n".join(lines) + "\n\n" + checkpoint


def _last_acknowledged(url: str) -> int:
	rows = frappe.get_all(
		"Confidentiality Log Anchor",
		filters={"witness_url": url, "witness_status": "Sent", "tree_size": [">", 0]},
		fields=["tree_size"],
		order_by="name desc",
		limit=1,
	)
	return int(rows[0].tree_size) if rows else 0


def _cosignatures(body: str, checkpoint: str) -> tuple[str, str]:
	"""(the cosignature lines the witness returned, what was checked)."""
	from confidentiality_app.rules import note

	found = [line + "\n" for line in (body or "").splitlines() if line.startswith(note.DASH)]
	if not found:
		return "", ""
	witness_key = frappe.db.get_single_value("Confidentiality Settings", "witness_key")
	if not witness_key:
		return "".join(found), "cosignature stored (no witness key set to check it)"
	try:
		verifier = note.parse_verifier_key(witness_key.strip())
		note.open_note(checkpoint + "".join(found), [verifier])
	except note.NoteError as e:
		return "", f"cosignature refused: {e}"
	return "".join(found), "cosignature verified with the witness key"


def _post(anchor: chain.Anchor, url: str, checkpoint: str = "", tree_size: int = 0) -> tuple[bool, str, str]:
	"""(sent, status, cosignature lines)."""
	import requests

	from confidentiality_app.log import tree

	old = min(_last_acknowledged(url), tree_size)
	last = ""
	for attempt in range(1, WITNESS_ATTEMPTS + 1):
		try:
			proof = tree.consistency_proof(audit.connection(), old, tree_size)
			response = requests.post(
				url,
				data=_witness_request(old, proof, checkpoint).encode(),
				headers={
					"Content-Type": "text/plain; charset=utf-8",
					"X-Confidentiality-Signature": anchor.signature,
					"X-Confidentiality-Key-Id": anchor.key_id,
				},
				timeout=WITNESS_TIMEOUT,
			)
			if 200 <= response.status_code < 300:
				# a note is UTF-8 (the signature lines start with an em dash), whatever the
				# response's content type says
				cosigned, checked = _cosignatures(response.content.decode("utf-8", "replace"), checkpoint)
				status = f"HTTP {response.status_code} after {attempt} attempt(s)"
				return True, f"{status}; {checked}" if checked else status, cosigned
			if response.status_code == 409 and response.text.strip().isdigit():
				# the witness knows another size: prove consistency from that one
				old = min(int(response.text.strip()), tree_size)
			last = f"HTTP {response.status_code}: {response.text[:200]}"
		except requests.RequestException as e:
			last = f"{type(e).__name__}: {e}"
		if attempt < WITNESS_ATTEMPTS:
			time.sleep(min(2 ** (attempt - 1), 5) * 0.5)
	return False, last, ""


def _alert(message: str):
	frappe.log_error(title="Confidentiality Log anchor not published", message=message)
	officers = frappe.get_all(
		"Has Role", filters={"role": OFFICER, "parenttype": "User"}, pluck="parent", distinct=True
	)
	for user in officers:
		if user in ("Guest",) or not frappe.db.get_value("User", user, "enabled"):
			continue
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"subject": _("Confidentiality Log anchor not published"),
				"email_content": message,
				"document_type": "Confidentiality Settings",
				"document_name": "Confidentiality Settings",
			}
		).insert(ignore_permissions=True)


def publish(force: bool = False) -> dict:
	"""Publish the current checkpoint and head. Without `force`, nothing is published when
	the head has not moved since the last publication in the file."""
	from confidentiality_app.log import checkpoints

	anchor = head()
	published = read()
	if not force and published and published[-1].sequence == anchor.sequence:
		return {"published": False, "sequence": anchor.sequence}
	# the tree of the entries up to the head (every sealed entry is a leaf: size == sequence)
	checkpoint = checkpoints.at(anchor.sequence)
	root_hash = checkpoints.open_(checkpoint).root.hex()
	path = _append_to_file(anchor, checkpoint)
	mailed = _email(anchor, checkpoint)
	url = frappe.db.get_single_value("Confidentiality Settings", "witness_url")
	witness_ok, witness_status, cosigned = (None, "", "")
	if url:
		witness_ok, witness_status, cosigned = _post(anchor, url, checkpoint, anchor.sequence)
		if not witness_ok:
			_alert(
				_(
					"The checkpoint {0} of the Confidentiality Log could not be sent to the witness {1}: {2}"
				).format(anchor.sequence, url, witness_status)
			)
	frappe.get_doc(
		{
			"doctype": "Confidentiality Log Anchor",
			"sequence": anchor.sequence,
			"entry_hash": anchor.entry_hash,
			"anchored_on": anchor.timestamp,
			"key_id": anchor.key_id,
			"signature": anchor.signature,
			"tree_size": anchor.sequence,
			"root_hash": root_hash,
			"checkpoint": checkpoint,
			"cosignatures": cosigned,
			"anchor_file": path,
			"emailed_to": "\n".join(mailed),
			"witness_url": url or "",
			"witness_status": ("Sent" if witness_ok else "Failed") if url else "Not Configured",
			"witness_response": witness_status,
		}
	).insert(ignore_permissions=True)
	return {
		"published": True,
		"sequence": anchor.sequence,
		"entry_hash": anchor.entry_hash,
		"tree_size": anchor.sequence,
		"root_hash": root_hash,
		"checkpoint": checkpoint,
		"cosignatures": cosigned,
		"file": path,
		"emailed_to": mailed,
		"witness": witness_status or None,
		"witness_ok": witness_ok,
	}


def publish_scheduled():
	"""Scheduler, hourly."""
	publish()
	frappe.db.commit()
