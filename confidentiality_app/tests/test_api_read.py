"""API reads on the real site, over real HTTP: an integration authenticated by API key
reading protected records gets only those whose clients consented to Export, through
every read path (REST v1 and v2, frappe.client.get_list / get_count / get_value / get,
frappe.desk.reportview.get, child tables through their parent); one log entry per request
with the counts. The same user in a desk session reads as before and is not logged."""

from __future__ import annotations

import json

import frappe
from frappe.utils import random_string

from confidentiality_app.tests.fixtures import (
	ConfidentialityTestCase,
	live_site,
	logged,
	make_contact,
	make_user,
	set_mode,
	tagged_leads,
	unusable_consents,
)

PASSWORD = "Cf-" + random_string(12) + "-7!"


def api_entries(**filters):
	return logged(channel="API", **filters)


class TestAPIReads(ConfidentialityTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		set_mode("Enforce")
		cls.user = make_user(
			f"cf-api-{random_string(6).lower()}@example.com", roles=("Sales Manager",), password=PASSWORD
		)
		frappe.db.commit()
		cls.live = live_site(cls)
		cls.integration = cls.live.api_key(cls.user)
		cls.desk = cls.live.login(cls.user, PASSWORD)
		cls.admin = cls.live.api_key("Administrator")

	def setUp(self):
		super().setUp()
		set_mode("Enforce")
		frappe.db.commit()
		self.tag = random_string(8)

	def leads(self, *purposes_each):
		"""One committed lead per entry (its consent purposes, or None), tagged for a filter."""
		return tagged_leads(f"Api {self.tag}", *purposes_each)

	@property
	def filters(self):
		return json.dumps([["Lead", "last_name", "like", f"Api {self.tag}%"]])

	def get(self, session, path, **params):
		response = session.get(f"{self.live.url}{path}", params=params)
		return response

	def names(self, response, key="data"):
		self.assertEqual(response.status_code, 200, response.text[:300])
		return sorted(row["name"] for row in response.json()[key])

	def entries(self):
		frappe.db.rollback()
		return api_entries(user=self.user)

	def test_rest_list_returns_only_consented_rows_and_logs_the_counts(self):
		open_, closed, wrong = self.leads(["Export"], None, ["Print", "Share"])
		response = self.get(
			self.integration,
			"/api/resource/Lead",
			fields=json.dumps(["name", "email_id"]),
			filters=self.filters,
			limit_page_length=100,
		)
		self.assertEqual(self.names(response), [open_.name])
		for lead in (closed, wrong):
			self.assertNotIn(lead.email_id, response.text)
		(entry,) = self.entries()
		self.assertEqual((entry["outcome"], entry["decision"]), ("Withheld", "Deny"))
		self.assertTrue(entry["basis"].startswith("returned=1 withheld=2 "), entry["basis"])
		self.assertEqual(entry["reference_doctype"], "Lead")

	def test_every_list_path_is_limited(self):
		open_, closed = self.leads(["Export"], None)
		paths = {
			"v2 document": (
				self.get(self.integration, "/api/v2/document/Lead", filters=self.filters),
				"data",
			),
			"client.get_list": (
				self.get(
					self.integration,
					"/api/method/frappe.client.get_list",
					doctype="Lead",
					filters=self.filters,
					fields=json.dumps(["name", "email_id"]),
				),
				"message",
			),
			"v2 method get_list": (
				self.get(
					self.integration,
					"/api/v2/method/frappe.client.get_list",
					doctype="Lead",
					filters=self.filters,
				),
				"data",
			),
		}
		for path, (response, key) in paths.items():
			with self.subTest(path):
				self.assertEqual(self.names(response, key), [open_.name])
		count = self.get(
			self.integration, "/api/method/frappe.client.get_count", doctype="Lead", filters=self.filters
		)
		self.assertEqual(count.json()["message"], 1)
		v2count = self.get(self.integration, "/api/v2/doctype/Lead/count", filters=self.filters)
		self.assertEqual(v2count.json()["data"], 1)
		report = self.get(
			self.integration,
			"/api/method/frappe.desk.reportview.get",
			doctype="Lead",
			fields=json.dumps(["`tabLead`.`name`", "`tabLead`.`email_id`"]),
			filters=self.filters,
		)
		self.assertEqual(report.status_code, 200, report.text[:300])
		self.assertIn(open_.name, report.text)
		self.assertNotIn(closed.name, report.text)
		self.assertNotIn(closed.email_id, report.text)
		value = self.get(
			self.integration,
			"/api/method/frappe.client.get_value",
			doctype="Lead",
			fieldname="email_id",
			filters=json.dumps({"name": closed.name}),
		)
		self.assertEqual(value.json().get("message"), {})
		entries = self.entries()
		self.assertEqual(len(entries), 7, [e["basis"] for e in entries])

	def test_one_record_needs_consent(self):
		open_, closed = self.leads(["Export"], None)
		for prefix in ("/api/resource/Lead/", "/api/v2/document/Lead/"):
			with self.subTest(prefix):
				refused = self.get(self.integration, prefix + closed.name)
				self.assertEqual(refused.status_code, 403, refused.text[:300])
				self.assertNotIn(closed.email_id, refused.text)
				allowed = self.get(self.integration, prefix + open_.name)
				self.assertEqual(allowed.status_code, 200, allowed.text[:300])
				self.assertEqual(allowed.json()["data"]["email_id"], open_.email_id)
		rpc = self.get(self.integration, "/api/method/frappe.client.get", doctype="Lead", name=closed.name)
		self.assertEqual(rpc.status_code, 403, rpc.text[:300])
		self.assertNotIn(closed.email_id, rpc.text)
		refusals = [e for e in self.entries() if e["outcome"] == "Blocked"]
		self.assertEqual({e["reference_name"] for e in refusals}, {closed.name})
		self.assertEqual(len(refusals), 3)

	def test_child_tables_are_limited_through_their_parent(self):
		(open_,) = self.leads(["Export"])
		consented = make_contact(links=[("Lead", open_.name)])
		closed = make_contact()
		frappe.db.commit()
		response = self.get(
			self.integration,
			"/api/method/frappe.client.get_list",
			doctype="Contact Email",
			parent="Contact",
			fields=json.dumps(["email_id", "parent"]),
			filters=json.dumps([["parent", "in", [consented.name, closed.name]]]),
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertIn(consented.email_ids[0].email_id, response.text)
		self.assertNotIn(closed.email_ids[0].email_id, response.text)

	def test_withdrawn_expired_and_recipient_limited_consents_are_withheld(self):
		withdrawn, expired, named = self.leads(None, None, None)
		unusable_consents(withdrawn, expired, named)
		response = self.get(self.integration, "/api/resource/Lead", filters=self.filters)
		self.assertEqual(self.names(response), [])

	def test_administrators_integration_is_limited_too(self):
		open_, closed = self.leads(["Export"], None)
		response = self.get(
			self.admin, "/api/resource/Lead", filters=self.filters, fields=json.dumps(["name"])
		)
		self.assertEqual(self.names(response), [open_.name])
		frappe.db.rollback()
		(entry,) = api_entries(user="Administrator")
		self.assertTrue(entry["basis"].startswith("returned=1 withheld=1 "), entry["basis"])

	def test_a_desk_session_reads_everything_and_is_not_logged(self):
		leads = self.leads(["Export"], None)
		response = self.get(self.desk, "/api/resource/Lead", filters=self.filters)
		self.assertEqual(self.names(response), sorted(lead.name for lead in leads))
		one = self.get(self.desk, f"/api/resource/Lead/{leads[1].name}")
		self.assertEqual(one.status_code, 200)
		self.assertEqual(self.entries(), [])

	def test_monitor_mode_returns_everything_and_logs_what_it_would_withhold(self):
		leads = self.leads(["Export"], None)
		set_mode("Monitor")
		frappe.db.commit()
		response = self.get(self.integration, "/api/resource/Lead", filters=self.filters)
		self.assertEqual(self.names(response), sorted(lead.name for lead in leads))
		(entry,) = self.entries()
		self.assertEqual(entry["outcome"], "Monitored")
		self.assertTrue(entry["basis"].startswith("returned=2 withheld=1 "), entry["basis"])

	def test_administrators_integration_reading_one_record_is_decided(self):
		"""Frappe answers Administrator before any permission hook: the response is decided."""
		open_, closed = self.leads(["Export"], None)
		for path in (f"/api/resource/Lead/{closed.name}", f"/api/v2/document/Lead/{closed.name}"):
			with self.subTest(path):
				refused = self.get(self.admin, path)
				self.assertEqual(refused.status_code, 403, refused.text[:300])
				self.assertNotIn(closed.email_id, refused.text)
		for method, params in (
			("frappe.client.get", {"doctype": "Lead", "name": closed.name}),
			("frappe.desk.form.load.getdoc", {"doctype": "Lead", "name": closed.name}),
		):
			rpc = self.get(self.admin, f"/api/method/{method}", **params)
			self.assertEqual(rpc.status_code, 403, rpc.text[:300])
			self.assertNotIn(closed.email_id, rpc.text)
		allowed = self.get(self.admin, f"/api/resource/Lead/{open_.name}")
		self.assertEqual(allowed.status_code, 200, allowed.text[:300])
		self.assertEqual(allowed.json()["data"]["email_id"], open_.email_id)
		frappe.db.rollback()
		refusals = [e for e in api_entries(user="Administrator") if e["outcome"] == "Blocked"]
		self.assertEqual({e["reference_name"] for e in refusals}, {closed.name})
		self.assertEqual(len(refusals), 4)

	def test_a_private_file_of_a_record_is_that_records_data(self):
		open_, closed = self.leads(["Export"], None)

		def private_file(lead):
			# unique content: Frappe gives files with the same content the same URL
			return (
				frappe.get_doc(
					{
						"doctype": "File",
						"file_name": f"notes-{random_string(6)}.txt",
						"content": f"I consent. Session notes of {lead.name}".encode(),
						"attached_to_doctype": "Lead",
						"attached_to_name": lead.name,
						"is_private": 1,
					}
				)
				.insert(ignore_permissions=True)
				.file_url
			)

		urls = {lead.name: private_file(lead) for lead in (open_, closed)}
		frappe.db.commit()
		for session in (self.integration, self.admin):
			refused = session.get(f"{self.live.url}{urls[closed.name]}")
			self.assertEqual(refused.status_code, 403, refused.text[:300])
			self.assertNotIn("I consent", refused.text)
			by_method = self.get(
				session, "/api/method/frappe.core.doctype.file.file.download_file", file_url=urls[closed.name]
			)
			self.assertNotIn("I consent", by_method.text)
			allowed = session.get(f"{self.live.url}{urls[open_.name]}")
			self.assertEqual(allowed.status_code, 200, allowed.text[:300])
			self.assertIn(b"I consent", allowed.content)

	def test_an_integrations_write_is_answered_without_the_records_data(self):
		(closed,) = self.leads(None)
		response = self.integration.put(
			f"{self.live.url}/api/resource/Lead/{closed.name}", json={"job_title": "Updated by sync"}
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(response.json()["data"], {"doctype": "Lead", "name": closed.name})
		self.assertNotIn(closed.email_id, response.text)
		self.assertIn("purpose Export", response.json()["confidentiality"])
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Lead", closed.name, "job_title"), "Updated by sync")

	def test_an_oauth_bearer_tokens_reads_are_limited(self):
		client = frappe.get_doc(
			{
				"doctype": "OAuth Client",
				"app_name": f"CF sync {random_string(5)}",
				"scopes": "all openid",
				"redirect_uris": "http://127.0.0.1/callback",
				"default_redirect_uri": "http://127.0.0.1/callback",
				"skip_authorization": 1,
			}
		).insert(ignore_permissions=True)
		token = random_string(30)
		frappe.get_doc(
			{
				"doctype": "OAuth Bearer Token",
				"client": client.name,
				"user": self.user,
				"scopes": "all",
				"access_token": token,
				"refresh_token": random_string(30),
				"expires_in": 3600,
				"expiration_time": frappe.utils.add_to_date(None, hours=1),
				"status": "Active",
			}
		).insert(ignore_permissions=True)
		open_, closed = self.leads(["Export"], None)
		session = self.live.guest()
		session.headers["Authorization"] = f"Bearer {token}"
		response = self.get(session, "/api/resource/Lead", filters=self.filters)
		self.assertEqual(self.names(response), [open_.name])
		(entry,) = self.entries()
		self.assertTrue(entry["basis"].startswith("returned=1 withheld=1 "), entry["basis"])
		one = self.get(session, f"/api/resource/Lead/{closed.name}")
		self.assertEqual(one.status_code, 403, one.text[:300])
