"""Anchors: the head of the Confidentiality Log published outside the site's database.

A keyed chain stops someone who can write the database but not read the key. It cannot
stop someone who holds the key (whoever reads site_config.json) from rebuilding a chain
that verifies, nor anyone from deleting the newest entries. A head published elsewhere
does: `verify` reports a chain shorter than, or differing from, any published head.

`publish()` (scheduled hourly, and `bench --site S confidentiality-log-anchor`) seals the
log, signs the head (sequence, hash, time, key id) with the key and publishes it:
* appended as one JSON line to the anchor file (Confidentiality Settings > Anchor File;
  put it on write-once storage in production). `verify` reads the published heads back
  from it;
* emailed to every Confidentiality Officer and Ombudsman Officer;
* POSTed, when a Witness URL is set (the professional body's or the ombudsman's), as JSON
  with the HMAC in the `X-Confidentiality-Signature` header, retried, and failures
  alerted to the Confidentiality Officers.
Each publication is also kept as a Confidentiality Log Anchor record (what was sent
where), which is for reading only: `verify` never trusts the database's copy.
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


def read(path: str | None = None) -> list[chain.Anchor]:
	"""The heads published to the anchor file (the copy outside the database)."""
	path = path or anchor_file()
	if not os.path.exists(path):
		return []
	anchors = []
	with open(path) as f:
		for line in f:
			line = line.strip()
			if line:
				anchors.append(chain.Anchor.from_dict(json.loads(line)))
	return anchors


def _append_to_file(anchor: chain.Anchor) -> str:
	path = anchor_file()
	os.makedirs(os.path.dirname(path), exist_ok=True)
	# append-only: never rewritten, one line per head
	fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
	with os.fdopen(fd, "a") as f:
		f.write(json.dumps(anchor.as_dict(), sort_keys=True) + "\n")
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


def _email(anchor: chain.Anchor) -> list[str]:
	recipients = _recipients()
	if not recipients:
		return []
	try:
		_send(anchor, recipients)
	except frappe.OutgoingEmailError as e:
		_alert(
			_("The head {0} of the Confidentiality Log could not be emailed: {1}").format(anchor.sequence, e)
		)
		return []
	return recipients


def _send(anchor: chain.Anchor, recipients: list[str]):
	frappe.sendmail(
		recipients=recipients,
		subject=_("Confidentiality Log head {0} of {1}").format(anchor.sequence, frappe.local.site),
		message=_(
			"<p>The Confidentiality Log of {0} reached entry {1} on {2}.</p>"
			"<p>Keep this message: it lets anyone verify later that the log was not shortened or rewritten.</p>"
			"<pre>{3}</pre>"
		).format(
			frappe.local.site, anchor.sequence, anchor.timestamp, json.dumps(anchor.as_dict(), indent=1)
		),
		delayed=True,
	)


def _post(anchor: chain.Anchor, url: str) -> tuple[bool, str]:
	import requests

	body = json.dumps({"site": frappe.local.site, **anchor.as_dict()}, sort_keys=True)
	headers = {
		"Content-Type": "application/json",
		"X-Confidentiality-Signature": anchor.signature,
		"X-Confidentiality-Key-Id": anchor.key_id,
	}
	last = ""
	for attempt in range(1, WITNESS_ATTEMPTS + 1):
		try:
			response = requests.post(url, data=body, headers=headers, timeout=WITNESS_TIMEOUT)
			if 200 <= response.status_code < 300:
				return True, f"HTTP {response.status_code} after {attempt} attempt(s)"
			last = f"HTTP {response.status_code}: {response.text[:200]}"
		except requests.RequestException as e:
			last = f"{type(e).__name__}: {e}"
		if attempt < WITNESS_ATTEMPTS:
			time.sleep(min(2 ** (attempt - 1), 5) * 0.5)
	return False, last


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
	"""Publish the current head. Without `force`, nothing is published when the head has
	not moved since the last anchor in the file."""
	anchor = head()
	published = read()
	if not force and published and published[-1].sequence == anchor.sequence:
		return {"published": False, "sequence": anchor.sequence}
	path = _append_to_file(anchor)
	mailed = _email(anchor)
	url = frappe.db.get_single_value("Confidentiality Settings", "witness_url")
	witness_ok, witness_status = (None, "")
	if url:
		witness_ok, witness_status = _post(anchor, url)
		if not witness_ok:
			_alert(
				_("The head {0} of the Confidentiality Log could not be sent to the witness {1}: {2}").format(
					anchor.sequence, url, witness_status
				)
			)
	frappe.get_doc(
		{
			"doctype": "Confidentiality Log Anchor",
			"sequence": anchor.sequence,
			"entry_hash": anchor.entry_hash,
			"anchored_on": anchor.timestamp,
			"key_id": anchor.key_id,
			"signature": anchor.signature,
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
		"file": path,
		"emailed_to": mailed,
		"witness": witness_status or None,
		"witness_ok": witness_ok,
	}


def publish_scheduled():
	"""Scheduler, hourly."""
	publish()
	frappe.db.commit()
