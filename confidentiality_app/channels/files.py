"""Files attached to protected records are private.

A public file (`/files/...`) is served by the web server with no check at all, so a file
attached to a client's record may never be one (hooks.py: override_doctype_class["File"]):

* **Attaching** (upload, REST, Data Import, `save_file`, a mail's attachment): the file is
  written as private whatever the request said (`is_private` is the client's to choose in
  `frappe.handler.upload_file`). A public file attached by its URL is copied to a private
  file for the record; the public original is left to whoever else uses it.
* **Making it public** later, or moving a public file onto a protected record, is refused
  and logged (Frappe would move the content under `/files/`).

Downloads of private files are Frappe's: the parent record's read permission (for an
integration, the client's consent for Export: channels.api_read); zips of attachments are
decided in channels.export.zip_files.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.core.doctype.file.file import File

from confidentiality_app.decision import gate
from confidentiality_app.rules import policy

CHANNEL = "Files"


def _protected_target(doc) -> bool:
	return bool(
		not doc.is_folder
		and doc.attached_to_doctype
		and doc.attached_to_name
		and gate.active()
		and gate.is_protected(doc.attached_to_doctype)
	)


class GatedFile(File):
	def before_insert(self):
		if _protected_target(self) and not self.is_remote_file:
			if self.file_url and not self.file_url.startswith("/private/"):
				# attached by the URL of a public file: a private copy for the record
				from urllib.parse import unquote

				self.file_name = self.file_name or unquote(self.file_url.rsplit("/", 1)[-1])
				self.content = self.get_content()
				self.file_url = None
			self.is_private = 1
		return super().before_insert()

	def validate(self):
		if (
			_protected_target(self)
			and not self.is_new()
			and not self.is_remote_file
			and not frappe.utils.cint(self.is_private)
		):
			refuse_public(self)
		return super().validate()


def refuse_public(doc):
	"""Refuse (Enforce) or warn (Monitor) a public file on a protected record; logged."""
	from confidentiality_app.log import audit

	message = _(
		"File {0} is attached to {1} {2}, a record about a protected client: it stays private. A public file can be downloaded by anyone who has its address, without any check."
	).format(doc.file_name or doc.name, _(doc.attached_to_doctype), doc.attached_to_name)
	enforce = gate.mode() != policy.MONITOR
	audit.append(
		audit.Entry(
			action="Make file public",
			channel=CHANNEL,
			decision="Deny",
			outcome="Blocked" if enforce else "Monitored",
			mode=gate.mode(),
			reference_doctype=doc.attached_to_doctype,
			reference_name=doc.attached_to_name,
			recipient=policy.EVERYONE,
			reason=message,
			basis="public file",
		)
	)
	if enforce:
		frappe.throw(message, gate.ConfidentialityBlocked, title=_("Refused by confidentiality rules"))
	frappe.msgprint(message, indicator="orange", title=_("Would be refused in Enforce mode"))


def privatise_existing() -> int:
	"""Make private every public file attached to a protected record (written before this
	app was installed, before its doctype was protected, or by raw SQL). Frappe moves each
	file under /private and points every File row sharing it at the new address. Runs at
	install, in a patch, and daily; one log entry when it moved any. Returns how many."""
	from confidentiality_app.decision import clients
	from confidentiality_app.log import audit

	moved = 0
	for doctype in sorted(clients.protected_rules()):
		names = frappe.get_all(
			"File",
			filters={
				"attached_to_doctype": doctype,
				"is_private": 0,
				"is_folder": 0,
				"file_url": ["like", "/files/%"],
			},
			pluck="name",
		)
		for name in names:
			doc = frappe.get_doc("File", name)
			if doc.is_private:
				continue  # moved already with a file sharing its content
			doc.is_private = 1
			try:
				doc.save(ignore_permissions=True)
				moved += 1
			except Exception:
				frappe.log_error(title=f"Confidentiality: file {name} could not be made private")
	if moved:
		audit.append(
			audit.Entry(
				action="Make files private",
				channel=CHANNEL,
				decision="Allow",
				outcome="Recorded",
				mode=gate.mode(),
				reference_doctype="File",
				reference_name=str(moved),
				reason=_(
					"{0} public files attached to protected records were made private: a public file is served to anyone without a check."
				).format(moved),
				basis="files sweep",
			)
		)
	return moved
