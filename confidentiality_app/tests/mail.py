"""A real SMTP server on loopback for the mail tests, and an outgoing Email Account that
points at it.

`aiosmtpd` runs in a thread of the test process; Frappe's own `EmailQueue.send` talks SMTP
to it through `smtplib`, exactly as it talks to a production server. Tests assert on what
the server received (one SMTP transaction per recipient, as Frappe sends them).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import frappe

ACCOUNT = "Confidentiality Test SMTP"
SENDER = "office@confidentiality-test.example"


@dataclass
class Received:
	mail_from: str
	rcpt_tos: list[str]
	data: bytes

	@property
	def text(self) -> str:
		return self.data.decode("utf-8", "replace")


class _Handler:
	def __init__(self, sink):
		self.sink = sink

	async def handle_DATA(self, server, session, envelope):
		self.sink.received.append(
			Received(envelope.mail_from, [r.lower() for r in envelope.rcpt_tos], envelope.content)
		)
		return "250 Message accepted for delivery"


class SMTPSink:
	def __init__(self):
		from aiosmtpd.controller import Controller

		self.received: list[Received] = []
		with socket.socket() as s:
			s.bind(("127.0.0.1", 0))
			self.port = s.getsockname()[1]
		self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
		self.controller.start()

	def stop(self):
		self.controller.stop()

	def clear(self):
		self.received.clear()

	def recipients(self) -> list[str]:
		"""Every recipient the server accepted a message for, in order (repeats kept)."""
		return [r for m in self.received for r in m.rcpt_tos]

	def to(self, address: str) -> list[Received]:
		"""The messages the server accepted for `address`, in order."""
		return [m for m in self.received if address.lower() in m.rcpt_tos]

	def count(self, address: str) -> int:
		return self.recipients().count(address.lower())


def use_sink(sink: SMTPSink) -> str:
	"""Make the site's default outgoing account send to `sink`; committed (the sending
	code commits too). Returns the account name."""
	for name in frappe.get_all(
		"Email Account", {"default_outgoing": 1, "name": ["!=", ACCOUNT]}, pluck="name"
	):
		frappe.db.set_value("Email Account", name, "default_outgoing", 0)
	values = {
		"email_id": SENDER,
		"enable_outgoing": 1,
		"default_outgoing": 1,
		"smtp_server": "127.0.0.1",
		"smtp_port": sink.port,
		"use_tls": 0,
		"use_ssl_for_outgoing": 0,
		"no_smtp_authentication": 1,
		"enable_incoming": 0,
	}
	if frappe.db.exists("Email Account", ACCOUNT):
		doc = frappe.get_doc("Email Account", ACCOUNT)
		doc.update(values)
	else:
		doc = frappe.get_doc({"doctype": "Email Account", "email_account_name": ACCOUNT, **values})
	doc.flags.ignore_permissions = True
	doc.save()
	frappe.db.commit()
	frappe.local.outgoing_email_account = {}
	frappe.flags.testing_email = True
	return doc.name


def drop_sink():
	"""Leave the site as it was: no test account, no test mail pending."""
	frappe.flags.testing_email = False
	frappe.db.delete("Email Account", {"name": ACCOUNT})
	frappe.db.commit()
	frappe.local.outgoing_email_account = {}


def flush():
	"""The scheduler's job, as it runs every few minutes."""
	from frappe.email.queue import flush as frappe_flush

	frappe_flush()
