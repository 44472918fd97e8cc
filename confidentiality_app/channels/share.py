"""Sharing: DocShare through the share dialog or API, `everyone` shares, shares created
by Assign To, Frappe CRM's agent auto-share, and any edit of an existing share.

`DocShare.validate` always calls `run_method("validate_share", docshare)` on the shared
document, even with ignore_share_permission, so one `doc_events["*"]["validate_share"]`
hook decides every path that creates or changes a share. A share whose target
(`share_doctype`, `share_name`) or holder (`user`, `everyone`) changes is a new share and is
decided again; more rights on the same share are decided too.

Paths that skip `validate` are caught on the DocShare doctype itself (`backstop`):
`flags.ignore_validate` (before_validate still runs), `db_set` (before_change), and any
other save (on_change, before the transaction commits). Raw SQL and `db_insert` run no
hook at all: `sweep` (daily) re-decides every share of a protected record and revokes
those no decision allows.

Existing shares re-grant access (egress reference, fact 1): when what a decision rested on
changes (consent withdrawn or expired, the record's client or identity edited, a merge,
the recipient losing the roles that let them read it), `recheck` re-decides the shares
involved and removes the ones no longer allowed, each removal logged.

A share to a user who can already read the record through their own roles releases
nothing new: it is allowed and logged as such ("no new access").
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import gate
from confidentiality_app.decision.permissions import can_read_without_share
from confidentiality_app.log import audit
from confidentiality_app.rules import policy

PURPOSE = "Share"
SHARE_FIELDS = ["name", "share_doctype", "share_name", "user", "everyone"]
_RIGHTS = ("read", "write", "share", "submit")
_CHECKED = "confidentiality_checked"


def _recipient(docshare) -> tuple[frozenset[str], str]:
	if docshare.everyone:
		return frozenset({policy.EVERYONE}), policy.EVERYONE
	user = docshare.user
	email = frappe.db.get_value("User", user, "email") if user else None
	return policy.recipient_ids(user, email), user


def _has_access(doc, docshare, ids: frozenset[str]) -> frozenset[str]:
	"""The recipient's identifiers when they can read `doc` through their own roles."""
	if docshare.everyone or not docshare.user or doc is None:
		return frozenset()
	return ids if can_read_without_share(doc, docshare.user) else frozenset()


def _channel(docshare) -> str:
	if docshare.flags.get("confidentiality_channel"):
		return docshare.flags.confidentiality_channel
	if getattr(frappe.local, "request", None) is not None:
		cmd = (frappe.form_dict or {}).get("cmd") or frappe.local.request.path
		if "assign_to" in (cmd or ""):
			return "Assign To"
	return "DocShare"


def signature(docshare) -> tuple:
	"""What a share is: its target, its holder and its rights."""
	return (
		docshare.share_doctype,
		docshare.share_name,
		docshare.user if not docshare.everyone else None,
		int(docshare.everyone or 0),
		*(int(docshare.get(r) or 0) for r in _RIGHTS),
	)


def _widens(docshare) -> bool:
	"""A new share, an existing one moved to another record or holder, or one given more
	rights. Re-saving an unchanged share (Frappe re-saves a user's share with themself on
	every User save) releases nothing new and is neither decided nor logged again."""
	if docshare.is_new():
		return True
	before = frappe.db.get_value(
		"DocShare", docshare.name, ["share_doctype", "share_name", "user", "everyone", *_RIGHTS], as_dict=True
	)
	if not before:
		return True
	if (before.share_doctype, before.share_name) != (docshare.share_doctype, docshare.share_name):
		return True
	if before.user != docshare.user or int(before.everyone or 0) != int(docshare.everyone or 0):
		return True
	return any(int(docshare.get(r) or 0) > int(before.get(r) or 0) for r in _RIGHTS)


def _decide(doc, docshare, channel: str | None = None):
	ids, label = _recipient(docshare)
	gate.enforce(
		docshare.share_doctype,
		docshare.share_name,
		PURPOSE,
		channel=channel or _channel(docshare),
		action=PURPOSE,
		recipients=(ids,),
		recipient_label=label,
		doc=doc,
		has_access=_has_access(doc, docshare, ids),
		with_action=True,
	)


def validate_share(doc, method=None, docshare=None):
	"""doc_events["*"]["validate_share"]: refuse a share of a protected record without consent."""
	if docshare is None:
		return
	if gate.is_protected(doc.doctype) and _widens(docshare):
		_decide(doc, docshare)
	docshare.flags[_CHECKED] = signature(docshare)


def backstop(docshare, method=None):
	"""doc_events["DocShare"] before_validate / before_change / on_change: decide a share
	that reached the database without `validate` (flags.ignore_validate, db_set, ...)."""
	if method == "before_validate" and not docshare.flags.ignore_validate:
		return  # DocShare.validate runs validate_share
	if docshare.flags.in_delete:
		return  # removing a share releases nothing
	current = signature(docshare)
	if docshare.flags.get(_CHECKED) == current:
		return
	if not docshare.share_doctype or not gate.is_protected(docshare.share_doctype):
		docshare.flags[_CHECKED] = current
		return
	# on_change runs after the write: the database already holds the new state
	if method == "on_change" or _widens(docshare):
		doc = None
		if docshare.share_name and frappe.db.exists(docshare.share_doctype, docshare.share_name):
			doc = frappe.get_doc(docshare.share_doctype, docshare.share_name)
		_decide(doc, docshare, channel=_("DocShare (validation skipped)"))
	docshare.flags[_CHECKED] = current


# --------------------------------------------------------------------------- re-decisions


def shares_of_records(records: dict[str, set[str] | None]) -> list[dict]:
	"""The DocShares of {doctype: {names}} (None: every record of that doctype)."""
	shares: list[dict] = []
	for doctype, names in records.items():
		if names == set():
			continue
		filters = {"share_doctype": doctype}
		if names is not None:
			filters["share_name"] = ["in", sorted(names)]
		shares += frappe.get_all("DocShare", filters=filters, fields=SHARE_FIELDS)
	return shares


def shares_of_protected(user: str | None = None) -> list[dict]:
	"""Every share of a protected record (held by `user` when given)."""
	from confidentiality_app.decision import clients

	if not gate.active():
		return []
	protected = list(clients.protected_rules())
	if not protected:
		return []
	filters = {"share_doctype": ["in", protected]}
	if user:
		filters["user"] = user
	return frappe.get_all("DocShare", filters=filters, fields=SHARE_FIELDS)


def recheck(shares: list[dict], reason: str, channel: str = "Share Revocation") -> list[str]:
	"""Re-decide existing shares; remove (Enforce) or report (Monitor) those no decision
	allows now, each logged when the transaction commits. Decisions bypass the consent
	cache (the change that triggered this may not have reached it). Returns the removed
	DocShares."""
	removed = []
	for share in shares:
		share = frappe._dict(share)
		ids, label = _recipient(share)
		if frappe.db.exists(share.share_doctype, share.share_name):
			doc = frappe.get_doc(share.share_doctype, share.share_name)
			verdict = gate.check(
				share.share_doctype,
				share.share_name,
				PURPOSE,
				channel=channel,
				action="Keep Share",
				recipients=(ids,),
				recipient_label=label,
				doc=doc,
				use_cache=False,
				log=False,
				has_access=_has_access(doc, share, ids),
			)
			if verdict.decision.allowed:
				continue
			decision, mode, message = verdict.decision, verdict.outcome.mode, verdict.message
		else:
			# left behind by a raw delete: it would give access to whatever record takes
			# that name next (a new Customer of the same name)
			decision, mode = policy.Decision(False, "record_missing"), gate.mode()
			message = _(
				"{0} {1} no longer exists; the share would give access to any record that takes its name."
			).format(_(share.share_doctype), share.share_name)
		outcome = "Monitored" if mode == policy.MONITOR else "Revoked"
		if outcome == "Revoked":
			if decision.code == "record_missing":
				# DocShare.on_trash comments on the shared record, which is gone
				frappe.db.delete("DocShare", {"name": share.name})
			else:
				frappe.delete_doc(
					"DocShare", share.name, ignore_permissions=True, flags={"ignore_share_permission": True}
				)
			removed.append(share.name)
		client = decision.client if decision.code != policy.UNKNOWN_CLIENT else None
		client = client or (None, None)
		audit.append_on_commit(
			audit.Entry(
				action="Revoke Share",
				channel=channel,
				decision="Deny",
				outcome=outcome,
				mode=mode,
				reference_doctype=share.share_doctype,
				reference_name=share.share_name,
				client_doctype=client[0],
				client_name=client[1],
				recipient=label,
				reason=f"{reason} {message}".strip(),
				basis=decision.detail or decision.code,
			)
		)
	return removed


def revoke_unconsented_shares(reason: str, parties: list[tuple[str, str]] | None = None) -> list[str]:
	"""Remove every share (and public link) of a protected record that its clients'
	consents no longer allow.

	Called when consent is withdrawn, expires or is superseded, or a client's identity
	changes. With `parties` (the clients whose consents or identity changed) only the
	records those clients' consents cover are checked; without, every protected record.
	Returns the removed DocShares."""
	from confidentiality_app.channels import share_key
	from confidentiality_app.decision import clients

	if parties is None:
		shares = shares_of_protected()
		records = None
	else:
		records = clients.covered_records(parties)
		shares = shares_of_records(records)
	removed = recheck(shares, reason)
	share_key.recheck(records, reason)
	return removed


def recheck_records(records: dict[str, set[str] | None], reason: str, channel: str) -> list[str]:
	"""Re-decide the shares and public links of the given records."""
	from confidentiality_app.channels import share_key

	removed = recheck(shares_of_records(records), reason, channel=channel)
	share_key.recheck(records, reason, channel=channel)
	return removed


def sweep() -> list[str]:
	"""Scheduled: re-decide every share of a protected record. Catches shares written by
	raw SQL or `db_insert` (no hook runs for those) and access that lapsed without an
	event (a role permission removed in bulk)."""
	return recheck(
		shares_of_protected(),
		_("Periodic check of every share of a protected record."),
		channel="Share Sweep",
	)


# --------------------------------------------------------------------------- recipients' access


def user_access_changed(user_doc, method=None):
	"""doc_events["User"]["on_update"]: a user who lost roles (or was disabled) may have held
	shares allowed because they could read the records anyway ("no new access")."""
	before = user_doc.get_doc_before_save()
	if before is None:
		return
	roles_before = {r.role for r in before.get("roles") or []}
	roles_after = {r.role for r in user_doc.get("roles") or []}
	lost = roles_before - roles_after
	if not lost and before.enabled == user_doc.enabled and before.user_type == user_doc.user_type:
		return
	frappe.clear_cache(user=user_doc.name)
	frappe.local.role_permissions = {}
	recheck(
		shares_of_protected(user_doc.name),
		_("User {0} lost roles or access ({1}).").format(user_doc.name, ", ".join(sorted(lost)) or "-"),
		channel="Share Revocation",
	)


def user_permission_changed(doc, method=None):
	"""doc_events["User Permission"]: a new restriction can take away role-based access."""
	frappe.local.role_permissions = {}
	recheck(
		shares_of_protected(doc.user),
		_("User Permissions of {0} changed.").format(doc.user),
		channel="Share Revocation",
	)


def role_changed(doc, method=None):
	"""doc_events["Role"]["on_update"]: disabling a role deletes it from every user with raw
	SQL (no User hook runs); re-decide every share of a protected record."""
	before = doc.get_doc_before_save()
	if not doc.disabled or (before is not None and before.disabled):
		return
	frappe.local.role_permissions = {}
	frappe.clear_cache()
	recheck(
		shares_of_protected(),
		_("Role {0} was disabled.").format(doc.name),
		channel="Share Revocation",
	)


def role_permissions_changed(doc, method=None):
	"""doc_events["Custom DocPerm"] / ["DocPerm"]: a role's read access to a protected
	doctype changed; shares of that doctype allowed as "no new access" are re-decided."""

	doctype = doc.parent
	if not gate.is_protected(doctype):
		return
	frappe.local.role_permissions = {}
	frappe.clear_cache(doctype=doctype)
	recheck(
		shares_of_records({doctype: None}),
		_("Role permissions of {0} changed.").format(doctype),
		channel="Share Revocation",
	)
