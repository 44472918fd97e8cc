# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Ombudsman Case: lifecycle rules only (stages, determination and evidence in
confidentiality_app.ombudsman, the rules in confidentiality_app.rules.determination)."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import now_datetime

from confidentiality_app import ombudsman
from confidentiality_app.rules import determination

# set only by confidentiality_app.ombudsman's transitions
_DECIDED = (
	"status",
	"stage_since",
	"due_on",
	"escalated",
	"breach_of_confidentiality",
	"breach_of_duty_of_care",
	"determined_by",
	"determined_on",
	"referral",
)


class OmbudsmanCase(Document):
	def before_insert(self):
		self.received_on = now_datetime()
		for field in _DECIDED:
			self.set(field, 0 if self.meta.get_field(field).fieldtype == "Check" else None)
		self.set("findings", [])
		ombudsman.enter_stage(self, determination.RECEIVED)

	def validate(self):
		if self.is_new() or self.flags.case_transition:
			return
		before = self.get_doc_before_save()
		if before is None:
			return
		changed = [f for f in _DECIDED if str(before.get(f) or "") != str(self.get(f) or "")]
		if changed or _findings(before) != _findings(self):
			frappe.throw(
				_(
					"A case's stage and determination change only through its actions (Move, Determine): {0}."
				).format(", ".join(changed) or _("findings")),
				frappe.PermissionError,
			)

	def onload(self):
		"""Opened in the desk: who read which case is logged (it holds client information)."""
		ombudsman.log_case(
			self, "Open Case", _("Case opened by {0}").format(frappe.session.user), at_once=True
		)

	def before_print(self, settings=None):
		if self.flags.letter_for:
			return  # a stage letter or a referral: logged with its recipient when sent
		ombudsman.log_case(
			self, "Print Case", _("Case printed by {0}").format(frappe.session.user), at_once=True
		)

	def on_trash(self):
		frappe.throw(
			_("Ombudsman Case {0} is a record of the Ombudsman Service and is never deleted.").format(
				self.name
			),
			frappe.PermissionError,
		)


def _findings(doc):
	return [
		(r.log_entry, int(r.valid_reason or 0), r.ground or "", int(r.within_agreement or 0))
		for r in doc.get("findings") or []
	]
