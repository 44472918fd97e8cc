# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Settings: the mode, what is protected and who acts for the office.

Changing them changes what the gate enforces, so (lifecycle rules only):
* only a Confidentiality Officer may change them (System Manager alone is not enough);
* a configuration that protects nothing is refused;
* every change is written to the Confidentiality Log with who, what and before/after
  (and kept as a Version, the doctype tracks changes).
The app's own install, migrate and app-uninstall steps pass `flags.system_change`.
"""

import frappe
from frappe import _
from frappe.model.document import Document

from confidentiality_app.decision import clients
from confidentiality_app.decision.permissions import OFFICER
from confidentiality_app.log import audit


class SettingsChangeRefused(frappe.PermissionError):
	pass


def _rows(doc) -> dict[tuple[str, str], dict]:
	return {
		(row.document_type, (row.client_field or "").strip()): {
			"enabled": int(row.enabled or 0),
			"client_optional": int(row.client_optional or 0),
		}
		for row in doc.get("protected_doctypes") or []
	}


def _members(doc) -> set[str]:
	return {row.user for row in doc.get("office_members") or [] if row.user}


class ConfidentialitySettings(Document):
	def validate(self):
		self.validate_who()
		seen = set()
		for row in self.protected_doctypes:
			key = (row.document_type, (row.client_field or "").strip())
			if key in seen:
				frappe.throw(_("Row {0}: {1} is listed twice.").format(row.idx, row.document_type))
			seen.add(key)
			try:
				clients.validate_rule(row.document_type, key[1])
			except clients.ConfigurationError as e:
				frappe.throw(_("Row {0}: {1}").format(row.idx, e))
		if not any(row.enabled for row in self.protected_doctypes) and not self.flags.system_change:
			frappe.throw(
				_(
					"At least one protected doctype must stay enabled: with none, no client record is protected and nothing is logged. To stop enforcing, uninstall the app."
				),
				title=_("Nothing Would Be Protected"),
			)

	def validate_who(self):
		if self.flags.system_change or frappe.flags.in_install or frappe.flags.in_migrate:
			return
		if OFFICER not in frappe.get_roles():
			message = _("Only a Confidentiality Officer may change the Confidentiality Settings.")
			audit.append(
				audit.Entry(
					action="Change Settings",
					channel="Confidentiality Settings",
					decision="Deny",
					outcome="Blocked",
					mode=self.mode,
					reference_doctype=self.doctype,
					reference_name=self.name,
					reason=message + " " + "; ".join(self.changes()),
				)
			)
			frappe.throw(message, SettingsChangeRefused)

	def changes(self) -> list[str]:
		"""What this save changes, one sentence per change, before -> after."""
		before = self.get_doc_before_save()
		if before is None:
			return []
		out = []
		if before.mode != self.mode:
			out.append(_("Mode: {0} -> {1}").format(before.mode, self.mode))
		if int(before.alert_on_log_failure or 0) != int(self.alert_on_log_failure or 0):
			out.append(
				_("Alert on log failure: {0} -> {1}").format(
					before.alert_on_log_failure, self.alert_on_log_failure
				)
			)
		for fieldname, label in (("anchor_file", _("Anchor file")), ("witness_url", _("Witness URL"))):
			if (before.get(fieldname) or "") != (self.get(fieldname) or ""):
				out.append(
					_("{0}: {1} -> {2}").format(
						label, before.get(fieldname) or "-", self.get(fieldname) or "-"
					)
				)
		rows_before, rows_after = _rows(before), _rows(self)
		for key in sorted(set(rows_before) | set(rows_after)):
			label = f"{key[0]}" + (f".{key[1]}" if key[1] else "")
			if key not in rows_after:
				out.append(_("Protected doctype {0} removed").format(label))
			elif key not in rows_before:
				out.append(
					_("Protected doctype {0} added ({1})").format(
						label, _("enabled") if rows_after[key]["enabled"] else _("disabled")
					)
				)
			else:
				if rows_before[key]["enabled"] != rows_after[key]["enabled"]:
					out.append(
						_("Protected doctype {0}: {1}").format(
							label, _("enabled") if rows_after[key]["enabled"] else _("disabled")
						)
					)
				if rows_before[key]["client_optional"] != rows_after[key]["client_optional"]:
					out.append(
						_("Protected doctype {0}: client optional {1} -> {2}").format(
							label, rows_before[key]["client_optional"], rows_after[key]["client_optional"]
						)
					)
		members_before, members_after = _members(before), _members(self)
		for user in sorted(members_after - members_before):
			out.append(_("Office member added: {0}").format(user))
		for user in sorted(members_before - members_after):
			out.append(_("Office member removed: {0}").format(user))
		return out

	def on_update(self):
		from confidentiality_app.decision import epoch

		epoch.bump()  # what is protected, and how, may have changed
		changes = self.changes()
		if not changes:
			return
		before = self.get_doc_before_save()
		action = "Change Mode" if before is not None and before.mode != self.mode else "Change Settings"
		audit.append_on_commit(
			audit.Entry(
				action=action,
				channel="Confidentiality Settings",
				outcome="Recorded",
				mode=self.mode,
				reference_doctype=self.doctype,
				reference_name=self.name,
				reason="; ".join(changes),
				basis=_("by the app (install, migrate or another app's uninstall)")
				if self.flags.system_change
				else "",
			)
		)
		if before is None or self.flags.system_change:
			return
		# a doctype protected (again) by this change: shares made while it was not are
		# decided now (disable, share, re-enable must not leave an undecided share)
		enabled_before = {k[0] for k, v in _rows(before).items() if v["enabled"]}
		added = {k[0] for k, v in _rows(self).items() if v["enabled"]} - enabled_before
		if added:
			from confidentiality_app.channels.share import recheck_records

			frappe.clear_document_cache(self.doctype, self.name)
			recheck_records(
				{doctype: None for doctype in added},
				_("{0} became protected.").format(", ".join(sorted(added))),
				channel="Share Revocation",
			)
