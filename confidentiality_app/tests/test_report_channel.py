"""Query and script reports on the real site: a report's Export (CSV bytes over real HTTP),
an integration running a report, and a prepared report's download hold only the rows
whose linked clients consented to Export; a report on a protected doctype whose rows name
no record is refused whole; one log entry with both counts; a desk user's run is Frappe's."""

from __future__ import annotations

import csv
import io
import json

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	live_site,
	logged,
	make_user,
	set_mode,
	smtp_sink_in_use,
	tagged_leads,
)

PASSWORD = "Cf-" + random_string(12) + "-5!"


def report_entries(**filters):
	return logged(reference_doctype="Report", **filters)


def query_report(query: str) -> str:
	"""A (non-standard) Query Report on Lead, committed; removed when the class ends."""
	name = f"CF Leads {random_string(6)}"
	frappe.get_doc(
		{
			"doctype": "Report",
			"report_name": name,
			"ref_doctype": "Lead",
			"report_type": "Query Report",
			"is_standard": "No",
			"module": "Confidentiality",
			"query": query,
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return name


class TestReports(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.user = make_user(
			f"cf-report-{random_string(6).lower()}@example.com",
			roles=("Sales Manager", "System Manager"),
			password=PASSWORD,
		)
		cls.tag = random_string(8)
		cls.linked = query_report(
			"select name as 'Lead:Link/Lead:120', email_id as 'Email:Data:200' from `tabLead` "
			f"where last_name like 'Rep {cls.tag}%%' order by creation"
		)
		cls.unlinked = query_report(
			"select lead_name as 'Lead Name:Data:200', email_id as 'Email:Data:200' from `tabLead` "
			f"where last_name like 'Rep {cls.tag}%%' order by creation"
		)
		frappe.db.commit()
		cls.live = live_site(cls)
		cls.desk = cls.live.login(cls.user, PASSWORD)
		cls.integration = cls.live.api_key(cls.user)

	@classmethod
	def tearDownClass(cls):
		for name in (cls.linked, cls.unlinked):
			frappe.delete_doc("Report", name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		frappe.db.commit()

	def leads(self, *purposes_each):
		"""One committed lead per entry (its consent purposes, or None), tagged for a filter."""
		return tagged_leads(f"Rep {self.tag}", *purposes_each)

	def export(self, report):
		return self.desk.post(
			f"{self.live.url}/api/method/frappe.desk.query_report.export_query",
			data={
				"report_name": report,
				"file_format_type": "CSV",
				"filters": "{}",
				"visible_idx": json.dumps([]),
			},
		)

	def test_export_writes_only_rows_of_consented_clients(self):
		open_, closed, expired = self.leads(["Export"], None, None)
		consent(
			"Lead",
			expired.name,
			["Export"],
			valid_from=add_days(today(), -9),
			valid_until=add_days(today(), -1),
		)
		frappe.db.commit()
		response = self.export(self.linked)
		self.assertEqual(response.status_code, 200, response.text[:300])
		text = response.content.decode("utf-8")
		self.assertIn(open_.email_id, text)
		for lead in (closed, expired):
			self.assertNotIn(lead.name, text)
			self.assertNotIn(lead.email_id, text)
		frappe.db.rollback()
		mine = [e for e in report_entries(user=self.user) if e["reference_name"] == self.linked]
		self.assertEqual(len(mine), 1, mine)
		self.assertEqual((mine[0]["outcome"], mine[0]["action"]), ("Withheld", "Report export"))
		self.assertIn("withheld=", mine[0]["basis"])
		self.assertEqual(self.rows(text)[-1:], [[open_.name, open_.email_id]])

	@staticmethod
	def rows(text):
		return [r for r in csv.reader(io.StringIO(text)) if r and r[0].startswith("CRM-LEAD")]

	def test_a_report_whose_rows_name_no_record_is_refused_whole(self):
		open_, closed = self.leads(["Export"], None)
		response = self.export(self.unlinked)
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertNotIn(closed.email_id, response.text)
		self.assertNotIn(open_.email_id, response.text)
		frappe.db.rollback()
		(entry,) = [e for e in report_entries(user=self.user) if e["reference_name"] == self.unlinked]
		self.assertEqual(entry["outcome"], "Blocked")

	def test_an_integration_running_a_report_gets_only_consented_rows(self):
		open_, closed = self.leads(["Export"], None)
		params = {"report_name": self.linked, "filters": "{}"}
		url = f"{self.live.url}/api/method/frappe.desk.query_report.run"
		by_key = self.integration.get(url, params=params)
		self.assertEqual(by_key.status_code, 200, by_key.text[:300])
		self.assertIn(open_.email_id, by_key.text)
		self.assertNotIn(closed.email_id, by_key.text)
		by_desk = self.desk.get(url, params=params)
		self.assertIn(closed.email_id, by_desk.text)
		frappe.db.rollback()
		runs = [e for e in report_entries(user=self.user) if e["action"] == "API report run"]
		self.assertEqual(len(runs), 1)

	def test_a_prepared_reports_download_is_screened(self):
		from frappe.core.doctype.prepared_report.prepared_report import generate_report

		open_, closed = self.leads(["Export"], None)
		prepared = frappe.get_doc({"doctype": "Prepared Report", "report_name": self.linked, "filters": "{}"})
		prepared.flags.ignore_permissions = True
		prepared.db_insert()
		generate_report(prepared.name)
		frappe.db.commit()
		self.addCleanup(self._drop_prepared, prepared.name)
		response = self.desk.get(
			f"{self.live.url}/api/method/frappe.core.doctype.prepared_report.prepared_report.download_attachment",
			params={"dn": prepared.name},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertIn(open_.email_id, response.text)
		self.assertNotIn(closed.email_id, response.text)
		# its stored file, fetched by URL, would skip the screening: refused
		(url,) = frappe.get_all(
			"File",
			{"attached_to_doctype": "Prepared Report", "attached_to_name": prepared.name},
			pluck="file_url",
		)
		raw = self.desk.get(f"{self.live.url}{url}")
		self.assertEqual(raw.status_code, 403, raw.text[:200])
		self.assertNotIn(b"CRM-LEAD", raw.content)

	@staticmethod
	def _drop_prepared(name):
		frappe.delete_doc("Prepared Report", name, force=True, ignore_permissions=True)
		frappe.db.commit()

	def auto_email_report(self, fmt):
		doc = frappe.get_doc(
			{
				"doctype": "Auto Email Report",
				"report": self.linked,
				"user": self.user,
				"email_to": self.user,
				"format": fmt,
				"frequency": "Daily",
				"enabled": 1,
			}
		).insert(ignore_permissions=True)

		def drop():
			frappe.delete_doc("Auto Email Report", doc.name, force=True, ignore_permissions=True)
			frappe.db.commit()

		self.addCleanup(drop)
		return doc

	def test_an_auto_email_reports_rows_are_screened(self):
		open_, closed = self.leads(["Export"], None)
		csv_report = self.auto_email_report("CSV")
		content = csv_report.get_report_content()
		content = content.decode() if isinstance(content, bytes) else content
		self.assertIn(open_.email_id, content)
		self.assertNotIn(closed.email_id, content)

		from confidentiality_app.tests import mail

		with smtp_sink_in_use() as sink:
			self.auto_email_report("HTML").send()
			frappe.db.commit()
			mail.flush()
			(received,) = sink.to(self.user)
		self.assertIn(open_.email_id, received.text)
		self.assertNotIn(closed.email_id, received.text)
		entries = [e for e in report_entries() if e["action"] == "Auto Email Report"]
		self.assertEqual(len(entries), 2, entries)
		self.assertTrue(all(e["outcome"] == "Withheld" for e in entries))
