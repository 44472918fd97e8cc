"""Helpers for the integration tests: real records on the real site, nothing faked."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import random_string

from confidentiality_app import api
from confidentiality_app.log import audit

# Log entries written before this sequence belong to earlier tests (names of rolled-back
# test records are reused, the log is never rolled back).
_log_mark = (0, 0)


class ConfidentialityTestCase(FrappeTestCase):
	def setUp(self):
		global _log_mark
		super().setUp()
		_log_mark = audit.mark()
		frappe.set_user("Administrator")
		# each test is a new request: nothing rendered for a mail is pending
		frappe.local.confidentiality_printed = []


# A desk user whose roles read no client record: sharing with them releases something new.
OUTSIDER_ROLES = ("Blogger",)


def make_user(
	email: str | None = None, roles=OUTSIDER_ROLES, password: str | None = None, website: bool = False
) -> str:
	"""A user with exactly `roles` (apps that add roles to every new user, as Frappe LMS
	adds LMS Student, have them taken away again). `website`: a portal user, no desk."""
	email = email or f"cf-{random_string(8).lower()}@example.com"
	# the suite creates more users than Frappe's 60 an hour (throttle_user_creation)
	frappe.local.conf.throttle_user_limit = max(
		int(frappe.local.conf.get("throttle_user_limit") or 60), 100000
	)
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
				"user_type": "Website User" if website else "System User",
				"roles": [{"role": r} for r in roles],
			}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	extra = {r.role for r in user.roles} - set(roles)
	if extra:
		user.remove_roles(*extra)
	if password:
		# set after insert: an app that re-saves the user in after_insert (Frappe LMS adds
		# a role) makes Frappe drop a new_password given at insert
		from frappe.utils.password import update_password

		update_password(email, password)
	return email


def make_lead(**kw):
	suffix = random_string(6)
	doc = frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": kw.pop("first_name", "Client"),
			"last_name": kw.pop("last_name", suffix),
			"email_id": kw.pop("email_id", f"client-{suffix.lower()}@example.com"),
			**kw,
		}
	)
	return doc.insert(ignore_permissions=True)


def make_customer(lead=None, **kw):
	doc = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": kw.pop("customer_name", f"Customer {random_string(6)}"),
			"customer_type": "Individual",
			"lead_name": lead,
			**kw,
		}
	)
	return doc.insert(ignore_permissions=True)


def make_contact(links=(), **kw):
	suffix = random_string(6)
	doc = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": kw.pop("first_name", f"Contact {suffix}"),
			"email_ids": [{"email_id": f"contact-{suffix.lower()}@example.com", "is_primary": 1}],
			"links": [{"link_doctype": dt, "link_name": dn} for dt, dn in links],
			**kw,
		}
	)
	return doc.insert(ignore_permissions=True)


def evidence_file(doctype, name) -> str:
	f = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"signed-consent-{random_string(5)}.txt",
			"content": b"I consent. -- signed",
			"attached_to_doctype": doctype,
			"attached_to_name": name,
			"is_private": 1,
		}
	).insert(ignore_permissions=True)
	return f.file_url


def consent(doctype, name, purposes=("Share",), **kw) -> str:
	return api.record_consent(doctype, name, list(purposes), evidence_file(doctype, name), **kw)


def shares_of(doctype, name):
	return frappe.get_all(
		"DocShare",
		filters={"share_doctype": doctype, "share_name": name},
		fields=["name", "user", "everyone"],
	)


def log_of(doctype, name, **filters):
	"""This test's log entries for a record, newest first: sealed ones, and the ones this
	test's transaction accepted with its actions (tests never commit)."""
	return audit.entries({"reference_doctype": doctype, "reference_name": name, **filters}, since=_log_mark)


def set_mode(mode: str):
	frappe.db.set_single_value("Confidentiality Settings", "mode", mode)
	frappe.clear_document_cache("Confidentiality Settings", "Confidentiality Settings")


def before_tests():
	"""hooks.before_tests: with ERPNext, complete its setup wizard (company, defaults) as
	ERPNext's own tests do, so documents like Opportunity and Quotation behave as on a live site."""
	if "erpnext" in frappe.get_installed_apps():
		frappe.get_attr("erpnext.setup.utils.before_tests")()
	frappe.db.commit()


def make_held_mail() -> str:
	"""A mail about a client without consent, queued as a background job would: held.
	Committed. Used by .ci/run to show that uninstalling the app does not release it."""
	from confidentiality_app.tests import mail

	sink = mail.SMTPSink()  # Frappe queues mail only with an outgoing account
	try:
		mail.use_sink(sink)
		lead = make_lead()
		frappe.sendmail(
			recipients=[f"outsider-{random_string(8).lower()}@elsewhere.example"],
			subject="Held across uninstall",
			message="Notes about the client",
			reference_doctype="Lead",
			reference_name=lead.name,
		)
		name = frappe.db.get_value("Email Queue", {"reference_name": lead.name, "status": "Held"})
		frappe.db.commit()
	finally:
		mail.drop_sink()
		sink.stop()
	print(name)
	return name


def logged(**filters):
	"""This test's log entries matching `filters` (sealed first): the entries accepted
	since the test began, whichever connection wrote them."""
	audit.seal()
	return audit.entries(filters, since=_log_mark)


def call_method(cmd: str, user: str | None = None, http_method: str = "GET", **form):
	"""/api/method/<cmd> as Frappe's handler runs it (overrides of whitelisted methods,
	guest and HTTP-method checks), in this process and this test's transaction, as `user`
	(default: the current user). Returns what the method returned; a file it wrote is in
	frappe.response."""
	from frappe.handler import execute_cmd
	from werkzeug.test import EnvironBuilder

	before_user = frappe.session.user
	had_request = hasattr(frappe.local, "request")
	before_request = getattr(frappe.local, "request", None)
	if user:
		frappe.set_user(user)
	try:
		frappe.local.request = EnvironBuilder(method=http_method, path=f"/api/method/{cmd}").get_request()
		frappe.local.form_dict = frappe._dict(form)
		return execute_cmd(cmd)
	finally:
		if had_request:
			frappe.local.request = before_request
		else:
			del frappe.local.request  # Frappe's router reads request.environ when it exists
		if user:
			frappe.set_user(before_user)


def tagged_leads(last_name: str, *purposes_each) -> list:
	"""One committed Lead per entry of `purposes_each` (its consent purposes, or None),
	each with a last name starting with `last_name` (a filter finds them)."""
	made = []
	for purposes in purposes_each:
		lead = make_lead(last_name=f"{last_name} {random_string(4)}")
		if purposes:
			consent("Lead", lead.name, purposes)
		made.append(lead)
	frappe.db.commit()
	return made


def unusable_consents(withdrawn, expired, named, purposes=("Export",)):
	"""Consents that do not cover an export or a print, committed: one withdrawn, one
	expired yesterday, one limited to a named recipient."""
	from frappe.utils import add_days, today

	api.withdraw_consent(consent("Lead", withdrawn.name, list(purposes)), "no longer")
	consent(
		"Lead",
		expired.name,
		list(purposes),
		valid_from=add_days(today(), -9),
		valid_until=add_days(today(), -1),
	)
	consent("Lead", named.name, list(purposes), recipients=["auditor@elsewhere.example"])
	frappe.db.commit()


def bulk_leads(prefix: str, count: int, last_name: str | None = None) -> list[str]:
	"""`count` Leads written in bulk (no hooks, no consent): many rows, fast."""
	names = [f"{prefix}-{i:06d}" for i in range(count)]
	now = frappe.utils.now()
	for start in range(0, count, 2000):
		frappe.db.bulk_insert(
			"Lead",
			[
				"name",
				"first_name",
				"last_name",
				"lead_name",
				"email_id",
				"status",
				"creation",
				"modified",
				"owner",
				"modified_by",
			],
			[
				(
					n,
					"Bulk",
					last_name or n,
					f"Bulk {n}",
					f"{n.lower()}@example.com",
					"Lead",
					now,
					now,
					"Administrator",
					"Administrator",
				)
				for n in names[start : start + 2000]
			],
		)
	return names


class QueryCount:
	"""Counts the queries of every database connection of this process meanwhile."""

	def __enter__(self):
		from frappe.database.mariadb.database import MariaDBDatabase

		self._cls = MariaDBDatabase
		self._original = MariaDBDatabase.sql
		self.count = 0
		counter = self

		def sql(db, *args, **kwargs):
			counter.count += 1
			return counter._original(db, *args, **kwargs)

		MariaDBDatabase.sql = sql
		return self

	def __exit__(self, *exc):
		self._cls.sql = self._original
