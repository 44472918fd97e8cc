"""The evidence pack: from the sealed log, the entries, consents and disclosures for the client and
the respondents in the period of the complaint, and nothing else."""

from __future__ import annotations

import frappe

from confidentiality_app.decision import clients
from confidentiality_app.log import audit, packs

# --------------------------------------------------------------------------- evidence


def people_of(doc) -> list[tuple[str, str]]:
	return list(map(tuple, clients.identity((doc.client_type, doc.client)))) if doc.client else []


def respondent_users(doc) -> list[str]:
	practitioners = [r.practitioner for r in doc.respondents if r.practitioner]
	if not practitioners:
		return []
	return [u for u in frappe.get_all("Practitioner", {"name": ["in", practitioners]}, pluck="user") if u]


def evidence_pack(doc, proofs: bool = False) -> dict:
	"""What the case rests on: the log entries that released the client's information (to
	whom, on which basis), by the respondents when they have accounts, in the period; the
	client's consents and disclosures. Read on the log's own connection (everything sealed).
	With `proofs`, also "verifiable": the same entries as a pack anyone outside can check
	(`log.packs`: signed checkpoint, inclusion proofs, values revealed)."""
	people = people_of(doc)
	if not people:
		empty = {"log": [], "consents": [], "disclosures": [], "client": None}
		if proofs:
			empty["verifiable"] = packs.pack([], reveal="all")
		return empty
	audit.seal()
	conditions = [
		"(client_doctype, client_name) IN ({})".format(", ".join(["(%s, %s)"] * len(people))),
		"outcome IN ('Allowed', 'Monitored')",
		"channel NOT IN ('Client Consent', 'Disclosure', 'Confidentiality Agreement', 'Ombudsman', 'Client Page')",
	]
	values: list = [v for p in people for v in p]
	users = respondent_users(doc)
	if users:
		conditions.append("`user` IN ({})".format(", ".join(["%s"] * len(users))))
		values += users
	if doc.incident_from:
		conditions.append("`timestamp` >= %s")
		values.append(f"{doc.incident_from} 00:00:00")
	if doc.incident_to:
		conditions.append("`timestamp` <= %s")
		values.append(f"{doc.incident_to} 23:59:59")
	log = audit.connection().sql(
		f"""SELECT name, sequence, `timestamp`, `user`, action, channel, decision, outcome,
			reference_doctype, reference_name, client_doctype, client_name, recipient, reason, basis
		FROM `tab{audit.LOG_DOCTYPE}` WHERE {" AND ".join(conditions)} ORDER BY sequence ASC""",
		tuple(values),
		as_dict=True,
	)
	party_filter = {"party": ["in", [p[1] for p in people]]}
	consent_rows = [
		c
		for c in frappe.get_all(
			"Client Consent",
			{**party_filter, "docstatus": ["in", [1, 2]]},
			["name", "party_type", "party", "status", "valid_from", "valid_until", "withdrawn_on"],
		)
		if (c.party_type, c.party) in people
	]
	disclosure_rows = [
		r
		for r in frappe.get_all(
			"Disclosure Request",
			{**party_filter, "docstatus": ["in", [1, 2]]},
			[
				"name",
				"party_type",
				"party",
				"ground",
				"status",
				"recipient_name",
				"approved_on",
				"completed_on",
			],
		)
		if (r.party_type, r.party) in people
	]
	result = {
		"client": [doc.client_type, doc.client],
		"log": log,
		"consents": consent_rows,
		"disclosures": disclosure_rows,
	}
	if proofs:
		names = [row.name for row in log]
		rows = packs.rows(f"name IN ({', '.join(['%s'] * len(names))})", tuple(names)) if names else []
		result["verifiable"] = packs.pack(rows, reveal="all")
	return result
