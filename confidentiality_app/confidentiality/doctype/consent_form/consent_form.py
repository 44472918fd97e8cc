# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Consent Form: versioned wording clients agree to (Draft -> Current -> Archived)."""

import frappe
from frappe import _
from frappe.model.document import Document


class ConsentForm(Document):
	def validate(self):
		if self.version < 1:
			frappe.throw(_("Version must be 1 or more."))
		before = self.get_doc_before_save()
		if before and before.status != "Draft":
			if before.wording != self.wording or before.version != self.version:
				frappe.throw(
					_(
						"The wording of {0} is no longer a draft and cannot change. Create a new version instead."
					).format(frappe.bold(self.name))
				)
			if before.status == "Archived" and self.status != "Archived":
				frappe.throw(_("An archived consent form version cannot become current again."))

	def on_update(self):
		before = self.get_doc_before_save()
		if self.status == "Current" and (not before or before.status != "Current"):
			self.make_current()

	def make_current(self):
		for other in frappe.get_all(
			"Consent Form",
			filters={"form_title": self.form_title, "status": "Current", "name": ["!=", self.name]},
			pluck="name",
		):
			frappe.db.set_value("Consent Form", other, "status", "Archived")
		if self.requires_reconsent:
			self.expire_earlier_consents()

	def expire_earlier_consents(self):
		"""Consents given on earlier versions no longer count (policy: superseded)."""
		from confidentiality_app.decision import consents

		earlier = frappe.get_all(
			"Consent Form",
			filters={"form_title": self.form_title, "version": ["<", self.version]},
			pluck="name",
		)
		if not earlier:
			return
		affected = frappe.get_all(
			"Client Consent",
			filters={"consent_form": ["in", earlier], "docstatus": 1, "status": "Active"},
			fields=["name", "party_type", "party"],
		)
		for row in affected:
			frappe.db.set_value(
				"Client Consent",
				row.name,
				{
					"status": "Expired",
					"status_note": _("Consent form {0} requires re-consent.").format(self.name),
				},
			)
			consents.invalidate((row.party_type, row.party))
		if affected:
			frappe.msgprint(
				_("{0} consents given on earlier versions now need re-consent.").format(len(affected)),
				alert=True,
			)
			consents.lost(
				_("Consent form {0} requires re-consent.").format(self.name),
				parties=list({(row.party_type, row.party) for row in affected}),
			)

	def on_trash(self):
		if self.status != "Draft" or frappe.db.exists("Client Consent", {"consent_form": self.name}):
			frappe.throw(
				_("Consent form {0} has been used or published and is kept as evidence.").format(self.name)
			)
