"""ERPNext's SMS Center (only loaded where ERPNext is installed): the bulk send goes only to
the receivers allowed for Marketing (channels.sms.bulk_receivers)."""

from __future__ import annotations

import frappe
from erpnext.selling.doctype.sms_center.sms_center import SMSCenter
from frappe import _
from frappe.core.doctype.sms_settings import sms_settings
from frappe.utils import cstr

from confidentiality_app.channels import sms
from confidentiality_app.decision import gate


class GatedSMSCenter(SMSCenter):
	"""override_doctype_class["SMS Center"]."""

	@frappe.whitelist()
	def send_sms(self):
		if not gate.active() or not self.message:
			return super().send_sms()
		receivers = self.get_receiver_nos()
		if not receivers:
			return super().send_sms()
		allowed, withheld = sms.bulk_receivers(receivers, cstr(self.message))
		if withheld:
			frappe.msgprint(
				_(
					"{0} of {1} receivers are clients who have not consented to Marketing: the message is not sent to them."
				).format(withheld, len(receivers)),
				indicator="orange",
				title=_("Left out by confidentiality rules"),
			)
		if allowed:
			sms_settings.send_sms(allowed, cstr(self.message))
