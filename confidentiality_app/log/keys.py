"""The keys that seal the Confidentiality Log. They never live in the site database, nor
in the site directory.

They are kept in a key file (a JSON object `{"current": "<key id>", "keys": {"<key id>":
"<base64 secret>", ...}}`, mode 0600) named by `confidentiality_log_key_file` in
site_config.json. Install and migrate create it, when the site has none, at
`<bench>/config/confidentiality-log-keys/<site>.json`: outside `sites/<site>`, because
Frappe copies site_config.json into every backup (`private/backups`), which any System
Manager can download over HTTP, and a key there would be readable by the very
administrators the chain guards against. Only the file's path is in the site config. A
site whose keys were written into site_config.json itself (`confidentiality_log_keys`,
`confidentiality_log_key_id`) has them moved to the file at the next migrate.

Whoever can read the key file (the bench's system user, `bench console`, the host) holds
the key and could rebuild a chain that verifies; the anchors published outside the site are
what catches that. Someone who can only write the database (SQL access, a System Console
whose server scripts can write) cannot forge an entry.

Rotation adds a key and makes it current; older keys stay, so older entries still verify.

The same file holds the Ed25519 keys that sign the log's checkpoints (C2SP signed notes,
`rules.note`), under `"signing": {"origin": "<log origin>", "current": "<id>", "keys": {"<id>":
{"seed": "<base64>", "created": "<time>"}}}`. Their public halves are served by the site
(`public_keys`); rotating keeps the old ones, so checkpoints signed before still verify. The
origin (the log's name in every checkpoint) is fixed when the first signing key is made, so
a change of host name never makes a second log.
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
		try:
			data = _from_file(path)
		except FileNotFoundError:
			raise KeyUnavailable(
				_(
					"The Confidentiality Log key file {0} is missing: restore it from the offline copy."
				).format(path)
			) from None
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
				"No key to seal the Confidentiality Log: run bench --site SITE migrate (it creates the key file) or bench --site SITE confidentiality-log-rotate-key, or name an existing key file with confidentiality_log_key_file in the site config."
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
		full = _full(path)
		data = _from_file(path) if os.path.exists(full) else {}
		data.setdefault("keys", {})[key_id] = secret
		data["current"] = key_id
		_write(full, data)
	else:
		existing = dict(frappe.local.conf.get("confidentiality_log_keys") or {})
		existing[key_id] = secret
		update_site_config("confidentiality_log_keys", existing)
		update_site_config("confidentiality_log_key_id", key_id)
	frappe.local.conf = frappe._dict(frappe.get_site_config())
	return key_id


def default_key_file() -> str:
	return os.path.join(
		frappe.utils.get_bench_path(), "config", "confidentiality-log-keys", f"{frappe.local.site}.json"
	)


def _write(full: str, data: dict) -> None:
	os.makedirs(os.path.dirname(full), mode=0o700, exist_ok=True)
	fd = os.open(full, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
	with os.fdopen(fd, "w") as f:
		json.dump(data, f, indent=1)
	os.chmod(full, 0o600)


def ensure() -> str:
	"""Install / migrate: a site with no key file gets one (outside the site directory);
	keys found in site_config.json are moved into it. Returns the current key id."""
	from frappe.installer import update_site_config

	conf = frappe.local.conf
	if not conf.get("confidentiality_log_key_file"):
		full = default_key_file()
		data = _from_file(full) if os.path.exists(full) else {"keys": {}}
		legacy = dict(conf.get("confidentiality_log_keys") or {})
		if legacy:
			data.setdefault("keys", {}).update(legacy)
			data["current"] = conf.get("confidentiality_log_key_id") or data.get("current")
		_write(full, data)
		update_site_config("confidentiality_log_key_file", full)
		for key in ("confidentiality_log_keys", "confidentiality_log_key_id"):
			update_site_config(key, "None")
		frappe.local.conf = frappe._dict(frappe.get_site_config())
	elif not os.path.exists(_full(conf.get("confidentiality_log_key_file"))):
		if frappe.db.count("Confidentiality Log"):
			# never replace a lost key silently: entries sealed with it could no longer be
			# verified. Accepting still works; sealing waits for the file to be restored.
			message = _(
				"The Confidentiality Log key file {0} is missing: restore it from the offline copy. Entries are accepted but not sealed until then."
			).format(conf.get("confidentiality_log_key_file"))
			frappe.log_error(title="Confidentiality: log key file missing", message=message)
			print(message)
			return ""
	try:
		key_id = current()[0]
	except KeyUnavailable:
		key_id = rotate()
	ensure_signing()
	return key_id


# --------------------------------------------------------------------------- signing keys


def _signing() -> tuple[str, dict]:
	path = frappe.local.conf.get("confidentiality_log_key_file")
	if not path or not os.path.exists(_full(path)):
		raise KeyUnavailable(
			_("No key file for the Confidentiality Log: run bench --site SITE migrate (it creates one).")
		)
	return _full(path), _from_file(path)


def origin() -> str:
	"""The log's origin line (the first line of every checkpoint)."""
	_path, data = _signing()
	signing = data.get("signing") or {}
	if not signing.get("origin"):
		raise KeyUnavailable(
			_("The Confidentiality Log has no signing key yet: run bench --site SITE migrate.")
		)
	return signing["origin"]


def default_origin() -> str:
	return f"{frappe.local.site}/confidentiality-log"


def signer() -> tuple[str, bytes]:
	"""(key name, Ed25519 private seed) that signs new checkpoints."""
	_path, data = _signing()
	signing = data.get("signing") or {}
	current = signing.get("current")
	if not current or current not in (signing.get("keys") or {}):
		raise KeyUnavailable(
			_("No key to sign the Confidentiality Log's checkpoints: run bench --site SITE migrate.")
		)
	return signing["origin"], base64.b64decode(signing["keys"][current]["seed"])


def public_keys() -> list[dict]:
	"""Every signing key's public half, oldest first: {"key": verifier key text, "key_id",
	"name", "created", "current"}."""
	from confidentiality_app.rules import note

	try:
		_path, data = _signing()
	except KeyUnavailable:
		return []
	signing = data.get("signing") or {}
	name = signing.get("origin") or ""
	listed = []
	for key_id, item in sorted((signing.get("keys") or {}).items(), key=lambda kv: kv[1].get("created", "")):
		public = note.public_bytes(base64.b64decode(item["seed"]))
		listed.append(
			{
				"key": note.verifier_key(name, public),
				"key_id": note.key_id(name, public).hex(),
				"name": name,
				"created": item.get("created", ""),
				"current": key_id == signing.get("current"),
			}
		)
	return listed


def verifiers() -> list:
	from confidentiality_app.rules import note

	return [note.parse_verifier_key(k["key"]) for k in public_keys()]


def rotate_signing() -> str:
	"""Make a new Ed25519 signing key current (older ones kept, so their checkpoints verify).
	Returns the new key's verifier key."""
	from cryptography.hazmat.primitives import serialization
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

	from confidentiality_app.rules import note

	full, data = _signing()
	signing = data.setdefault("signing", {})
	signing.setdefault("origin", default_origin())
	seed = Ed25519PrivateKey.generate().private_bytes(
		serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
	)
	key_id = f"s{frappe.utils.now_datetime().strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(2)}"
	signing.setdefault("keys", {})[key_id] = {
		"seed": base64.b64encode(seed).decode(),
		"created": str(frappe.utils.now_datetime()),
	}
	signing["current"] = key_id
	_write(full, data)
	return note.verifier_key(signing["origin"], note.public_bytes(seed))


def witness_signer() -> tuple[str, bytes]:
	"""(name, Ed25519 seed) with which this site, as a professional body, cosigns its members'
	checkpoints (a key of its own, under `"witness"` in the key file; made on first use)."""
	from cryptography.hazmat.primitives import serialization
	from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

	full, data = _signing()
	witness = data.get("witness") or {}
	if not witness.get("seed"):
		seed = Ed25519PrivateKey.generate().private_bytes(
			serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
		)
		witness = {
			"name": f"{frappe.local.site}/witness",
			"seed": base64.b64encode(seed).decode(),
			"created": str(frappe.utils.now_datetime()),
		}
		data["witness"] = witness
		_write(full, data)
	return witness["name"], base64.b64decode(witness["seed"])


def witness_public_key() -> str:
	"""The verifier key of this site's witness key (what a member sets as Witness Verifier Key)."""
	from confidentiality_app.rules import note

	name, seed = witness_signer()
	return note.verifier_key(name, note.public_bytes(seed))


def ensure_signing() -> None:
	try:
		signer()
	except KeyUnavailable:
		rotate_signing()


def _full(path: str) -> str:
	return path if os.path.isabs(path) else os.path.join(frappe.get_site_path(), path)
