"""Who a record is about must not move under a decision.

Consent follows the person (`clients.identity`): through conversions (Customer.lead_name,
CRM Deal.lead), a Contact's links to the parties it belongs to, the client fields of
documents (Quotation.party_name, Address.links ...), and "the client themself" is
recognised by the addresses on the client's records. All of these are editable, and
Frappe's rename and merge rewrite them with raw SQL. This module keeps them honest:

* **Edits** (doc_events "*" validate / on_update): changing what identifies a protected
  record's client is an *identity change*. One that widens what consents cover the record
  (a client replaced or dropped, a client's consents growing through a new link, a record
  that named no client now naming a consented one) or that puts on the record an address
  belonging to someone else (another client's, or a user's) is refused unless the user
  acts for the Confidentiality office; refusals are logged. Every identity change, by
  anyone, is logged with before and after, and re-decides the existing shares and public
  links of the records it affects (revoking what is no longer allowed, logged).
* **Renames** (doc_events "*" before_rename / after_rename): a record a submitted or
  withdrawn consent points to (its purposes, consent form, named recipient users,
  evidence) cannot be renamed: that would change what the consent covers. A client record
  may be renamed (its consents follow it: it is the same person); the rename is logged and
  the consent cache of both names forgotten.
* **Merges**: merging two client records when either person has any consent is refused:
  it would make one person's written consent cover another's records, or move a consent's
  evidence to someone else. Other merges of protected records go ahead and the shares
  that moved onto the surviving record are re-decided.
"""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.decision import clients, consents, gate
from confidentiality_app.decision.permissions import can_act_for_office
from confidentiality_app.log import audit

CHANNEL = "Identity"
_GUARDED = "confidentiality_identity_checked"


class IdentityChangeRefused(frappe.PermissionError):
	pass


# --------------------------------------------------------------------------- snapshots


def snapshot(doc) -> dict:
	"""What identifies the client(s) of a protected record, from an in-memory document."""
	rules = clients.protected_rules().get(doc.doctype) or []
	snap: dict = {}
	for field in rules:
		if field:
			try:
				snap[f"client:{field}"] = sorted(
					(p[0] or "", p[1] or "") for p in clients._parties_in_field(doc, field)
				)
			except clients.ConfigurationError:
				snap[f"client:{field}"] = None
	for source, field, _target in clients.CONVERSION_LINKS:
		if source == doc.doctype and doc.meta.has_field(field):
			snap[field] = doc.get(field) or ""
	if doc.doctype == "Contact":
		snap["links"] = sorted((r.link_doctype or "", r.link_name or "") for r in doc.get("links") or [])
	if "" in rules:
		snap["addresses"] = sorted(clients.own_addresses([(doc.doctype, doc.name)], doc=doc))
	return snap


def _coverage(doc, use_doc: bool) -> dict[tuple[str, str], set[str]]:
	"""{client: names of the active grants that cover it} for the record as it is in the
	database (use_doc False) or as it is about to be saved (use_doc True)."""
	parties = clients.clients_of(doc.doctype, doc.name, doc=doc if use_doc else None)
	coverage = {}
	for party in parties:
		same_person = clients.identity(party, doc=doc if use_doc else None)
		coverage[party] = {g.name for g in consents.grants_for(same_person, use_cache=False) if g.active}
	return coverage


def widens(before: dict, after: dict) -> str | None:
	"""Why an identity change widens what may be released, or None.

	Releasing a record needs every client it names to be covered; so adding a client only
	adds a condition, while dropping or replacing one, or a client's coverage growing,
	removes one."""
	if not before:
		if any(after.values()):
			return _("the record named no client and would now be covered by {0}").format(
				", ".join(sorted(set().union(*after.values())))
			)
		return None
	for party, grants in before.items():
		if party not in after:
			return _("client {0} {1} would no longer be named by the record").format(_(party[0]), party[1])
		grown = after[party] - grants
		if grown:
			return _("the consents {0} would come to cover client {1} {2}").format(
				", ".join(sorted(grown)), _(party[0]), party[1]
			)
	return None


def foreign_addresses(doc, added: set[str]) -> list[str]:
	"""Of the addresses added to a client record, those that belong to someone else: a
	user of the site who is not this client, or another client's record."""
	if not added:
		return []
	party = (doc.doctype, doc.name)
	same_person = set(clients.identity(party, doc=doc)) | set(clients.covered_by(party))
	foreign = set()
	users = frappe.get_all(
		"User",
		or_filters={"name": ["in", list(added)], "email": ["in", list(added)]},
		fields=["name", "email"],
	)
	for user in users:
		if ("User", user.name) not in same_person:
			foreign.update(a for a in added if a in {(user.name or "").lower(), (user.email or "").lower()})
	for other in clients.records_with_addresses(added):
		if other[0] not in same_person and other[0] != party:
			foreign.add(other[1])
	return sorted(foreign)


# --------------------------------------------------------------------------- edits


def _changed(doc) -> tuple[dict, dict] | None:
	before = doc.get_doc_before_save()
	if before is None or doc.is_new():
		return None
	snap_before, snap_after = snapshot(before), snapshot(doc)
	if snap_before == snap_after:
		return None
	return snap_before, snap_after


def guard_edit(doc, method=None):
	"""doc_events["*"] validate (and before_validate when validation is skipped): refuse an
	identity change that widens coverage, unless made for the office."""
	if method == "before_validate" and not doc.flags.ignore_validate:
		return
	if doc.doctype in clients.IGNORED or not gate.is_protected(doc.doctype):
		return
	change = _changed(doc)
	if change is None:
		return
	doc.flags[_GUARDED] = change[1]
	if can_act_for_office() or frappe.flags.in_install or frappe.flags.in_migrate:
		return
	problems = []
	try:
		why = widens(_coverage(doc, use_doc=False), _coverage(doc, use_doc=True))
	except Exception as e:
		why = _("the change could not be checked ({0})").format(e)
	if why:
		problems.append(why)
	added = set(change[1].get("addresses") or []) - set(change[0].get("addresses") or [])
	foreign = foreign_addresses(doc, added)
	if foreign:
		problems.append(_("{0} belongs to someone else").format(", ".join(foreign)))
	if not problems:
		return
	message = _(
		"Changing who {0} {1} is about is refused: {2}. Only the Confidentiality office (a Confidentiality Officer or an office member) may make this change."
	).format(_(doc.doctype), doc.name, "; ".join(problems))
	_log(doc, change, "Deny", "Blocked", message, at_once=True)
	frappe.throw(message, IdentityChangeRefused, title=_("Refused by confidentiality rules"))


def after_edit(doc, method=None):
	"""doc_events["*"] on_update: log the identity change and re-decide the shares and
	public links of the records it affects."""
	if doc.doctype in clients.IGNORED or not gate.is_protected(doc.doctype):
		return
	change = _changed(doc)
	if change is None:
		return
	if doc.flags.get(_GUARDED) != change[1]:
		guard_edit(doc, "validate")  # a path that skipped validate: decide now
	_log(doc, change, "", "Recorded", _describe(change), at_once=False)
	consents.invalidate((doc.doctype, doc.name))
	records_moved(
		_affected_records(doc),
		_("{0} {1}: who it is about changed.").format(_(doc.doctype), doc.name),
		channel="Identity Change",
	)


def records_moved(records: dict[str, set[str] | None], reason: str, channel: str) -> None:
	"""Who these records are about changed (an identity edit, a merge): every channel
	re-decides what it holds open for them (hooks.py `confidentiality_records_moved`: the
	shares and public links are decided again). The decision point names no channel."""
	for method in frappe.get_hooks("confidentiality_records_moved"):
		frappe.get_attr(method)(records, reason, channel=channel)


def _affected_records(doc) -> dict[str, set[str] | None]:
	records = {doc.doctype: {doc.name}}
	if doc.doctype in clients.client_doctypes():
		for doctype, names in clients.covered_records([(doc.doctype, doc.name)]).items():
			if names is None:
				records[doctype] = None
			elif records.get(doctype, set()) is not None:
				records[doctype] = records.get(doctype, set()) | names
	return records


def _describe(change) -> str:
	before, after = change
	parts = []
	for key in sorted(set(before) | set(after)):
		if before.get(key) != after.get(key):
			parts.append(f"{key}: {_fmt(before.get(key))} -> {_fmt(after.get(key))}")
	return _("Identity changed: {0}").format("; ".join(parts))


def _fmt(value) -> str:
	if isinstance(value, list):
		return "[" + ", ".join(" ".join(v) if isinstance(v, tuple | list) else str(v) for v in value) + "]"
	return str(value) if value not in (None, "") else "-"


def _log(doc, change, decision: str, outcome: str, reason: str, at_once: bool):
	parties = clients.clients_of(doc.doctype, doc.name, doc=doc) or [(None, None)]
	entry = audit.Entry(
		action="Identity Change",
		channel=CHANNEL,
		decision=decision,
		outcome=outcome,
		mode=gate.mode(),
		reference_doctype=doc.doctype,
		reference_name=doc.name,
		client_doctype=parties[0][0],
		client_name=parties[0][1],
		reason=reason,
		basis=_describe(change) if decision else "",
	)
	if at_once:
		audit.append(entry)
	else:
		audit.append_on_commit(entry)


# --------------------------------------------------------------------------- renames and merges


def _consent_links() -> dict[str, list[tuple[str, str]]]:
	"""{target doctype: [(doctype, field)]} of the Link fields of a Client Consent and its
	rows, except the client itself (a client record may be renamed: see before_rename)."""
	targets: dict[str, list[tuple[str, str]]] = {}
	for doctype in ("Client Consent", "Client Consent Purpose", "Consent Recipient"):
		for df in frappe.get_meta(doctype).get_link_fields():
			if df.fieldname == "amended_from":
				continue
			targets.setdefault(df.options, []).append((doctype, df.fieldname))
	return targets


def _consents_pointing_at(doctype: str, name: str) -> list[str]:
	found: set[str] = set()
	for source, field in _consent_links().get(doctype, []):
		if source == "Client Consent":
			found.update(frappe.get_all(source, {field: name, "docstatus": ["in", [1, 2]]}, pluck="name"))
		else:
			parents = frappe.get_all(source, {field: name, "parenttype": "Client Consent"}, pluck="parent")
			if parents:
				found.update(
					frappe.get_all(
						"Client Consent", {"name": ["in", parents], "docstatus": ["in", [1, 2]]}, pluck="name"
					)
				)
	return sorted(found)


def _person_has_consent(party: tuple[str, str]) -> list[str]:
	if not party[1] or not frappe.db.exists(*party):
		return []
	return [g.name for g in consents.grants_for(clients.identity(party), use_cache=False)]


def _refuse_rename(doc, old, new, merge, message):
	audit.append(
		audit.Entry(
			action="Merge" if merge else "Rename",
			channel=CHANNEL,
			decision="Deny",
			outcome="Blocked",
			mode=gate.mode(),
			reference_doctype=doc.doctype,
			reference_name=old,
			reason=message,
			basis=f"{old} -> {new}",
		)
	)
	frappe.throw(message, IdentityChangeRefused, title=_("Refused by confidentiality rules"))


def before_rename(doc, method=None, old=None, new=None, merge=False):
	"""doc_events["*"]["before_rename"]."""
	if not gate.active():
		return
	_check_rename(doc, old or doc.name, new, merge)


def _check_rename(doc, old, new, merge):
	doctype = doc.doctype
	if doctype == "Consent Purpose":
		_refuse_rename(
			doc,
			old,
			new,
			merge,
			_("Consent Purpose {0} cannot be renamed: consents and egress channels name it.").format(old),
		)
	pointing = _consents_pointing_at(doctype, old)
	if pointing:
		_refuse_rename(
			doc,
			old,
			new,
			merge,
			_(
				"{0} {1} cannot be renamed: the consents {2} point to it, and renaming it would change what they cover."
			).format(_(doctype), old, ", ".join(pointing)),
		)
	if merge and doctype in clients.client_doctypes():
		having = sorted(set(_person_has_consent((doctype, old)) + _person_has_consent((doctype, new))))
		if having:
			_refuse_rename(
				doc,
				old,
				new,
				merge,
				_(
					"Merging {0} {1} into {2} is refused: the consents {3} would come to cover another person's records. Merge client records only before consent is recorded."
				).format(_(doctype), old, new, ", ".join(having)),
			)


def keep_evidence(file_doc, method=None):
	"""doc_events["File"]["on_trash"]: the signed document of a submitted or withdrawn
	consent is evidence and stays."""
	if not file_doc.file_url or not gate.active():
		return
	consents_ = frappe.get_all(
		"Client Consent",
		{"evidence_file": file_doc.file_url, "docstatus": ["in", [1, 2]]},
		pluck="name",
	)
	if consents_:
		frappe.throw(
			_("{0} is the written evidence of the consents {1} and cannot be deleted.").format(
				file_doc.file_name or file_doc.file_url, ", ".join(consents_)
			),
			IdentityChangeRefused,
		)


def after_rename(doc, method=None, old=None, new=None, merge=False):
	"""doc_events["*"]["after_rename"]: log renames of protected records, forget cached
	consents of both names, re-decide shares that a merge moved."""
	if not gate.active():
		return
	doctype = doc.doctype
	if not merge and _consents_pointing_at(doctype, new):
		# a path that skipped before_rename (rename_doc(validate=False)): the links are
		# already rewritten; refusing rolls the whole rename back
		_refuse_rename(
			doc,
			old,
			new,
			merge,
			_("{0} {1} cannot be renamed: consents point to it.").format(_(doctype), old),
		)
	if not gate.is_protected(doctype):
		return
	for name in (old, new):
		consents.invalidate((doctype, name))
	audit.append_on_commit(
		audit.Entry(
			action="Merge" if merge else "Rename",
			channel=CHANNEL,
			outcome="Recorded",
			mode=gate.mode(),
			reference_doctype=doctype,
			reference_name=new,
			reason=(_("{0} {1} was merged into {2}.") if merge else _("{0} {1} was renamed to {2}.")).format(
				_(doctype), old, new
			),
			basis=f"{old} -> {new}",
		)
	)
	if merge:
		doc = frappe.get_doc(doctype, new)
		records_moved(
			_affected_records(doc),
			_("{0} {1} was merged into {2}.").format(_(doctype), old, new),
			channel="Merge",
		)
