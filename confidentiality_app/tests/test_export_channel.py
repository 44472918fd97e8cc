"""Export on the real site: the list / report view Export (`frappe.desk.reportview.export_query`)
writes only the rows whose clients consented to Export, tells the user how many were
withheld, logs one entry with both counts, and decides all rows with a constant number of
queries. Over real HTTP as a Sales Manager (CSV and Excel bytes), in process as
Administrator, and with the setting that refuses partial exports."""

from __future__ import annotations

import csv
import io
import json
import threading

import frappe
from frappe.utils import random_string

from confidentiality_app.decision import gate
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	QueryCount,
	bulk_leads,
	call_method,
	consent,
	live_site,
	logged,
	make_lead,
	make_user,
	set_mode,
	tagged_leads,
	unusable_consents,
)

PASSWORD = "Cf-" + random_string(12) + "-3!"
EXPORT = "frappe.desk.reportview.export_query"


def export_entries(**filters):
	return logged(channel="Export", **filters)


class Realtime:
	"""What the site publishes to desks (Frappe's realtime events go through Redis)."""

	def __init__(self):
		import redis

		self.messages: list[dict] = []
		self.pubsub = redis.Redis.pubsub(frappe.cache)
		self.pubsub.subscribe("events")
		self.stop = threading.Event()
		self.thread = threading.Thread(target=self._run, daemon=True)
		self.thread.start()

	def _run(self):
		while not self.stop.is_set():
			message = self.pubsub.get_message(timeout=0.2)
			if message and message.get("type") == "message":
				self.messages.append(json.loads(message["data"]))

	def close(self):
		self.stop.set()
		self.thread.join(2)
		self.pubsub.close()


class ExportOverHTTP(ConfidentialityTestCase):
	"""A Sales Manager's desk session over real HTTP (no tests of its own)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.user = make_user(
			f"cf-export-{random_string(6).lower()}@example.com", roles=("Sales Manager",), password=PASSWORD
		)
		frappe.db.commit()
		cls.live = live_site(cls)
		cls.session = cls.live.login(cls.user, PASSWORD)

	def setUp(self):
		super().setUp()
		self.tag = random_string(8)

	def leads(self, *purposes_each):
		"""One committed lead per entry (its consent purposes, or None), tagged for a filter."""
		return tagged_leads(f"Export {self.tag}", *purposes_each)

	def export(self, file_format="CSV"):
		return self.session.post(
			f"{self.live.url}/api/method/{EXPORT}",
			data={
				"doctype": "Lead",
				"file_format_type": file_format,
				"title": "Lead",
				"fields": json.dumps(["`tabLead`.`name`", "`tabLead`.`email_id`", "`tabLead`.`lead_name`"]),
				"filters": json.dumps([["Lead", "last_name", "like", f"Export {self.tag}%"]]),
				"order_by": "`tabLead`.`creation` asc",
			},
		)

	@staticmethod
	def csv_rows(response) -> list[list[str]]:
		return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))[1:]


class TestExportOverHTTP(ExportOverHTTP):
	def test_only_consented_rows_leave_and_the_user_is_told(self):
		open_, closed, wrong = self.leads(["Export"], None, ["Print", "Email"])
		realtime = Realtime()
		try:
			response = self.export()
		finally:
			realtime.close()
		self.assertEqual(response.status_code, 200, response.text[:300])
		rows = self.csv_rows(response)
		self.assertEqual([r[1] for r in rows], [open_.name])
		for lead in (closed, wrong):
			self.assertNotIn(lead.name, response.text)
			self.assertNotIn(lead.email_id, response.text)
		told = [
			m
			for m in realtime.messages
			if m.get("event") == "msgprint" and "withheld" in json.dumps(m.get("message"))
		]
		self.assertTrue(told, "the user was not told")
		self.assertIn("1 of 3 rows exported, 2 withheld", json.dumps(told[0]["message"]))
		frappe.db.rollback()
		(entry,) = export_entries(user=self.user)
		self.assertEqual((entry["outcome"], entry["decision"]), ("Withheld", "Deny"))
		self.assertEqual(entry["basis"], "exported=1 withheld=2 of=3")

	def test_excel_holds_only_consented_rows(self):
		from openpyxl import load_workbook

		open_, closed = self.leads(["Export"], None)
		response = self.export("Excel")
		self.assertEqual(response.status_code, 200, response.text[:300])
		sheet = load_workbook(io.BytesIO(response.content)).active
		values = {str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None}
		self.assertIn(open_.name, values)
		self.assertNotIn(closed.name, values)
		self.assertNotIn(closed.email_id, values)

	def test_withdrawn_expired_and_recipient_limited_consents_do_not_export(self):
		withdrawn, expired, named = self.leads(None, None, None)
		unusable_consents(withdrawn, expired, named)
		response = self.export()
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(self.csv_rows(response), [])

	def test_the_setting_refuses_a_partial_export_whole(self):
		self.leads(["Export"], None)
		frappe.db.set_single_value("Confidentiality Settings", "refuse_partial_export", 1)
		frappe.db.commit()
		try:
			response = self.export()
		finally:
			frappe.db.set_single_value("Confidentiality Settings", "refuse_partial_export", 0)
			frappe.db.commit()
		self.assertEqual(response.status_code, 403, response.text[:300])
		self.assertNotIn("Content-Disposition", response.headers)
		self.assertIn("1 of 2 rows would be withheld", response.json()["exception"])
		frappe.db.rollback()
		(entry,) = export_entries(user=self.user)
		self.assertEqual((entry["outcome"], entry["basis"]), ("Blocked", "exported=0 withheld=2 of=2"))

	def test_all_consented_exports_everything_and_logs_it(self):
		leads = self.leads(["Export"], ["Export", "Share"])
		response = self.export()
		self.assertEqual(sorted(r[1] for r in self.csv_rows(response)), sorted(lead.name for lead in leads))
		frappe.db.rollback()
		(entry,) = export_entries(user=self.user)
		self.assertEqual((entry["outcome"], entry["basis"]), ("Allowed", "exported=2 withheld=0 of=2"))


class TestExportDecision(ConfidentialityTestCase):
	def setUp(self):
		super().setUp()
		set_mode("Enforce")

	def test_the_decision_costs_the_same_queries_for_10_and_1000_rows(self):
		"""Rows are Leads written in bulk (no hooks: only the count of rows matters here);
		three of them consented, whatever the total."""
		consented = [make_lead() for _ in range(3)]
		for lead in consented:
			consent("Lead", lead.name, ["Export"])
		names = bulk_leads(f"CF-BULK-{random_string(6)}", 1000)
		counts = {}
		for size in (10, 1000):
			rows = [lead.name for lead in consented] + names[: size - len(consented)]
			gate.decide_rows("Lead", rows, "Export")  # warm the facts cache as a second export would
			with QueryCount() as counted:
				decisions = gate.decide_rows("Lead", rows, "Export")
			counts[size] = counted.count
			self.assertEqual(sum(d.allowed for d in decisions.values()), 3)
			self.assertEqual(len(decisions), size)
		self.assertEqual(counts[10], counts[1000], counts)

	def export_in_process(self, names) -> str:
		"""Frappe's export as /api/method runs it, in this process and transaction."""
		call_method(
			EXPORT,
			http_method="POST",
			doctype="Lead",
			file_format_type="CSV",
			title="Lead",
			fields=json.dumps(["`tabLead`.`name`"]),
			filters=json.dumps([["Lead", "name", "in", list(names)]]),
		)
		return frappe.response.get("filecontent").decode("utf-8")

	def test_administrator_is_not_exempt(self):
		open_, closed = make_lead(), make_lead()
		consent("Lead", open_.name, ["Export"])
		content = self.export_in_process([open_.name, closed.name])
		self.assertIn(open_.name, content)
		self.assertNotIn(closed.name, content)
		(entry,) = export_entries(user="Administrator")
		self.assertEqual(entry["basis"], "exported=1 withheld=1 of=2")

	def test_monitor_mode_exports_everything_and_records_what_it_would_withhold(self):
		lead = make_lead()
		set_mode("Monitor")
		self.assertIn(lead.name, self.export_in_process([lead.name]))
		(entry,) = export_entries(user="Administrator")
		self.assertEqual((entry["outcome"], entry["decision"]), ("Monitored", "Deny"))


class TestFileExportTools(ExportOverHTTP):
	"""The Data Export tool and Data Import's template with data, over real HTTP."""

	def test_data_export_tool_writes_only_consented_records(self):
		open_, closed = self.leads(["Export"], None)
		response = self.session.post(
			f"{self.live.url}/api/method/frappe.core.doctype.data_export.exporter.export_data",
			data={
				"doctype": "Lead",
				"select_columns": json.dumps({"Lead": ["name", "email_id", "last_name"]}),
				"filters": json.dumps({"last_name": ["like", f"Export {self.tag}%"]}),
				"file_type": "CSV",
				"template": "true",
				"with_data": "1",
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		text = response.content.decode("utf-8")
		self.assertIn(open_.email_id, text)
		self.assertNotIn(closed.email_id, text)
		self.assertNotIn(closed.name, text)
		frappe.db.rollback()
		(entry,) = export_entries(user=self.user, action="Data Export")
		self.assertEqual((entry["outcome"], entry["basis"]), ("Withheld", "exported=1 withheld=1 of=2"))

	def test_data_import_template_with_data_writes_only_consented_records(self):
		open_, closed = self.leads(["Export"], None)
		response = self.session.post(
			f"{self.live.url}/api/method/frappe.core.doctype.data_import.data_import.download_template",
			data={
				"doctype": "Lead",
				"export_fields": json.dumps({"Lead": ["name", "email_id", "last_name"]}),
				"export_records": "by_filter",
				"export_filters": json.dumps({"last_name": ["like", f"Export {self.tag}%"]}),
				"file_type": "CSV",
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		text = response.content.decode("utf-8")
		self.assertIn(open_.email_id, text)
		self.assertNotIn(closed.email_id, text)
		frappe.db.rollback()
		(entry,) = export_entries(user=self.user, action="Data Import template")
		self.assertEqual(entry["basis"], "exported=1 withheld=1 of=2")

	def test_a_blank_template_is_not_an_export(self):
		(closed,) = self.leads(None)
		response = self.session.post(
			f"{self.live.url}/api/method/frappe.core.doctype.data_import.data_import.download_template",
			data={
				"doctype": "Lead",
				"export_fields": json.dumps({"Lead": ["name", "email_id"]}),
				"export_records": "blank_template",
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertNotIn(closed.email_id, response.content.decode("utf-8"))
		frappe.db.rollback()
		self.assertEqual(export_entries(user=self.user, action="Data Import template"), [])

	def test_a_zip_of_attachments_holds_only_files_of_consented_records(self):
		import zipfile

		open_, closed = self.leads(["Export"], None)
		files = {}
		for lead in (open_, closed):
			files[lead.name] = frappe.get_doc(
				{
					"doctype": "File",
					"file_name": f"notes-{random_string(6)}.txt",
					"content": f"Session notes of {lead.name}".encode(),
					"attached_to_doctype": "Lead",
					"attached_to_name": lead.name,
					"is_private": 1,
				}
			).insert(ignore_permissions=True)
		frappe.db.commit()
		response = self.session.post(
			f"{self.live.url}/api/method/frappe.core.api.file.zip_files",
			data={"files": json.dumps([f.name for f in files.values()])},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		archive = zipfile.ZipFile(io.BytesIO(response.content))
		self.assertEqual(archive.namelist(), [files[open_.name].file_name])
		frappe.db.rollback()
		(entry,) = export_entries(user=self.user, action="File download")
		self.assertEqual(entry["basis"], "exported=1 withheld=1 of=2")
