"""Standing mail rules: a Notification or Auto Email Report on a protected doctype may not mail
fixed outside addresses (or a Slack channel): no consent covers every record."""

from __future__ import annotations

import re

import frappe
from frappe import _

from confidentiality_app.decision import clients, gate
from confidentiality_app.rules import policy


# ---------------------------------------------------------------- standing mail rules
def outside_addresses(addresses) -> list[str]:
	"""The addresses that are not enabled desk users of this site."""
	wanted = [policy.normalise(a) for a in addresses if a and policy.normalise(a)]
	inside = clients.desk_users(wanted)
	return sorted({a for a in wanted if a not in inside})


def _refuse_rule(doc, doctype: str, outside: list[str], what: str):
	"""Refuse (Enforce) or warn (Monitor) about a standing rule that mails a protected
	doctype's records to outside recipients; logged either way."""
	from confidentiality_app.log import audit

	message = _(
		"{0} {1} would send {2} records to {3}. {2} records are about protected clients, and mail about a client to anyone but the client needs that client's written consent for Email naming the recipient, which a standing rule cannot have for every record. Send to the client (a document field holding their address), to users of this site, or remove these recipients."
	).format(_(doc.doctype), doc.name, _(doctype), ", ".join(outside) or what)
	enforce = gate.mode() != policy.MONITOR
	audit.append(
		audit.Entry(
			action="Configure " + doc.doctype,
			channel="Email",
			decision="Deny",
			outcome="Blocked" if enforce else "Monitored",
			mode=gate.mode(),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			recipient=", ".join(outside)[:140] or what,
			reason=message,
			basis=policy.NO_CONSENT,
		)
	)
	if enforce:
		frappe.throw(message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules"))
	frappe.msgprint(message, indicator="orange", title=_("Would be refused in Enforce mode"))


def _syncing() -> bool:
	"""Install, migrate or patch: records synced from apps' code are not refused on save
	(that would break the migration); every mail they cause is still decided when queued
	and when sent."""
	flags = frappe.flags
	return bool(flags.in_install or flags.in_migrate or flags.in_patch or flags.in_setup_wizard)


def validate_notification(doc, method=None):
	"""doc_events["Notification"]["validate"]: a Notification on a protected doctype may mail
	the client (a document field), users of the site (roles, owner, assignees) — never
	fixed outside addresses, nor a Slack channel."""
	if not doc.enabled or not doc.document_type or not gate.is_protected(doc.document_type):
		return
	if _syncing():
		return  # an app's standard rule synced at install or migrate: its mail is still decided
	if doc.channel == "Slack":
		_refuse_rule(doc, doc.document_type, [], _("a Slack channel"))
		return
	if doc.channel != "Email":
		return
	fixed = []
	for row in doc.get("recipients") or []:
		for value in (row.cc, row.bcc):
			fixed += [a.strip() for a in re.split(r"[,;\n]", value or "") if a.strip()]
	outside = outside_addresses(fixed)
	if outside:
		_refuse_rule(doc, doc.document_type, outside, "")


def validate_auto_email_report(doc, method=None):
	"""doc_events["Auto Email Report"]["validate"]: a report on a protected doctype is mailed
	only to users of the site."""
	if not doc.enabled or not doc.report or _syncing():
		return
	ref_doctype = frappe.db.get_value("Report", doc.report, "ref_doctype")
	if not ref_doctype or not gate.is_protected(ref_doctype):
		return
	outside = outside_addresses(re.split(r"[,;\n]", doc.email_to or ""))
	if outside:
		_refuse_rule(doc, ref_doctype, outside, "")
