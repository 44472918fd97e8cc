"""The keys that seal the Confidentiality Log. They never live in the site database.

Where they are, in order of precedence:
* a key file named by `confidentiality_log_key_file` in site_config.json (a JSON object
  `{"current": "<key id>", "keys": {"<key id>": "<base64 secret>", ...}}`), for a key kept
  on storage the database user cannot read;
* otherwise site_config.json itself: `confidentiality_log_keys` (the same `keys` object)
  and `confidentiality_log_key_id` (the current id).

Whoever can read that file (the bench's system user, `bench console`) holds the key and
could rebuild a chain that verifies; the anchors published outside the site are what
catches that. Someone who can only write the database (SQL access, a System Console
whose server scripts can write) cannot forge an entry.

Rotation adds a key and makes it current; older keys stay, so older entries still verify.
"""

from __future__ import annotations

import base64
import json
import os
import secrets

import frappe
from frappe import _

KEY_BYTES = 32


class KeyUnavailable(Exception):
	pass


def _from_file(path: str) -> dict:
	if not os.path.isabs(path):
		path = os.path.join(frappe.get_site_path(), path)
	with open(path) as f:
		return json.load(f)


def _config() -> tuple[str | None, dict[str, str]]:
	conf = frappe.local.conf
	path = conf.get("confidentiality_log_key_file")
	if path:
		data = _from_file(path)
		return data.get("current"), dict(data.get("keys") or {})
	return conf.get("confidentiality_log_key_id"), dict(conf.get("confidentiality_log_keys") or {})


def keys() -> dict[str, bytes]:
	"""Every key this site holds, by id."""
	_current, raw = _config()
	return {key_id: base64.b64decode(secret) for key_id, secret in raw.items()}


def current() -> tuple[str, bytes]:
	"""The key new entries are sealed with. KeyUnavailable when none is configured."""
	key_id, raw = _config()
	if not key_id or key_id not in raw:
		raise KeyUnavailable(
			_(
				"No key to seal the Confidentiality Log: set confidentiality_log_key_id and confidentiality_log_keys in the site config, or run bench --site SITE confidentiality-log-rotate-key."
			)
		)
	return key_id, base64.b64decode(raw[key_id])


def rotate() -> str:
	"""Make a new key current (kept where the current ones are). Returns its id."""
	from frappe.installer import update_site_config

	key_id = f"k{frappe.utils.now_datetime().strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(2)}"
	secret = base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()
	path = frappe.local.conf.get("confidentiality_log_key_file")
	if path:
		full = path if os.path.isabs(path) else os.path.join(frappe.get_site_path(), path)
		data = _from_file(path) if os.path.exists(full) else {}
		data.setdefault("keys", {})[key_id] = secret
		data["current"] = key_id
		fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
		with os.fdopen(fd, "w") as f:
			json.dump(data, f, indent=1)
	else:
		existing = dict(frappe.local.conf.get("confidentiality_log_keys") or {})
		existing[key_id] = secret
		update_site_config("confidentiality_log_keys", existing)
		update_site_config("confidentiality_log_key_id", key_id)
	frappe.local.conf = frappe._dict(frappe.get_site_config())
	return key_id


def ensure() -> str:
	"""Install / migrate: a site with no key gets one."""
	try:
		return current()[0]
	except KeyUnavailable:
		return rotate()
