# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Member Organisation: the professional body's register of the organisations whose logs it
witnesses (confidentiality_app.ombudsman.witness). Lifecycle only: the keys must parse and
name the member's log; what the witness records (size, root, alerts) is written by the
witness, never by hand."""

import frappe
from frappe import _
from frappe.model.document import Document

from confidentiality_app.ombudsman.witness import verifiers_of
from confidentiality_app.rules import note

WITNESS_FIELDS = (
	"witnessed_size",
	"witnessed_root",
	"witnessed_on",
	"witnessed_checkpoint",
	"witness_alert",
	"witness_alert_on",
	"silent",
)


class MemberOrganisation(Document):
	def validate(self):
		self.log_origin = (self.log_origin or "").strip()
		try:
			keys = verifiers_of(self)
		except note.NoteError as e:
			frappe.throw(_("A checkpoint key cannot be read: {0}").format(e), title=_("Checkpoint Keys"))
		if not keys:
			frappe.throw(_("Give at least one checkpoint key of the member's log."))
		other = [k.name for k in keys if k.name != self.log_origin]
		if other:
			frappe.throw(
				_("The keys must be those of the log {0}; these name another: {1}").format(
					frappe.bold(self.log_origin), ", ".join(sorted(set(other)))
				)
			)
		self.key_fingerprints = "\n".join(f"{k.name} {k.id.hex()}" for k in keys)
		if self.status == "Left" and not self.left_on:
			self.left_on = frappe.utils.today()
		if not self.is_new():  # the witness writes these with db.set_value, past this check
			before = self.get_doc_before_save()
			changed = [
				f for f in WITNESS_FIELDS if before and str(before.get(f) or "") != str(self.get(f) or "")
			]
			if changed:
				frappe.throw(
					_("What the witness recorded cannot be changed by hand."), frappe.PermissionError
				)
