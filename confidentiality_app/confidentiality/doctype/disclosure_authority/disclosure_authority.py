# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""The register of regulators and government bodies (the Code's grounds 2 and 3: a
disclosure required by a relevant government organisation, or made on serious danger, goes
only to an authority in this register). Every change is logged: who counts as an authority
decides what a disclosure without consent may reach."""

import frappe
from frappe import _
from frappe.model.document import Document

from confidentiality_app.log import audit


class DisclosureAuthority(Document):
	def validate(self):
		if self.is_standard and not self.is_new() and self.has_value_changed("authority_type"):
			frappe.throw(_("The type of a standard authority cannot be changed."))

	def on_update(self):
		before = self.get_doc_before_save()
		if before is None:
			change = _("{0} registered as {1}").format(self.authority_name, _(self.authority_type))
		else:
			fields = ("authority_type", "jurisdiction", "disabled", "email", "website", "address")
			changed = [f for f in fields if before.get(f) != self.get(f)]
			if not changed:
				return
			change = "; ".join(f"{f}: {_shown(before.get(f))} -> {_shown(self.get(f))}" for f in changed)
		self._log("Disclosure Authority changed", change)

	def on_trash(self):
		if self.is_standard:
			frappe.throw(
				_(
					"{0} is a standard authority named by the Code and cannot be deleted; disable it instead."
				).format(self.name)
			)
		self._log("Disclosure Authority removed", _("{0} removed from the register").format(self.name))

	def _log(self, action: str, reason: str):
		audit.append_on_commit(
			audit.Entry(
				action=action,
				channel="Disclosure Authority",
				outcome="Recorded",
				reference_doctype=self.doctype,
				reference_name=self.name,
				reason=reason,
			)
		)


def _shown(value) -> str:
	return "" if value is None else str(value)
