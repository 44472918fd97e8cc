"""Load the grants (consents) recorded for a client from the database.

Decisions read them through `confidentiality_app.facts`, which caches a client's grants,
identity and addresses together and is invalidated by `invalidate` (a site-wide epoch).
"""

from __future__ import annotations

from datetime import date, datetime

import frappe
from frappe.utils import get_datetime, getdate

from confidentiality_app.policy import Grant, normalise


def grants_for(parties, use_cache: bool = False) -> tuple[Grant, ...]:
	"""Every grant recorded on any of `parties`, from the database, in three queries
	whatever the number of parties and consents (`use_cache` is kept for callers of the
	foundation: caching lives in confidentiality_app.facts)."""
	return tuple(_load(parties))


def parties_with_purpose(purpose: str) -> list[tuple[str, str]]:
	"""The records on which a submitted consent with `purpose` is recorded (one query):
	only their clients can be allowed `purpose` (a set-based decision starts here)."""
	return [
		(party_type, party)
		for party_type, party in frappe.db.sql(
			"""SELECT DISTINCT c.party_type, c.party FROM `tabClient Consent` c
			JOIN `tabClient Consent Purpose` p ON p.parent = c.name AND p.parenttype = 'Client Consent'
			WHERE c.docstatus = 1 AND p.purpose = %s""",
			(purpose,),
		)
		if party_type and party
	]


def invalidate(party=None) -> bool:
	"""A consent (or who a client is) changed: cached decisions facts are stale. False
	(and an Error Log) when Redis is down: they then expire within facts.CACHE_TTL."""
	from confidentiality_app import facts

	return facts.bump()


def load_grants(party) -> list[Grant]:
	"""Every submitted or withdrawn consent recorded on this party, straight from the DB."""
	return _load([party])


def _load(parties) -> list[Grant]:
	parties = list(dict.fromkeys(tuple(p) for p in parties))
	if not parties:
		return []
	# a consent given on a form version older than one that requires re-consent is
	# superseded: the newest such version of the same form title, read in the same query
	consents = frappe.db.sql(
		f"""SELECT c.name, c.docstatus, c.valid_from, c.valid_until, c.withdrawn_on, c.modified,
			c.consent_form, c.consent_form_version,
			(SELECT MAX(later.version) FROM `tabConsent Form` later
				WHERE later.form_title = form.form_title AND later.requires_reconsent = 1
				AND later.status IN ('Current', 'Archived')) AS reconsent_version
		FROM `tabClient Consent` c
		LEFT JOIN `tabConsent Form` form ON form.name = c.consent_form
		WHERE (c.party_type, c.party) IN ({", ".join(["(%s, %s)"] * len(parties))})
			AND c.docstatus IN (1, 2)
		ORDER BY c.creation ASC, c.name ASC""",
		tuple(v for p in parties for v in p),
		as_dict=True,
	)
	if not consents:
		return []
	names = [c.name for c in consents]
	marks = ", ".join(["%s"] * len(names))
	purposes: dict[str, set[str]] = {}
	for parent, purpose in frappe.db.sql(
		f"SELECT parent, purpose FROM `tabClient Consent Purpose` WHERE parent IN ({marks}) AND parenttype = 'Client Consent'",
		tuple(names),
	):
		purposes.setdefault(parent, set()).add(purpose)
	recipients: dict[str, set[str]] = {}
	for parent, user, user_email, email in frappe.db.sql(
		f"""SELECT r.parent, r.recipient_user, u.email, r.recipient_email
		FROM `tabConsent Recipient` r LEFT JOIN `tabUser` u ON u.name = r.recipient_user
		WHERE r.parent IN ({marks}) AND r.parenttype = 'Client Consent'""",
		tuple(names),
	):
		ids = recipients.setdefault(parent, set())
		ids.update(normalise(v) for v in (user, user_email, email) if v)

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
				superseded=bool(
					c.consent_form
					and c.reconsent_version is not None
					and c.reconsent_version > (c.consent_form_version or 0)
				),
			)
		)
	return grants


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


def lost(reason: str, parties=None) -> None:
	"""A consent of `parties` (all clients when None) was withdrawn, expired or superseded:
	every channel re-decides what it still holds open for them (hooks.py
	`confidentiality_consent_lost`: shares and public links removed, pending mail held)."""
	for method in frappe.get_hooks("confidentiality_consent_lost"):
		frappe.get_attr(method)(reason, parties=parties)
