"""After a consent is withdrawn: who received information under it, and a notice to them
that the consent was withdrawn (the Code: the client's agreement ends; what was given under
it must not be used further).

The recipients are read from the Confidentiality Log (every release allowed by the consent
names it as basis) and from the disclosures on written consent that rested on it. The notice
names no client and carries no client information: it gives the date and our reference of
what was sent, so it releases nothing new (the email gate decides it like any mail). Each
notice is logged."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision.permissions import can_act_for_office
from confidentiality_app.log import audit
from confidentiality_app.rules import policy


def _consent(consent):
	doc = frappe.get_doc("Client Consent", consent)
	doc.check_permission("read")
	if not can_act_for_office():
		frappe.throw(_("Only the Confidentiality Office sends withdrawal notices."), frappe.PermissionError)
	if doc.docstatus != 2:
		frappe.throw(_("Consent {0} is not withdrawn.").format(consent))
	return doc


@frappe.whitelist()
def consent_recipients(consent) -> list[dict]:
	"""Every outside recipient who received information under the consent (from the log and
	the disclosures that rested on it): address, channel, first and last time, references."""
	doc = _consent(consent)
	audit.seal()
	# the log's own connection: it reads what is sealed now, not this transaction's snapshot
	log = audit.connection()
	found: dict[str, dict] = {}
	rows = log.sql(
		f"""SELECT recipient, channel, `timestamp`, name FROM `tab{audit.LOG_DOCTYPE}`
		WHERE decision = 'Allow' AND outcome = 'Allowed' AND recipient != '' AND recipient IS NOT NULL
			AND (basis = %s OR basis LIKE %s OR basis LIKE %s)
		ORDER BY `timestamp` ASC""",
		(doc.name, f"{doc.name},%", f"%, {doc.name}%"),
		as_dict=True,
	)
	for grounded in frappe.get_all(
		"Disclosure Request", {"client_consent": doc.name, "docstatus": ["in", [1, 2]]}, pluck="name"
	):
		rows += log.sql(
			f"""SELECT recipient, channel, `timestamp`, name FROM `tab{audit.LOG_DOCTYPE}`
			WHERE decision = 'Allow' AND outcome = 'Allowed' AND recipient != '' AND recipient IS NOT NULL
				AND basis = %s ORDER BY `timestamp` ASC""",
			(grounded,),
			as_dict=True,
		)
	for row in rows:
		address = policy.normalise(row.recipient)
		if not address or address == policy.EVERYONE:
			continue
		entry = found.setdefault(
			address,
			{
				"recipient": address,
				"channels": [],
				"first": row.timestamp,
				"last": row.timestamp,
				"entries": [],
			},
		)
		if row.channel not in entry["channels"]:
			entry["channels"].append(row.channel)
		entry["first"] = min(entry["first"], row.timestamp)
		entry["last"] = max(entry["last"], row.timestamp)
		entry["entries"].append(row.name)
	return sorted(found.values(), key=lambda e: e["first"])


@frappe.whitelist(methods=["POST"])
def send_withdrawal_notice(consent, recipients=None) -> list[str]:
	"""Tell recipients (default: every one `consent_recipients` lists) that the consent under
	which they received information was withdrawn. Returns the addresses told."""
	from confidentiality_app.api.consent import _as_list

	doc = _consent(consent)
	known = {r["recipient"]: r for r in consent_recipients(consent)}
	wanted = [policy.normalise(r) for r in _as_list(recipients)] or list(known)
	told = []
	for key in wanted:
		sent = known.get(key)
		if sent is None:
			frappe.throw(
				_("{0} received nothing under consent {1}: no notice is sent to them.").format(key, doc.name)
			)
		address = key if "@" in key else (frappe.db.get_value("User", key, "email") or key)
		references = ", ".join(str(e) for e in sent["entries"][:20])
		frappe.sendmail(
			recipients=[address],
			subject=_("Consent withdrawn: please make no further use of what we sent you"),
			message=_(
				"<p>Information we sent you between {0} and {1} (our log references {2}) was released under a client's consent that has now been withdrawn.</p><p>Please make no further use of it and delete it, unless the law requires you to keep it. Quote the references above if you have a question.</p>"
			).format(
				frappe.utils.format_datetime(sent["first"]),
				frappe.utils.format_datetime(sent["last"]),
				references,
			),
			now=False,
		)
		audit.append_on_commit(
			audit.Entry(
				action="Withdrawal Notice",
				channel="Client Consent",
				decision="Allow",
				outcome="Recorded",
				reference_doctype="Client Consent",
				reference_name=doc.name,
				client_doctype=doc.party_type,
				client_name=doc.party,
				recipient=address,
				reason=_("{0} was told that consent {1} was withdrawn (entries {2}).").format(
					address, doc.name, references
				),
				basis=doc.name,
			)
		)
		told.append(address)
	return told
