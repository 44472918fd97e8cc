"""Print and PDF on the real site: every render of a protected record, or of a document that
carries a client (a Quotation to a Lead), needs the client's consent for Print. Over real
HTTP as a Sales User (the page, the PDF download, the multi-document PDF, sync and async)
with real PDFs from wkhtmltopdf, in process as Administrator (as the scheduler runs), and a
print attached to a mail (decided with the mail)."""

from __future__ import annotations

import io
import json

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app import api
from confidentiality_app.decision.gate import ConfidentialityBlocked
from confidentiality_app.log import audit
from confidentiality_app.tests import mail
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	EmailTestCase,
	consent,
	held_for,
	live_site,
	make_lead,
	make_user,
	outsider,
	queue_of,
	set_mode,
)

PASSWORD = "Cf-" + random_string(12) + "-5!"
PDF = "frappe.utils.print_format.download_pdf"
MULTI = "frappe.utils.print_format.download_multi_pdf"
MULTI_ASYNC = "frappe.utils.print_format.download_multi_pdf_async"


def print_entries(name, **filters):
	"""This test's Print entries for a record (names freed by rollbacks are reused)."""
	from confidentiality_app.tests import utils

	audit.seal()
	return audit.entries({"channel": "Print", "reference_name": name, **filters}, since=utils._log_mark)


def pages(pdf: bytes) -> int:
	from pypdf import PdfReader

	return len(PdfReader(io.BytesIO(pdf)).pages)


class TestPrintOverHTTP(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.user = make_user(
			f"cf-print-{random_string(6).lower()}@example.com", roles=("Sales User",), password=PASSWORD
		)
		frappe.db.commit()
		cls.live = live_site(cls)
		cls.session = cls.live.login(cls.user, PASSWORD)
		# a browser opening a download link asks for a page
		cls.session.headers["Accept"] = "text/html,application/xhtml+xml,*/*"

	def lead(self, purposes=None, **kw):
		lead = make_lead(**kw)
		if purposes:
			consent("Lead", lead.name, purposes)
		frappe.db.commit()
		return lead

	def get(self, path, **params):
		return self.session.get(f"{self.live.url}{path}", params=params)

	def test_the_print_page_of_a_lead_without_print_consent_is_refused(self):
		lead = self.lead()
		response = self.get("/printview", doctype="Lead", name=lead.name)
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertIn("no consent for purpose Print", response.text)
		self.assertNotIn(lead.email_id, response.text)
		frappe.db.rollback()
		(entry,) = print_entries(lead.name)
		self.assertEqual((entry["user"], entry["decision"], entry["outcome"]), (self.user, "Deny", "Blocked"))

	def test_with_print_consent_the_page_and_the_pdf_are_served_and_logged(self):
		lead = self.lead(["Print"], first_name="Printable")
		page = self.get("/printview", doctype="Lead", name=lead.name)
		self.assertEqual(page.status_code, 200, page.text[:300])
		self.assertIn(lead.name, page.text)
		pdf = self.get(f"/api/method/{PDF}", doctype="Lead", name=lead.name)
		self.assertEqual(pdf.status_code, 200, pdf.text[:300])
		self.assertTrue(pdf.content.startswith(b"%PDF"))
		frappe.db.rollback()
		self.assertEqual([e["outcome"] for e in print_entries(lead.name)], ["Allowed", "Allowed"])

	def test_a_refused_pdf_download_is_a_page_that_says_why(self):
		lead = self.lead(["Share", "Email"])  # other purposes are not Print
		response = self.get(f"/api/method/{PDF}", doctype="Lead", name=lead.name)
		self.assertEqual(response.status_code, 403)
		self.assertTrue(response.headers["Content-Type"].startswith("text/html"), response.headers)
		self.assertFalse(response.content.startswith(b"%PDF"))
		self.assertTrue("do not include purpose Print" in response.text, response.text[:200])
		self.assertTrue("Record Consent" in response.text, response.text[:200])

	def report_pdf(self, *leads):
		rows = "".join(
			f"<tr><td>{lead.name}</td><td>{lead.email_id}</td><td>{self.user}</td></tr>" for lead in leads
		)
		return self.session.post(
			f"{self.live.url}/api/method/frappe.utils.print_format.report_to_pdf",
			data={"html": f"<h1>Leads</h1><table>{rows}</table>", "orientation": "Landscape"},
			headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"},
		)

	def test_a_report_pdf_naming_a_client_without_print_consent_is_refused(self):
		closed, open_ = self.lead(), self.lead(["Print"])
		response = self.report_pdf(open_, closed)
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertFalse(response.content.startswith(b"%PDF"))
		self.assertIn("no consent for purpose Print", response.text[:3000])
		frappe.db.rollback()
		from confidentiality_app.tests import utils

		audit.seal()
		(entry,) = audit.entries(
			{"channel": "Print", "action": "Report PDF", "user": self.user}, since=utils._log_mark
		)
		# the client refused: the Lead, or the Contact ERPNext made for it (the same person)
		same_person = {closed.name} | set(
			frappe.get_all(
				"Dynamic Link",
				{"link_doctype": "Lead", "link_name": closed.name, "parenttype": "Contact"},
				pluck="parent",
			)
		)
		self.assertIn(entry["reference_name"], same_person)
		self.assertEqual(entry["outcome"], "Blocked")

	def test_a_report_pdf_naming_consented_clients_and_colleagues_is_made(self):
		open_ = self.lead(["Print"])
		response = self.report_pdf(open_)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertTrue(response.content.startswith(b"%PDF"))

	def test_a_print_consent_naming_recipients_does_not_cover_a_print(self):
		lead = make_lead()
		consent("Lead", lead.name, ["Print"], recipients=["sponsor@elsewhere.example"])
		frappe.db.commit()
		response = self.get(f"/api/method/{PDF}", doctype="Lead", name=lead.name)
		self.assertEqual(response.status_code, 403)

	def test_a_withdrawn_or_expired_print_consent_is_refused(self):
		withdrawn = make_lead()
		api.withdraw_consent(consent("Lead", withdrawn.name, ["Print"]), "changed their mind")
		expired = make_lead()
		consent(
			"Lead",
			expired.name,
			["Print"],
			valid_from=add_days(today(), -30),
			valid_until=add_days(today(), -1),
		)
		frappe.db.commit()
		for lead in (withdrawn, expired):
			response = self.get(f"/api/method/{PDF}", doctype="Lead", name=lead.name)
			self.assertEqual(response.status_code, 403, lead.name)
			self.assertFalse(response.content.startswith(b"%PDF"))

	def test_a_quotation_to_a_lead_carries_the_client(self):
		from confidentiality_app.tests.fixtures import quotation_for

		lead = make_lead()
		quotation = quotation_for(lead)
		frappe.db.commit()
		response = self.get(f"/api/method/{PDF}", doctype="Quotation", name=quotation.name)
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertIn(lead.name, response.text)
		self.assertIn("Print", response.text)

	def test_a_multi_document_pdf_is_refused_whole_naming_the_documents_withheld(self):
		open_ = self.lead(["Print"])
		closed = [self.lead(), self.lead()]
		names = [open_.name] + [lead.name for lead in closed]
		response = self.get(f"/api/method/{MULTI}", doctype="Lead", name=json.dumps(names))
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertFalse(response.content.startswith(b"%PDF"))
		self.assertIn("2 of the 3 documents cannot be printed", response.text)
		for lead in closed:
			self.assertIn(lead.name, response.text)
		frappe.db.rollback()
		self.assertEqual([e["outcome"] for e in print_entries(closed[0].name)], ["Blocked"])
		self.assertEqual([e["outcome"] for e in print_entries(open_.name)], ["Allowed"])

	def test_a_multi_document_pdf_of_consented_leads_has_every_page(self):
		leads = [self.lead(["Print"]) for _ in range(3)]
		response = self.get(
			f"/api/method/{MULTI}", doctype=json.dumps({"Lead": [lead.name for lead in leads]}), name="leads"
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertGreaterEqual(pages(response.content), 3)
		frappe.db.rollback()
		for lead in leads:  # decided once each, not again when rendered
			self.assertEqual(len(print_entries(lead.name)), 1)

	def test_the_background_multi_pdf_is_refused_in_the_request_with_the_reason(self):
		closed = self.lead()
		response = self.session.post(
			f"{self.live.url}/api/method/{MULTI_ASYNC}",
			data={"doctype": "Lead", "name": json.dumps([closed.name])},
			headers={"Accept": "application/json", "X-Requested-With": "XMLHttpRequest"},
		)
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertIn("no consent for purpose Print", response.json()["exception"])


class TestPrintInProcess(ConfidentialityTestCase):
	def setUp(self):
		super().setUp()
		set_mode("Enforce")

	def test_administrator_and_the_scheduler_are_not_exempt(self):
		lead = make_lead()
		with self.assertRaises(ConfidentialityBlocked):
			frappe.get_print("Lead", lead.name)
		(entry,) = print_entries(lead.name)
		self.assertEqual((entry["user"], entry["outcome"]), ("Administrator", "Blocked"))

	def test_a_system_manager_is_not_exempt(self):
		lead = make_lead()
		frappe.set_user(make_user(roles=("System Manager",)))
		with self.assertRaises(ConfidentialityBlocked):
			frappe.get_print("Lead", lead.name)

	def test_an_unprotected_document_prints_without_a_decision(self):
		todo = frappe.get_doc({"doctype": "ToDo", "description": "Call the printer man"}).insert()
		self.assertIn("Call the printer man", frappe.get_print("ToDo", todo.name))
		self.assertEqual(print_entries(todo.name), [])

	def test_monitor_mode_prints_and_records_what_would_have_been_refused(self):
		lead = make_lead()
		set_mode("Monitor")
		self.assertIn(lead.name, frappe.get_print("Lead", lead.name))
		(entry,) = print_entries(lead.name)
		self.assertEqual((entry["decision"], entry["outcome"]), ("Deny", "Monitored"))


class TestPrintAttachedToMail(EmailTestCase):
	"""`frappe.attach_print` renders a mail's attachment: the mail carries the record, even
	with no reference, and is decided with it."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.live = live_site(cls, host_name=True)

	def mail_print(self, lead, recipient):
		frappe.sendmail(
			recipients=[recipient],
			subject=f"Your file {random_string(5)}",
			message="Attached.",
			attachments=[frappe.attach_print("Lead", lead.name, file_name="file")],
		)

	def test_a_print_attached_to_a_mail_to_a_third_party_is_held(self):
		lead, other = make_lead(), outsider()
		self.mail_print(lead, other)
		rows = frappe.get_all("Email Queue Recipient", {"recipient": other}, pluck="parent")
		(row,) = rows
		self.assertEqual(frappe.db.get_value("Email Queue", row, "status"), "Held")
		self.assertEqual(held_for(row)[0].client_name, lead.name)
		mail.flush()
		self.assertEqual(self.sink.count(other), 0)
		self.assertEqual(print_entries(lead.name), [])  # decided as mail, not as a print

	def test_a_print_mailed_to_the_client_themself_is_service_mail(self):
		lead = make_lead()
		self.mail_print(lead, lead.email_id)
		mail.flush()
		(message,) = self.sink.to(lead.email_id)
		self.assertIn(b"file.pdf", message.data)
		self.assertEqual(queue_of(reference_name=lead.name), [])
