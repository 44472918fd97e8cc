# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt

"""Confidentiality Agreement: the level of confidentiality agreed with the client at the
start of the relationship (the Code's rule 3). It holds for ever: it is never edited or
deleted; only a new written agreement (a new record) replaces it, and the one it replaces is
kept as Superseded. The gate reads the current one: no consent, and no disclosure on
consent, goes beyond it (confidentiality_app.rules.policy.Agreement)."""

import frappe
from frappe import _
from frappe.model.document import Document

from confidentiality_app.decision import clients, consents, epoch
from confidentiality_app.decision.permissions import can_act_for_office
from confidentiality_app.log import audit

# what changes as the agreement is replaced: the rest is the agreement itself
_BOOKKEEPING = {"status", "superseded_by", "modified", "modified_by"}


class ConfidentialityAgreement(Document):
	def validate(self):
		if self.party_type not in clients.client_doctypes():
			frappe.throw(
				_("{0} is not a client record type.").format(frappe.bold(self.party_type or _("(empty)")))
			)
		if not self.party or not frappe.db.exists(self.party_type, self.party):
			frappe.throw(_("Client {0} {1} does not exist.").format(_(self.party_type), self.party))
		self.party_name = clients.title_of((self.party_type, self.party)).split(" (")[0]
		if not self.evidence_file or not frappe.db.exists("File", {"file_url": self.evidence_file}):
			frappe.throw(
				_(
					"Attach the signed agreement: the level of confidentiality agreed at the start is agreed in writing."
				),
				title=_("Written Evidence Missing"),
			)
		seen = set()
		for row in self.purposes:
			if row.purpose in seen:
				frappe.throw(_("Purpose {0} is listed twice.").format(frappe.bold(row.purpose)))
			seen.add(row.purpose)
		for row in self.recipients:
			if not (row.recipient_user or row.recipient_email or row.recipient_address):
				frappe.throw(
					_(
						"Recipient in row {0} needs a user, an email address, or a number or system (tel:, webhook:, google:)."
					).format(row.idx)
				)
		if not self.is_new():
			self._refuse_edit()

	def _refuse_edit(self):
		before = self.get_doc_before_save()
		if before is None:
			return
		changed = [
			df.fieldname
			for df in self.meta.fields
			if df.fieldname not in _BOOKKEEPING
			and df.fieldtype not in ("Section Break", "Column Break", "Tab Break")
			and _value(before, df) != _value(self, df)
		]
		if changed:
			frappe.throw(
				_(
					"Confidentiality Agreement {0} holds for ever and is never edited ({1}); make a new written agreement with the client instead."
				).format(self.name, ", ".join(changed)),
				frappe.PermissionError,
			)

	def before_insert(self):
		self.status = "Current"
		current = frappe.get_all(
			"Confidentiality Agreement",
			{
				"status": "Current",
				"party": ["in", [p[1] for p in clients.identity((self.party_type, self.party))]],
			},
			["name", "party_type", "party"],
		)
		same = set(map(tuple, clients.identity((self.party_type, self.party))))
		current = [c for c in current if (c.party_type, c.party) in same]
		self.supersedes = current[0].name if current else None
		self._replaced = [c.name for c in current]
		if self.supersedes and not can_act_for_office():
			self._refuse_widening()

	def _refuse_widening(self):
		"""A new agreement that lets more out than the one in force needs the office: the
		level agreed at the start is not widened by whoever holds the client's file."""
		old = consents.agreement_for(clients.identity((self.party_type, self.party)))
		if old is None:
			return
		wider = [_(r.purpose) for r in self.purposes if r.purpose not in old.purposes]
		ids = frozenset().union(*(consents.row_ids(r) for r in self.recipients))
		if old.recipients and (not self.recipients or not ids <= old.recipients):
			wider.append(_("more recipients"))
		if wider:
			frappe.throw(
				_(
					"This agreement lets out more than {0}, the one in force ({1}): only the Confidentiality Office records a wider agreement."
				).format(old.name, ", ".join(wider)),
				frappe.PermissionError,
			)

	def after_insert(self):
		for name in getattr(self, "_replaced", []):
			frappe.db.set_value(
				"Confidentiality Agreement", name, {"status": "Superseded", "superseded_by": self.name}
			)
		epoch.bump()
		audit.append_on_commit(
			audit.Entry(
				action="Record Confidentiality Agreement",
				channel="Confidentiality Agreement",
				outcome="Recorded",
				reference_doctype=self.doctype,
				reference_name=self.name,
				client_doctype=self.party_type,
				client_name=self.party,
				reason=_("Agreed on {0}: may ever be released for {1}; to {2}.{3}").format(
					self.agreed_on,
					", ".join(r.purpose for r in self.purposes) or _("nothing"),
					", ".join(
						r.recipient_user or r.recipient_email or r.recipient_address for r in self.recipients
					)
					or _("recipients not limited"),
					_(" Supersedes {0}.").format(self.supersedes) if self.supersedes else "",
				),
				basis=self.name,
			)
		)

	def on_trash(self):
		frappe.throw(
			_("Confidentiality Agreement {0} holds for ever and is never deleted.").format(self.name),
			frappe.PermissionError,
		)


def _value(doc, df):
	value = doc.get(df.fieldname)
	if df.fieldtype in ("Table", "Table MultiSelect"):
		return [
			{
				k: v
				for k, v in row.as_dict().items()
				if k not in ("name", "modified", "creation", "parent", "idx")
			}
			for row in value or []
		]
	if df.fieldtype == "Date" and value:
		return str(value)
	return value
