"""The site served over real HTTP on loopback, for tests that go through the wire.

Frappe's WSGI application runs in a thread of the test process behind werkzeug's
server on a free port; tests talk to it with `requests`, logged in with a password
(session cookie) or an API key, as a browser or an integration would. The server's
requests open their own database connections: they see only what the test committed.
"""

from __future__ import annotations

import threading

import frappe
import requests
from frappe.utils import random_string


class LiveSite:
	def __init__(self):
		import os

		from frappe.app import application
		from werkzeug.middleware.shared_data import SharedDataMiddleware
		from werkzeug.serving import make_server

		self.site = frappe.local.site
		site = self.site

		def app(environ, start_response):
			# a request without the header (wkhtmltopdf fetching a print's assets) is for
			# this site, as behind a reverse proxy that serves one site
			environ.setdefault("HTTP_X_FRAPPE_SITE_NAME", site)
			return application(environ, start_response)

		# the assets, as `bench serve` and nginx serve them
		served = SharedDataMiddleware(
			app, {"/assets": os.path.abspath(os.path.join(frappe.local.sites_path, "assets"))}
		)
		self.server = make_server("127.0.0.1", 0, served, threaded=True)
		self.url = f"http://127.0.0.1:{self.server.server_port}"
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
		self.thread.start()

	def as_host_name(self):
		"""Make the site's URL this server's for the rest of the test class (wkhtmltopdf
		loads a print's assets from the site's URL): returns the undo."""
		before = frappe.local.conf.get("host_name")
		frappe.local.conf.host_name = self.url

		def undo():
			frappe.local.conf.host_name = before

		return undo

	def stop(self):
		self.server.shutdown()
		self.server.server_close()

	def _session(self) -> requests.Session:
		session = requests.Session()
		# the site is named by header, as a reverse proxy in front of a bench does
		session.headers["X-Frappe-Site-Name"] = self.site
		session.headers["Accept"] = "application/json"
		return session

	def login(self, user: str, password: str) -> requests.Session:
		session = self._session()
		response = session.post(f"{self.url}/api/method/login", data={"usr": user, "pwd": password})
		assert response.status_code == 200, response.text
		return session

	def guest(self) -> requests.Session:
		return self._session()

	def api_key(self, user: str) -> requests.Session:
		"""A session authenticated by the user's API key and secret (token auth)."""
		doc = frappe.get_doc("User", user)
		secret = random_string(15)
		doc.api_key = doc.api_key or random_string(15)
		doc.api_secret = secret
		doc.save(ignore_permissions=True)
		frappe.db.commit()
		session = self._session()
		session.headers["Authorization"] = f"token {doc.api_key}:{secret}"
		return session


def set_password(user: str) -> str:
	from frappe.utils.password import update_password

	password = "Cf-" + random_string(12) + "-9!"
	update_password(user, password)
	return password
