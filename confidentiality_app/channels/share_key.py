"""Public view links: a Document Share Key lets anyone holding the link open the record's
print view and PDF as Guest (`Document.get_document_share_key`; System Settings
`attach_view_link` puts one in every mail sent from a record). That is a share with
everyone, decided as one when the key is made (or pointed at another record), and again
each time the link is used, since consent may have ended since.

With System Settings `allow_older_web_view_links`, Frappe also accepts the predictable
old-style key `sha224("doctype:name")`, which anyone can compute: it is refused for
protected records, whatever the consent.
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import gate
from confidentiality_app.log import audit
from confidentiality_app.rules import policy

PURPOSE = "Share"
ACTION = "Public Link"
ANYONE = policy.EVERYONE
_CHECKED = "confidentiality_checked"


def _signature(key_doc) -> tuple:
	return (key_doc.reference_doctype, key_doc.reference_docname)


def _decide(
	doctype: str,
	name: str,
	channel: str,
	action: str = ACTION,
	use_cache: bool = True,
	log: bool = True,
	with_action: bool = False,
):
	doc = frappe.get_doc(doctype, name) if frappe.db.exists(doctype, name) else None
	return gate.check(
		doctype,
		name,
		PURPOSE,
		channel=channel,
		action=action,
		recipients=(frozenset({ANYONE}),),
		recipient_label=_("anyone with the link"),
		doc=doc,
		use_cache=use_cache,
		log=log,
		with_action=with_action,
	)


def decide_key(key_doc, method=None):
	"""doc_events["Document Share Key"] before_insert / validate / before_validate /
	before_change / on_change: a public link to a protected record needs the client's
	consent to share with everyone."""
	if method == "before_validate" and not key_doc.flags.ignore_validate:
		return
	if key_doc.flags.in_delete:
		return
	current = _signature(key_doc)
	if key_doc.flags.get(_CHECKED) == current:
		return
	doctype, name = current
	if doctype and gate.is_protected(doctype):
		before = None if key_doc.is_new() else key_doc.get_doc_before_save()
		if method == "on_change" or before is None or _signature(before) != current:
			verdict = _decide(doctype, name, channel="Document Share Key", with_action=True)
			if not verdict.proceed:
				frappe.throw(
					verdict.message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules")
				)
	key_doc.flags[_CHECKED] = current


def check_link_view(doc, method=None, print_settings=None):
	"""doc_events["*"]["before_print"]: a render opened with `?key=` by someone who cannot
	read the record otherwise is a use of a public link. Refuse old-style (predictable)
	keys for protected records; re-decide valid keys now."""
	key = (frappe.form_dict or {}).get("key")
	if not key or not isinstance(key, str) or not gate.is_protected(doc.doctype):
		return
	if frappe.flags.ignore_print_permissions:
		return  # attach_print and other internal renders: not a link being opened
	for ptype in ("read", "print"):
		if frappe.has_permission(doc.doctype, ptype, doc) or frappe.has_website_permission(doc):
			return
	valid = frappe.db.exists(
		"Document Share Key", {"reference_doctype": doc.doctype, "reference_docname": doc.name, "key": key}
	)
	if valid:
		verdict = _decide(doc.doctype, doc.name, channel="Public Link", action="Open Public Link")
		if not verdict.proceed:
			frappe.throw(
				verdict.message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules")
			)
		return
	decision = policy.Decision(False, "predictable_key")
	outcome = policy.apply_mode(decision, gate.mode())
	message = _(
		"Opening {0} {1} with this link is refused: it is an old-style link whose key anyone can compute, and the record is protected. Ask for a new link."
	).format(_(doc.doctype), doc.name)
	try:
		audit.append(
			audit.Entry(
				action="Open Public Link",
				channel="Public Link",
				decision="Deny",
				outcome=outcome.outcome,
				mode=outcome.mode,
				reference_doctype=doc.doctype,
				reference_name=doc.name,
				recipient=_("anyone with the link"),
				reason=message,
				basis="predictable_key",
			)
		)
	except audit.LogUnavailable:
		outcome = policy.Outcome(False, "Blocked", outcome.mode)
	if not outcome.proceed:
		frappe.throw(message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules"))


def recheck(
	records: dict[str, set[str] | None] | None, reason: str, channel: str = "Share Revocation"
) -> list[str]:
	"""Delete the public links of protected records that no decision allows now (logged).
	`records`: {doctype: {names} or None for all}; None: every protected doctype."""
	from confidentiality_app.decision import clients

	protected = clients.protected_rules()
	if records is None:
		records = {doctype: None for doctype in protected}
	removed = []
	for doctype, names in records.items():
		if names == set() or doctype not in protected:
			continue
		filters = {"reference_doctype": doctype}
		if names is not None:
			filters["reference_docname"] = ["in", sorted(names)]
		for key in frappe.get_all(
			"Document Share Key", filters=filters, fields=["name", "reference_docname"]
		):
			verdict = _decide(doctype, key.reference_docname, channel=channel, use_cache=False, log=False)
			if verdict.decision.allowed:
				continue
			outcome = "Monitored" if verdict.outcome.mode == policy.MONITOR else "Revoked"
			if outcome == "Revoked":
				frappe.delete_doc("Document Share Key", key.name, ignore_permissions=True, force=True)
				removed.append(key.name)
			client = verdict.decision.client or (None, None)
			audit.append_on_commit(
				audit.Entry(
					action="Revoke Public Link",
					channel=channel,
					decision="Deny",
					outcome=outcome,
					mode=verdict.outcome.mode,
					reference_doctype=doctype,
					reference_name=key.reference_docname,
					client_doctype=client[0] if verdict.decision.code != policy.UNKNOWN_CLIENT else None,
					client_name=client[1] if verdict.decision.code != policy.UNKNOWN_CLIENT else None,
					recipient=_("anyone with the link"),
					reason=f"{reason} {verdict.message}".strip(),
					basis=verdict.decision.detail or verdict.decision.code,
				)
			)
	return removed
