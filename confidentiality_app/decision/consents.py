"""Load the grants (consents) recorded for a client from the database.

Decisions read them through `confidentiality_app.decision.facts`, which caches a client's grants,
identity and addresses together and is invalidated by `invalidate` (a site-wide epoch).
"""

from __future__ import annotations

from datetime import date, datetime

import frappe
from frappe.utils import get_datetime, getdate

from confidentiality_app.decision import epoch
from confidentiality_app.rules.policy import WRITTEN_CONSENT, Agreement, Grant, normalise


def grants_for(parties, use_cache: bool = False) -> tuple[Grant, ...]:
	"""Every grant recorded on any of `parties`, from the database, in three queries
	whatever the number of parties and consents (`use_cache` is kept for callers of the
	foundation: caching lives in confidentiality_app.decision.facts)."""
	return tuple(_load(parties))


def parties_with_purpose(purpose: str) -> list[tuple[str, str]]:
	"""The records on which a submitted consent with `purpose`, or an approved disclosure by
	that channel, is recorded (two queries): only their clients can be allowed `purpose` (a
	set-based decision starts here)."""
	rows = list(
		frappe.db.sql(
			"""SELECT DISTINCT c.party_type, c.party FROM `tabClient Consent` c
			JOIN `tabClient Consent Purpose` p ON p.parent = c.name AND p.parenttype = 'Client Consent'
			WHERE c.docstatus = 1 AND p.purpose = %s""",
			(purpose,),
		)
	)
	if frappe.db.table_exists("Disclosure Request"):
		# and the clients of an approved disclosure by that channel
		rows += frappe.db.sql(
			"""SELECT DISTINCT d.party_type, d.party FROM `tabDisclosure Request` d
			JOIN `tabDisclosure Channel` c ON c.parent = d.name AND c.parenttype = 'Disclosure Request'
			WHERE d.docstatus = 1 AND d.status = 'Approved' AND c.channel = %s""",
			(purpose,),
		)
	return list(dict.fromkeys((party_type, party) for party_type, party in rows if party_type and party))


def invalidate(party=None) -> bool:
	"""A consent (or who a client is) changed: cached decisions facts are stale. False
	(and an Error Log) when Redis is down: they then expire within facts.CACHE_TTL."""
	return epoch.bump()


def load_grants(party) -> list[Grant]:
	"""Every submitted or withdrawn consent recorded on this party, straight from the DB."""
	return _load([party])


def _load(parties) -> list[Grant]:
	parties = list(dict.fromkeys(tuple(p) for p in parties))
	if not parties:
		return []
	return _load_consents(parties) + _load_disclosures(parties)


def _load_consents(parties) -> list[Grant]:
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
	for parent, user, user_email, email, address in frappe.db.sql(
		f"""SELECT r.parent, r.recipient_user, u.email, r.recipient_email, r.recipient_address
		FROM `tabConsent Recipient` r LEFT JOIN `tabUser` u ON u.name = r.recipient_user
		WHERE r.parent IN ({marks}) AND r.parenttype = 'Client Consent'""",
		tuple(names),
	):
		ids = recipients.setdefault(parent, set())
		ids.update(normalise(v) for v in (user, user_email, email, address) if v)

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


# an approved disclosure with no Valid Until may be used for this many days
DEFAULT_DISCLOSURE_DAYS = 30


def _load_disclosures(parties) -> list[Grant]:
	"""The disclosures approved for `parties` (active while Approved; once completed or
	revoked they explain a refusal), as grants scoped to their records, channels, recipients,
	window and uses. Three queries whatever their number."""
	if not frappe.db.table_exists("Disclosure Request"):
		return []
	rows = frappe.db.sql(
		f"""SELECT d.name, d.ground, d.status, d.docstatus, d.approved_on, d.valid_until,
			d.max_uses, d.uses, d.client_consent, d.recipient_email, d.recipient_user, d.modified,
			u.email AS user_email, a.email AS authority_email
		FROM `tabDisclosure Request` d
		LEFT JOIN `tabUser` u ON u.name = d.recipient_user
		LEFT JOIN `tabDisclosure Authority` a ON a.name = d.authority
		WHERE (d.party_type, d.party) IN ({", ".join(["(%s, %s)"] * len(parties))})
			AND d.docstatus IN (1, 2) AND d.approved_on IS NOT NULL
		ORDER BY d.approved_on ASC, d.name ASC""",
		tuple(v for p in parties for v in p),
		as_dict=True,
	)
	if not rows:
		return []
	names = [r.name for r in rows]
	marks = ", ".join(["%s"] * len(names))
	channels: dict[str, set[str]] = {}
	for parent, channel in frappe.db.sql(
		f"SELECT parent, channel FROM `tabDisclosure Channel` WHERE parent IN ({marks}) AND parenttype = 'Disclosure Request'",
		tuple(names),
	):
		channels.setdefault(parent, set()).add(channel)
	records: dict[str, set[tuple[str, str]]] = {}
	for parent, doctype, name in frappe.db.sql(
		f"""SELECT parent, reference_doctype, reference_name FROM `tabDisclosure Record`
		WHERE parent IN ({marks}) AND parenttype = 'Disclosure Request'""",
		tuple(names),
	):
		records.setdefault(parent, set()).add((doctype, name))
	grants = []
	for r in rows:
		approved = get_datetime(r.approved_on)
		until = getdate(r.valid_until) if r.valid_until else None
		if until is None:
			until = frappe.utils.add_days(approved, DEFAULT_DISCLOSURE_DAYS).date()
		grants.append(
			Grant(
				name=r.name,
				kind="disclosure",
				ground=r.ground or "",
				purposes=frozenset(channels.get(r.name, ())),
				recipients=frozenset(
					normalise(v)
					for v in (r.recipient_email, r.recipient_user, r.user_email, r.authority_email)
					if v
				),
				valid_from=approved.date(),
				valid_until=until,
				withdrawn_at=get_datetime(r.modified) if r.docstatus == 2 else None,
				active=r.docstatus == 1 and r.status == "Approved",
				# no record named is no record in scope: never the client's every record
				records=frozenset(records.get(r.name, ())) or frozenset({("", "")}),
				uses_left=max(int(r.max_uses) - int(r.uses or 0), 0) if r.max_uses else None,
				requires=frozenset({r.client_consent})
				if r.client_consent and r.ground == WRITTEN_CONSENT
				else frozenset(),
			)
		)
	return grants


def agreement_for(parties) -> Agreement | None:
	"""The Confidentiality Agreement in force for the person recorded as `parties` (the
	newest current one on any of their records; None when none was ever made). Three queries."""
	parties = list(dict.fromkeys(tuple(p) for p in parties))
	if not parties or not frappe.db.table_exists("Confidentiality Agreement"):
		return None
	row = frappe.db.sql(
		f"""SELECT name FROM `tabConfidentiality Agreement`
		WHERE (party_type, party) IN ({", ".join(["(%s, %s)"] * len(parties))}) AND status = 'Current'
		ORDER BY agreed_on DESC, creation DESC LIMIT 1""",
		tuple(v for p in parties for v in p),
	)
	if not row:
		return None
	name = row[0][0]
	purposes = frappe.db.sql(
		"""SELECT purpose FROM `tabClient Consent Purpose`
		WHERE parent = %s AND parenttype = 'Confidentiality Agreement'""",
		(name,),
	)
	recipients = frappe.db.sql(
		"""SELECT r.recipient_user, u.email, r.recipient_email, r.recipient_address FROM `tabConsent Recipient` r
		LEFT JOIN `tabUser` u ON u.name = r.recipient_user
		WHERE r.parent = %s AND r.parenttype = 'Confidentiality Agreement'""",
		(name,),
	)
	return Agreement(
		name=name,
		purposes=frozenset(p[0] for p in purposes),
		recipients=frozenset(normalise(v) for row in recipients for v in row if v),
	)


def row_ids(row) -> frozenset[str]:
	"""The identifiers a Consent Recipient row names (its user, the user's email, its email,
	its number or system), normalised: what a decision compares a recipient against."""
	user_email = frappe.db.get_value("User", row.recipient_user, "email") if row.recipient_user else None
	return frozenset(
		normalise(v)
		for v in (row.recipient_user, user_email, row.recipient_email, row.get("recipient_address"))
		if v
	)


def encode_agreement(agreement: Agreement | None) -> dict | None:
	if agreement is None:
		return None
	return {
		"name": agreement.name,
		"purposes": sorted(agreement.purposes),
		"recipients": sorted(agreement.recipients),
	}


def decode_agreement(data: dict | None) -> Agreement | None:
	if not data:
		return None
	return Agreement(data["name"], frozenset(data["purposes"]), frozenset(data["recipients"]))


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
		"records": sorted(list(r) for r in grant.records),
		"uses_left": grant.uses_left,
		"ground": grant.ground,
		"requires": sorted(grant.requires),
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
		records=frozenset(tuple(r) for r in data.get("records", ())),
		uses_left=data.get("uses_left"),
		ground=data.get("ground", ""),
		requires=frozenset(data.get("requires", ())),
	)


def lost(reason: str, parties=None) -> None:
	"""A consent of `parties` (all clients when None) was withdrawn, expired or superseded:
	every channel re-decides what it still holds open for them (hooks.py
	`confidentiality_consent_lost`: shares and public links removed, pending mail held)."""
	for method in frappe.get_hooks("confidentiality_consent_lost"):
		frappe.get_attr(method)(reason, parties=parties)
