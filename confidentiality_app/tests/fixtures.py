"""What the integration tests share, in one place: the real servers a test talks to (the site
over HTTP, an SMTP server, an HTTP receiver, an SMS gateway: each on loopback, started for a
test class and stopped when it ends), and factories for the records a case needs (users with
roles, client records, consents, disclosures and their authorities, practitioners and cases).
Test modules import from here and state only their case; nothing here is faked.

The servers themselves live in `live`, `mail` and `receiver`; the basic factories (users,
leads, customers, contacts, consents, the log) in `utils`, re-exported here.
"""

from __future__ import annotations

from contextlib import contextmanager

import frappe
from frappe.utils import add_days, random_string, today
from frappe.utils.background_jobs import execute_job, get_queue

from confidentiality_app import api
from confidentiality_app.channels import webhook as webhook_channel
from confidentiality_app.decision import clients
from confidentiality_app.log import audit
from confidentiality_app.rules.roles import OFFICER, OMBUDSMAN
from confidentiality_app.tests import mail
from confidentiality_app.tests.live import LiveSite, set_password
from confidentiality_app.tests.receiver import HTTPReceiver
from confidentiality_app.tests.utils import (
	OUTSIDER_ROLES,
	ConfidentialityTestCase,
	QueryCount,
	bulk_leads,
	call_method,
	consent,
	evidence_file,
	log_of,
	logged,
	make_contact,
	make_customer,
	make_lead,
	make_user,
	set_mode,
	shares_of,
	tagged_leads,
	unusable_consents,
)

# ------------------------------------------------------------------ servers, per test class


def live_site(cls, host_name: bool = False) -> LiveSite:
	"""The site served over real HTTP for the rest of the test class. With `host_name`, the
	site's URL is this server's (wkhtmltopdf loads a print's assets from it)."""
	site = LiveSite()
	cls.addClassCleanup(site.stop)
	if host_name:
		cls.addClassCleanup(site.as_host_name())
	return site


def smtp_sink(cls) -> mail.SMTPSink:
	"""A real SMTP server the site's outgoing Email Account sends to, for the test class."""
	sink = mail.SMTPSink()
	mail.use_sink(sink)
	cls.addClassCleanup(sink.stop)
	cls.addClassCleanup(mail.drop_sink)
	return sink


@contextmanager
def smtp_sink_in_use():
	"""The same, for one block (a single test, or a bench command)."""
	sink = mail.SMTPSink()
	try:
		mail.use_sink(sink)
		yield sink
	finally:
		mail.drop_sink()
		sink.stop()


def http_receiver(cls) -> HTTPReceiver:
	"""A real HTTP server on loopback that records what reaches it (a webhook's other end)."""
	receiver = HTTPReceiver()
	cls.addClassCleanup(receiver.stop)
	return receiver


SMS_KEYS = ("sms_gateway_url", "message_parameter", "receiver_parameter", "use_post")


def sms_gateway(cls) -> HTTPReceiver:
	"""An SMS gateway on loopback, set in SMS Settings (committed) for the test class; the
	settings are put back afterwards."""
	gateway = http_receiver(cls)
	settings = frappe.get_doc("SMS Settings")
	before = {key: settings.get(key) for key in SMS_KEYS}
	settings.update(
		{
			"sms_gateway_url": f"{gateway.url}/send",
			"message_parameter": "text",
			"receiver_parameter": "to",
			"use_post": 0,
		}
	)
	settings.save(ignore_permissions=True)
	frappe.db.commit()

	def restore():
		for key, value in before.items():
			frappe.db.set_single_value("SMS Settings", key, value)
		frappe.db.commit()

	cls.addClassCleanup(restore)
	return gateway


# ------------------------------------------------------------------ factories and probes


def forget_rate_limit():
	for key in frappe.cache.get_keys("rl:confidentiality_app.api.file_complaint"):
		frappe.cache.delete(key)


def practitioner(user=None, name=None) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Practitioner",
				"practitioner_name": name or f"Coach {random_string(6)}",
				"category": "Coach",
				"organisation": "Coaching Works Ltd",
				"user": user,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def officer() -> str:
	return make_user(roles=(OFFICER, "Sales User"))


def authority(kind: str, email=None) -> str:
	"""A Disclosure Authority of `kind` (Government Body or Regulator) with its own address."""
	prefix, label, domain = {
		"Government Body": ("gov", "Safeguarding Authority", "authority.example"),
		"Regulator": ("reg", "Regulator", "regulator.example"),
	}[kind]
	return (
		frappe.get_doc(
			{
				"doctype": "Disclosure Authority",
				"authority_name": f"{label} {random_string(6)}",
				"authority_type": kind,
				"email": email or f"{prefix}-{random_string(6).lower()}@{domain}",
			}
		)
		.insert()
		.name
	)


def government_body(email=None) -> str:
	return authority("Government Body", email)


def regulator(email=None) -> str:
	return authority("Regulator", email)


def authority_email(name) -> str:
	return frappe.db.get_value("Disclosure Authority", name, "email")


def involved(lead, signed=True) -> dict:
	row = {
		"party_name": f"Employer {random_string(4)}",
		"relationship": "Sponsor",
		"consent_given_on": today(),
	}
	if signed:
		row["evidence_file"] = evidence_file("Lead", lead.name)
	return row


def uses(name) -> int:
	"""A disclosure's uses as committed (they are counted on the log's own connection)."""
	return audit.connection().sql("SELECT uses FROM `tabDisclosure Request` WHERE name = %s", (name,))[0][0]


def pdf_text(pdf: bytes) -> str:
	import io

	from pypdf import PdfReader

	assert pdf.startswith(b"%PDF")
	return " ".join(
		" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages
	)


def commit_and_queue():
	"""Commit as a live site does: Frappe enqueues webhooks for a worker (in tests it would
	run them inline, `now=frappe.flags.in_test`)."""
	frappe.flags.in_test = False
	try:
		frappe.db.commit()
	finally:
		frappe.flags.in_test = True


def fresh_webhook_queue():
	"""Forget webhooks queued by work rolled back earlier: Frappe's queue outlives a
	rollback, which drops the after-commit flush it registered, so nothing queued later
	would be flushed either."""
	frappe.local._webhook_queue = []


def run_webhook_jobs(webhook: str) -> int:
	"""Run the queued jobs of `webhook` through Frappe's job runner (`execute_job`, with its
	before_job and after_job hooks), as a worker would, in this process. Returns how many."""
	ran = 0
	queue = get_queue("default")
	for job in list(queue.jobs):
		kwargs = job.kwargs or {}
		if kwargs.get("method") != webhook_channel.JOB:
			continue
		if (kwargs.get("kwargs") or {}).get("webhook", {}).get("name") != webhook:
			continue
		execute_job(**{**kwargs, "is_async": False})
		job.delete()
		ran += 1
	frappe.local.job = None
	frappe.set_user("Administrator")
	return ran


def number() -> str:
	"""A mobile number no other record of the site carries."""
	import random

	return "+44770" + "".join(random.choice("0123456789") for _ in range(7))


def outsider() -> str:
	return f"outsider-{random_string(8).lower()}@elsewhere.example"


def queue_of(**filters):
	return frappe.get_all(
		"Email Queue",
		filters=filters,
		fields=["name", "status", "reference_doctype", "reference_name"],
		order_by="creation",
	)


def recipients_of(queue_name) -> list[str]:
	return frappe.get_all("Email Queue Recipient", {"parent": queue_name}, pluck="recipient")


def held_for(queue_name):
	return frappe.get_all(
		"Held Email",
		filters={"email_queue": queue_name},
		fields=["name", "status", "stage", "recipients", "client_name", "purpose", "reason", "log"],
	)


def same_person(lead) -> list[str]:
	"""The names of the records of the lead's person (ERPNext gives a Lead a Contact)."""
	return [name for _doctype, name in clients.covered_by((lead.doctype, lead.name))]


def entries(recipient, **filters):
	audit.seal()
	return audit.entries({"channel": "Email", "recipient": recipient.lower(), **filters})


class EmailTestCase(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.sink = smtp_sink(cls)

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		frappe.flags.testing_email = True

	def send(self, lead=None, recipients=(), cc=(), bcc=(), subject=None, message="Notes", **kw):
		"""Queue a mail as any background path does (not the form composer)."""
		subject = subject or f"About {lead.name if lead else 'nothing'} {random_string(5)}"
		frappe.sendmail(
			recipients=list(recipients),
			cc=list(cc),
			bcc=list(bcc),
			subject=subject,
			message=message,
			reference_doctype=kw.pop("reference_doctype", lead and lead.doctype),
			reference_name=kw.pop("reference_name", lead and lead.name),
			**kw,
		)
		return subject


def quotation_for(lead, submit=True):
	"""A real Quotation to `lead` (ERPNext), for one service item."""
	item = "CF Coaching Session"
	if not frappe.db.exists("Item", item):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	quotation = frappe.get_doc(
		{
			"doctype": "Quotation",
			"quotation_to": "Lead",
			"party_name": lead.name,
			"company": frappe.db.get_value("Company", {}, "name"),
			"transaction_date": add_days(today(), -1),
			"valid_till": add_days(today(), 30),
			"items": [{"item_code": item, "qty": 1, "rate": 120}],
		}
	).insert()
	if submit:
		quotation.submit()
	return quotation


def request_disclosure(lead, ground: str, user: str, **kw) -> str:
	"""A Disclosure Request about `lead` filed by `user` through the API (Email by default)."""
	frappe.set_user(user)
	try:
		kw.setdefault("channels", ["Email"])
		kw.setdefault("description", "Session notes of 3 March")
		kw.setdefault("purpose", "The client's employer funds the programme")
		return api.request_disclosure("Lead", lead.name, ground, **kw)
	finally:
		frappe.set_user("Administrator")


def approve_disclosure(name: str, user: str):
	"""Approve a Disclosure Request as `user` (a Confidentiality Officer) through the API."""
	frappe.set_user(user)
	try:
		return api.approve_disclosure(name)
	finally:
		frappe.set_user("Administrator")


def complaint_case(lead, respondents=(), **kw) -> str:
	"""An Ombudsman Case: the client of `lead` complains about the practitioners named."""
	doc = frappe.get_doc(
		{
			"doctype": "Ombudsman Case",
			"complainant_name": "A. Client",
			"complainant_email": lead.email_id,
			"complainant_is_client": 1,
			"client_type": "Lead",
			"client": lead.name,
			"about": "Notes released",
			"description": "My notes went to my employer.",
			"respondents": [{"practitioner": p} for p in respondents],
			**kw,
		}
	).insert(ignore_permissions=True)
	return doc.name


__all__ = [
	"approve_disclosure",
	"complaint_case",
	"request_disclosure",
	"authority",
	"quotation_for",
	"ConfidentialityTestCase",
	"EmailTestCase",
	"HTTPReceiver",
	"LiveSite",
	"OFFICER",
	"OMBUDSMAN",
	"OUTSIDER_ROLES",
	"QueryCount",
	"SMS_KEYS",
	"authority_email",
	"bulk_leads",
	"call_method",
	"commit_and_queue",
	"consent",
	"entries",
	"evidence_file",
	"forget_rate_limit",
	"fresh_webhook_queue",
	"government_body",
	"held_for",
	"http_receiver",
	"involved",
	"live_site",
	"log_of",
	"logged",
	"make_contact",
	"make_customer",
	"make_lead",
	"make_user",
	"number",
	"officer",
	"outsider",
	"pdf_text",
	"practitioner",
	"queue_of",
	"recipients_of",
	"regulator",
	"run_webhook_jobs",
	"same_person",
	"set_mode",
	"set_password",
	"shares_of",
	"sms_gateway",
	"smtp_sink",
	"smtp_sink_in_use",
	"tagged_leads",
	"unusable_consents",
	"uses",
]
