"""Every export path, and the PDF, × every consent state × every kind of user, over real
HTTP.

One Lead per consent state (no consent, wrong purpose, withdrawn, expired, valid Export
consent) shares a tag. Each path is called once per user (a Sales Manager, a System
Manager, Administrator): the bytes that left hold the valid Lead and none of the other
four, and exactly one log entry records the call with the four withheld."""

from __future__ import annotations

import json

import frappe
from frappe.utils import add_days, random_string, today

from confidentiality_app import api
from confidentiality_app.log import audit
from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	consent,
	live_site,
	make_lead,
	make_user,
	set_mode,
	set_password,
)

STATES = ("none", "wrong purpose", "withdrawn", "expired", "valid")


class TestExportMatrix(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.tag = random_string(8)
		cls.leads = {}
		for state in STATES:
			lead = make_lead(last_name=f"Matrix {cls.tag} {state}")
			cls.leads[state] = lead
		consent("Lead", cls.leads["wrong purpose"].name, ["Share", "Email"])
		api.withdraw_consent(
			consent("Lead", cls.leads["withdrawn"].name, ["Export", "Print"]), "changed my mind"
		)
		consent(
			"Lead",
			cls.leads["expired"].name,
			["Export", "Print"],
			valid_from=add_days(today(), -30),
			valid_until=add_days(today(), -1),
		)
		consent("Lead", cls.leads["valid"].name, ["Export", "Print"])
		users = {
			"Sales Manager": make_user(f"cf-mx-sm-{cls.tag.lower()}@example.com", roles=("Sales Manager",)),
			"System Manager": make_user(
				f"cf-mx-sys-{cls.tag.lower()}@example.com", roles=("System Manager", "Sales Manager")
			),
			"Administrator": "Administrator",
		}
		passwords = {label: set_password(user) for label, user in users.items() if user != "Administrator"}
		frappe.db.commit()
		cls.live = live_site(cls, host_name=True)
		cls.users = users
		cls.desk = {label: cls.live.login(users[label], pw) for label, pw in passwords.items()}
		cls.desk["Administrator"] = cls.live.login(
			"Administrator", frappe.conf.get("admin_password") or "admin"
		)
		cls.keys = {label: cls.live.api_key(user) for label, user in users.items()}

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		frappe.db.commit()

	@property
	def like(self):
		return f"Matrix {self.tag}%"

	def assert_only_valid(self, content: str, label: str):
		self.assertIn(self.leads["valid"].name, content, label)
		for state in STATES[:-1]:
			lead = self.leads[state]
			self.assertNotIn(lead.name, content, f"{label}: {state} left")
			self.assertNotIn(lead.email_id, content, f"{label}: {state} left")

	@staticmethod
	def mark():
		"""Entries from here on belong to the next call."""
		from confidentiality_app.tests import utils

		audit.seal()
		utils._log_mark = audit.mark()

	def one_entry(self, user, **filters):
		from confidentiality_app.tests import utils

		frappe.db.rollback()
		audit.seal()
		entries = audit.entries({"user": user, **filters}, since=utils._log_mark)
		self.assertEqual(len(entries), 1, [(e["action"], e["basis"]) for e in entries])
		return entries[0]

	def test_list_export(self):
		for label, session in self.desk.items():
			with self.subTest(label):
				self.mark()
				response = session.post(
					f"{self.live.url}/api/method/frappe.desk.reportview.export_query",
					data={
						"doctype": "Lead",
						"file_format_type": "CSV",
						"title": "Lead",
						"fields": json.dumps(["`tabLead`.`name`", "`tabLead`.`email_id`"]),
						"filters": json.dumps([["Lead", "last_name", "like", self.like]]),
					},
				)
				self.assertEqual(response.status_code, 200, response.text[:300])
				self.assert_only_valid(response.content.decode(), label)
				entry = self.one_entry(self.users[label], channel="Export", action="Export")
				self.assertEqual(entry["basis"], "exported=1 withheld=4 of=5")

	def test_data_export_tool(self):
		for label, session in self.desk.items():
			with self.subTest(label):
				self.mark()
				response = session.post(
					f"{self.live.url}/api/method/frappe.core.doctype.data_export.exporter.export_data",
					data={
						"doctype": "Lead",
						"select_columns": json.dumps({"Lead": ["name", "email_id"]}),
						"filters": json.dumps({"last_name": ["like", self.like]}),
						"file_type": "CSV",
						"template": "true",
						"with_data": "1",
					},
				)
				self.assertEqual(response.status_code, 200, response.text[:300])
				self.assert_only_valid(response.content.decode(), label)
				entry = self.one_entry(self.users[label], channel="Export", action="Data Export")
				self.assertEqual(entry["basis"], "exported=1 withheld=4 of=5")

	def test_api_reads(self):
		for label, session in self.keys.items():
			with self.subTest(label):
				self.mark()
				response = session.get(
					f"{self.live.url}/api/resource/Lead",
					params={
						"filters": json.dumps([["Lead", "last_name", "like", self.like]]),
						"fields": json.dumps(["name", "email_id"]),
					},
				)
				self.assertEqual(response.status_code, 200, response.text[:300])
				self.assert_only_valid(response.text, label)
				self.assertEqual(len(response.json()["data"]), 1)
				entry = self.one_entry(self.users[label], channel="API")
				self.assertTrue(entry["basis"].startswith("returned=1 withheld=4 "), entry["basis"])
				for state in STATES[:-1]:
					one = session.get(f"{self.live.url}/api/resource/Lead/{self.leads[state].name}")
					self.assertEqual(one.status_code, 403, f"{label}: {state}: {one.text[:200]}")
					self.assertNotIn(self.leads[state].email_id, one.text)

	def test_pdf_download(self):
		for label, session in self.desk.items():
			for state in STATES:
				with self.subTest(f"{label}: {state}"):
					self.mark()
					lead = self.leads[state]
					response = session.get(
						f"{self.live.url}/api/method/frappe.utils.print_format.download_pdf",
						params={"doctype": "Lead", "name": lead.name},
					)
					entry = self.one_entry(self.users[label], channel="Print", reference_name=lead.name)
					if state == "valid":
						self.assertEqual(response.status_code, 200, response.text[:200])
						self.assertTrue(response.content.startswith(b"%PDF"))
						self.assertEqual(entry["outcome"], "Allowed")
					else:
						self.assertEqual(response.status_code, 403, response.text[:200])
						self.assertFalse(response.content.startswith(b"%PDF"))
						self.assertNotIn(lead.email_id, response.text)
						self.assertEqual(entry["outcome"], "Blocked")
