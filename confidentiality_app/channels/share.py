"""Sharing: DocShare through the share dialog or API, `everyone` shares, shares created
by Assign To, Frappe CRM's agent auto-share.

`DocShare.validate` always calls `run_method("validate_share", docshare)` on the shared
document, even with ignore_share_permission, so one `doc_events["*"]["validate_share"]`
hook covers every path that creates or widens a share. Existing shares re-grant access
(egress reference, fact 1): when consent ends, `revoke_unconsented_shares` removes them.
"""

from __future__ import annotations

import frappe

from confidentiality_app import audit, gate, policy

PURPOSE = "Share"


def _recipient(docshare) -> tuple[frozenset[str], str]:
	if docshare.everyone:
		return frozenset({policy.EVERYONE}), policy.EVERYONE
	user = docshare.user
	email = frappe.db.get_value("User", user, "email") if user else None
	return policy.recipient_ids(user, email), user


def _channel(docshare) -> str:
	if docshare.flags.get("confidentiality_channel"):
		return docshare.flags.confidentiality_channel
	if getattr(frappe.local, "request", None) is not None:
		cmd = (frappe.form_dict or {}).get("cmd") or frappe.local.request.path
		if "assign_to" in (cmd or ""):
			return "Assign To"
	return "DocShare"


_RIGHTS = ("read", "write", "share", "submit")


def _widens(docshare) -> bool:
	"""A new share, or an existing one given more rights or another recipient. Re-saving
	an unchanged share (Frappe re-saves a user's share with themself on every User save)
	releases nothing new and is neither decided nor logged again."""
	if docshare.is_new():
		return True
	before = frappe.db.get_value("DocShare", docshare.name, ["user", "everyone", *_RIGHTS], as_dict=True)
	if not before:
		return True
	if before.user != docshare.user or int(before.everyone or 0) != int(docshare.everyone or 0):
		return True
	return any(int(docshare.get(r) or 0) > int(before.get(r) or 0) for r in _RIGHTS)


def validate_share(doc, method=None, docshare=None):
	"""doc_events["*"]["validate_share"]: refuse a share of a protected record without consent."""
	if docshare is None or not gate.is_protected(doc.doctype) or not _widens(docshare):
		return
	ids, label = _recipient(docshare)
	gate.enforce(
		doc.doctype,
		doc.name,
		PURPOSE,
		channel=_channel(docshare),
		action=PURPOSE,
		recipients=(ids,),
		recipient_label=label,
		doc=doc,
	)


def revoke_unconsented_shares(reason: str, parties: list[tuple[str, str]] | None = None) -> list[str]:
	"""Remove every share of a protected record that its clients' consents no longer allow.

	Called when consent is withdrawn, expires or is superseded. With `parties` (the clients
	whose consents changed) only shares of the records those consents covered are checked;
	without, every share of a protected doctype. Decisions bypass the cache (the change
	that triggered this may not have reached it). Returns the removed DocShares.
	"""
	from confidentiality_app import clients

	protected = list(clients.protected_rules())
	if not protected:
		return []
	if parties is None:
		candidates = frappe.get_all(
			"DocShare",
			filters={"share_doctype": ["in", protected]},
			fields=["name", "share_doctype", "share_name", "user", "everyone"],
		)
	else:
		candidates = []
		for doctype, names in clients.covered_records(parties).items():
			if names == set():
				continue
			filters = {"share_doctype": doctype}
			if names is not None:  # None: the rule is broken, re-check every share of it
				filters["share_name"] = ["in", sorted(names)]
			candidates += frappe.get_all(
				"DocShare",
				filters=filters,
				fields=["name", "share_doctype", "share_name", "user", "everyone"],
			)
	removed = []
	for share in candidates:
		ids, label = _recipient(frappe._dict(share))
		verdict = gate.check(
			share.share_doctype,
			share.share_name,
			PURPOSE,
			channel="Share Revocation",
			action="Keep Share",
			recipients=(ids,),
			recipient_label=label,
			use_cache=False,
			log=False,
		)
		if verdict.decision.allowed:
			continue
		outcome = "Monitored" if verdict.outcome.mode == policy.MONITOR else "Revoked"
		if outcome == "Revoked":
			frappe.delete_doc(
				"DocShare", share.name, ignore_permissions=True, flags={"ignore_share_permission": True}
			)
			removed.append(share.name)
		audit.append_on_commit(
			audit.Entry(
				action="Revoke Share",
				channel="Share Revocation",
				decision="Deny",
				outcome=outcome,
				mode=verdict.outcome.mode,
				reference_doctype=share.share_doctype,
				reference_name=share.share_name,
				client_doctype=(verdict.decision.client or (None, None))[0],
				client_name=(verdict.decision.client or (None, None))[1],
				recipient=label,
				reason=f"{reason} {verdict.message}".strip(),
				basis=verdict.decision.detail or verdict.decision.code,
			)
		)
	return removed
