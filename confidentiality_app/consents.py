"""Load the grants (consents) recorded for a client, through a Redis cache.

The cache is read with the raw redis client, not frappe's wrapper, because the wrapper
hides a dead Redis and silently falls back: a decision that cannot read the cache must
fail closed instead (the gate turns the exception into a logged refusal).
Entries expire after CACHE_TTL seconds and are deleted on every consent change, so a
missed invalidation (Redis unreachable at that moment) is bounded by the TTL.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import frappe
import redis
from frappe.utils import get_datetime, getdate

from confidentiality_app.policy import Grant, normalise

CACHE_TTL = 300
_KEY = "confidentiality_app:grants:{0}:{1}"


def grants_for(parties, use_cache: bool = True) -> tuple[Grant, ...]:
	grants: list[Grant] = []
	seen: set[str] = set()
	for party in parties:
		for grant in _grants_of_party(tuple(party), use_cache):
			if grant.name not in seen:
				seen.add(grant.name)
				grants.append(grant)
	return tuple(grants)


def _cache_key(party) -> str:
	return frappe.cache.make_key(_KEY.format(*party))


def _grants_of_party(party, use_cache: bool) -> list[Grant]:
	if use_cache:
		raw = redis.Redis.get(frappe.cache, _cache_key(party))
		if raw is not None:
			return [_decode(g) for g in json.loads(raw)]
	grants = load_grants(party)
	if use_cache:
		redis.Redis.set(
			frappe.cache, _cache_key(party), json.dumps([_encode(g) for g in grants]), ex=CACHE_TTL
		)
	return grants


def invalidate(party) -> bool:
	"""Forget the cached grants of a party. False (and an Error Log) when Redis is down."""
	try:
		redis.Redis.delete(frappe.cache, _cache_key(party))
		return True
	except redis.exceptions.RedisError:
		frappe.log_error(title="Confidentiality: consent cache invalidation failed")
		return False


def load_grants(party) -> list[Grant]:
	"""Every submitted or withdrawn consent recorded on this party, straight from the DB."""
	doctype, name = party
	consents = frappe.get_all(
		"Client Consent",
		filters={"party_type": doctype, "party": name, "docstatus": ["in", [1, 2]]},
		fields=[
			"name",
			"docstatus",
			"valid_from",
			"valid_until",
			"withdrawn_on",
			"modified",
			"consent_form",
			"consent_form_version",
		],
		order_by="creation asc",
	)
	if not consents:
		return []
	names = [c.name for c in consents]
	purposes: dict[str, set[str]] = {}
	for row in frappe.get_all(
		"Client Consent Purpose", filters={"parent": ["in", names]}, fields=["parent", "purpose"]
	):
		purposes.setdefault(row.parent, set()).add(row.purpose)
	recipients: dict[str, set[str]] = {}
	for row in frappe.get_all(
		"Consent Recipient",
		filters={"parent": ["in", names], "parenttype": "Client Consent"},
		fields=["parent", "recipient_user", "recipient_email"],
	):
		ids = recipients.setdefault(row.parent, set())
		if row.recipient_user:
			ids.add(normalise(row.recipient_user))
			email = frappe.db.get_value("User", row.recipient_user, "email")
			if email:
				ids.add(normalise(email))
		if row.recipient_email:
			ids.add(normalise(row.recipient_email))

	grants = []
	for c in consents:
		withdrawn_at = None
		if c.docstatus == 2:
			withdrawn_at = get_datetime(c.withdrawn_on or c.modified)
		grants.append(
			Grant(
				name=c.name,
				purposes=frozenset(purposes.get(c.name, ())),
				recipients=frozenset(recipients.get(c.name, ())),
				valid_from=getdate(c.valid_from) if c.valid_from else None,
				valid_until=getdate(c.valid_until) if c.valid_until else None,
				withdrawn_at=withdrawn_at,
				active=c.docstatus == 1,
				superseded=_superseded(c.consent_form, c.consent_form_version),
			)
		)
	return grants


def _superseded(consent_form: str | None, version: int | None) -> bool:
	"""Given on a form version older than one that required re-consent."""
	if not consent_form:
		return False
	title = frappe.db.get_value("Consent Form", consent_form, "form_title")
	if not title:
		return False
	return bool(
		frappe.db.exists(
			"Consent Form",
			{
				"form_title": title,
				"requires_reconsent": 1,
				"status": ["in", ["Current", "Archived"]],
				"version": [">", version or 0],
			},
		)
	)


def _encode(grant: Grant) -> dict:
	return {
		"name": grant.name,
		"kind": grant.kind,
		"purposes": sorted(grant.purposes),
		"recipients": sorted(grant.recipients),
		"valid_from": grant.valid_from.isoformat() if grant.valid_from else None,
		"valid_until": grant.valid_until.isoformat() if grant.valid_until else None,
		"withdrawn_at": grant.withdrawn_at.isoformat() if grant.withdrawn_at else None,
		"active": grant.active,
		"superseded": grant.superseded,
	}


def _decode(data: dict) -> Grant:
	return Grant(
		name=data["name"],
		kind=data.get("kind", "consent"),
		purposes=frozenset(data["purposes"]),
		recipients=frozenset(data["recipients"]),
		valid_from=date.fromisoformat(data["valid_from"]) if data["valid_from"] else None,
		valid_until=date.fromisoformat(data["valid_until"]) if data["valid_until"] else None,
		withdrawn_at=datetime.fromisoformat(data["withdrawn_at"]) if data["withdrawn_at"] else None,
		active=data["active"],
		superseded=data["superseded"],
	)
