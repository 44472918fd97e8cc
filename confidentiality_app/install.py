"""Install, migrate and uninstall: roles, standard purposes, default protected doctypes."""

import frappe

from confidentiality_app.decision.permissions import ROLES

MODULE = "Confidentiality"

# The register of authorities a disclosure without consent may go to (the Code: a relevant
# government organisation, or on serious danger the regulator or a government body).
STANDARD_AUTHORITIES = (
	(
		"International Regulator of Coaching and Mentoring CIC",
		"Regulator",
		"The regulator named by the Code of conduct: a serious danger disclosure may be made to it.",
	),
)

STANDARD_PURPOSES = {
	"Share": "Share the client's record with another user of this site.",
	"Email": "Send the client's information by email.",
	"SMS": "Send the client's information by text message (SMS).",
	"Export": "Export or download the client's information.",
	"Print": "Print the client's record or make a PDF of it.",
	"Marketing": "Use the client's information in marketing.",
	"Social Media": "Use the client's information on social media.",
	"Presentation": "Use the client's information in presentations or discussions.",
}

# (app, doctype, client field[, client optional]). Blank field: the record itself is the
# client. Client optional: a record naming no client there is not a client record.
DEFAULT_PROTECTED = (
	# a consent record names its client: sharing it discloses that client too
	("confidentiality_app", "Client Consent", "party"),
	# so do a disclosure and the agreement made at the start
	("confidentiality_app", "Disclosure Request", "party"),
	("confidentiality_app", "Confidentiality Agreement", "party"),
	("frappe", "Contact", ""),
	("frappe", "Address", "links"),
	("erpnext", "Lead", ""),
	("erpnext", "Customer", ""),
	("erpnext", "Opportunity", "party_name"),
	("erpnext", "Opportunity", "contact_person"),
	("erpnext", "Quotation", "party_name"),
	("erpnext", "Sales Order", "customer"),
	("erpnext", "Sales Invoice", "customer"),
	("erpnext", "Delivery Note", "customer"),
	("erpnext", "Project", "customer"),
	("erpnext", "Issue", "customer"),
	# a prospect is an organisation being courted, and names the leads it groups
	("erpnext", "Prospect", ""),
	("erpnext", "Prospect", "leads.lead"),
	# booked by the client; ERPNext shares it with an agent who cannot read it otherwise
	("erpnext", "Appointment", "party"),
	# calendar entries with a client among the participants (an Event naming no client is
	# an internal meeting)
	("frappe", "Event", "event_participants.reference_docname", True),
	("crm", "CRM Lead", ""),
	("crm", "CRM Deal", ""),
	("crm", "CRM Deal", "contacts.contact"),
	("crm", "FCRM Note", "reference_docname"),
	("crm", "CRM Task", "reference_docname"),
	("crm", "CRM Call Log", "reference_docname"),
	("lms", "User", ""),
	("lms", "LMS Enrollment", "member"),
	("lms", "LMS Batch", "students.student"),
)


def after_install():
	ensure_defaults(fresh=True)
	from confidentiality_app.channels import files

	files.privatise_existing()  # attachments of client records written before the app


def after_migrate():
	ensure_defaults()


def after_app_install(app_name):
	"""Another app installed after this one: add its protected doctypes."""
	if app_name != "confidentiality_app":
		add_protected_defaults(apps={app_name})


def before_app_uninstall(app_name):
	"""Another app is leaving: drop its rows so settings stay valid."""
	if app_name == "confidentiality_app":
		return
	settings = frappe.get_single("Confidentiality Settings")
	keep = [row for row in settings.protected_doctypes if row.source_app != app_name]
	if len(keep) != len(settings.protected_doctypes):
		settings.set("protected_doctypes", keep)
		settings.flags.ignore_validate = True
		settings.flags.system_change = True
		settings.save(ignore_permissions=True)


def ensure_defaults(fresh: bool = False):
	"""Idempotent. Protected doctype defaults are added on install and once more on a
	migrate that finds them never applied; a row the administrator removed stays removed."""
	ensure_roles()
	ensure_purposes()
	# the key that seals the log lives in the site config, never in the database
	from confidentiality_app.log import keys

	keys.ensure()
	ensure_authorities()
	ensure_letter_template()
	ensure_email_fields()
	ensure_webhook_fields()
	if not frappe.db.get_single_value("Confidentiality Settings", "mode"):
		frappe.db.set_single_value("Confidentiality Settings", "mode", "Enforce")
	if fresh or not frappe.db.get_single_value("Confidentiality Settings", "defaults_applied"):
		add_protected_defaults(apps={*frappe.get_installed_apps(), "confidentiality_app"})
		frappe.db.set_single_value("Confidentiality Settings", "defaults_applied", 1)


def ensure_email_fields():
	"""Email Queue: a "Held" status (never picked by the flush, see channels.email) and the
	stamp of what each mail was decided to be about. Both belong to this app's module, so
	uninstalling removes them; held rows keep their status and are never sent."""
	from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

	create_custom_fields(
		{
			"Email Queue": [
				{
					"fieldname": "confidentiality_stamp",
					"fieldtype": "Code",
					"label": "Confidentiality Decision",
					"insert_after": "reference_name",
					"read_only": 1,
					"hidden": 1,
					"no_copy": 1,
					"module": MODULE,
					"description": "What the confidentiality rules decided this mail is about (records and client addresses).",
				}
			]
		},
		update=True,
	)
	options = frappe.get_meta("Email Queue").get_field("status").options.split("\n")
	if "Held" not in options:
		setter = frappe.get_doc(
			{
				"doctype": "Property Setter",
				"doctype_or_field": "DocField",
				"doc_type": "Email Queue",
				"field_name": "status",
				"property": "options",
				"value": "\n".join([*options, "Held"]),
				"property_type": "Text",
				"module": MODULE,
			}
		)
		setter.flags.validate_fields_for_doctype = False
		setter.insert(ignore_permissions=True)
	frappe.clear_cache(doctype="Email Queue")
	from confidentiality_app.channels import email

	email.check_wiring()


def ensure_webhook_fields():
	"""Webhook: the basis on which a receiver may have a protected doctype's records
	(channels.webhook). Belongs to this app's module: uninstalling removes it."""
	from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

	create_custom_fields(
		{
			"Webhook": [
				{
					"fieldname": "confidentiality_basis",
					"fieldtype": "Small Text",
					"label": "Confidentiality Basis",
					"insert_after": "webhook_docevent",
					"module": MODULE,
					"description": "Required when the DocType holds protected client records: why this receiver may have them. Set by a Confidentiality Officer; each record is still sent only with its client's consent for Export naming the receiver, or an approved disclosure.",
				}
			]
		},
		update=True,
	)


def ensure_roles():
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


LETTER_SUBJECT = "What we disclosed about you ({{ doc.name }})"
LETTER_BODY = """<p>Dear {{ client_name }},</p>
<p>As our Code of conduct asks, we are writing to confirm a disclosure of your information:
{{ doc.description }}</p>
<p>It was disclosed to {{ doc.recipient_name }}, on the ground: {{ _(doc.ground) }}, because
{{ doc.purpose }}. Our letter, attached, gives the details.</p>
{% if disclosures_link %}<p>You can see every disclosure we have made about you here:
<a href="{{ disclosures_link }}">{{ disclosures_link }}</a> (the link is valid for 30 days).</p>{% endif %}
<p>If you have any question or wish to complain, please reply to this email.</p>"""


def ensure_letter_template():
	"""The email that carries the letter to the client: the office may reword it (it is
	created once and never overwritten)."""
	from confidentiality_app import disclosures

	if frappe.db.exists("Email Template", disclosures.LETTER_EMAIL_TEMPLATE):
		return
	frappe.get_doc(
		{
			"doctype": "Email Template",
			"name": disclosures.LETTER_EMAIL_TEMPLATE,
			"subject": LETTER_SUBJECT,
			"use_html": 1,
			"response_html": LETTER_BODY,
		}
	).insert(ignore_permissions=True)


def ensure_authorities():
	if not frappe.db.table_exists("Disclosure Authority"):
		return
	for name, authority_type, notes in STANDARD_AUTHORITIES:
		if not frappe.db.exists("Disclosure Authority", name):
			frappe.get_doc(
				{
					"doctype": "Disclosure Authority",
					"authority_name": name,
					"authority_type": authority_type,
					"notes": notes,
					"is_standard": 1,
				}
			).insert(ignore_permissions=True)


def ensure_purposes():
	for purpose, description in STANDARD_PURPOSES.items():
		if not frappe.db.exists("Consent Purpose", purpose):
			frappe.get_doc(
				{
					"doctype": "Consent Purpose",
					"purpose_name": purpose,
					"description": description,
					"is_standard": 1,
				}
			).insert(ignore_permissions=True)


def add_protected_defaults(apps: set[str], only: set[tuple[str, str]] | None = None):
	"""Add the default rows of `apps` that are missing (`only`: just these rows)."""
	settings = frappe.get_single("Confidentiality Settings")
	existing = {(r.document_type, r.client_field or "") for r in settings.protected_doctypes}
	added = False
	for app, doctype, field, *optional in DEFAULT_PROTECTED:
		if app not in apps or (doctype, field) in existing:
			continue
		if only is not None and (doctype, field) not in only:
			continue
		if not frappe.db.exists("DocType", doctype):
			continue
		meta = frappe.get_meta(doctype)
		if field and not meta.get_field(field.partition(".")[0]):
			continue
		settings.append(
			"protected_doctypes",
			{
				"document_type": doctype,
				"client_field": field,
				"enabled": 1,
				"client_optional": int(bool(optional and optional[0])),
				"source_app": app,
			},
		)
		added = True
	if added:
		settings.flags.system_change = True
		settings.save(ignore_permissions=True)


def before_uninstall():
	"""Leave no roles or settings behind (doctypes, the workspace and their records go
	with the module; a Single's values live in tabSingles and must go explicitly)."""
	frappe.db.delete("Singles", {"doctype": "Confidentiality Settings"})
	# the letter's email template is a record of Frappe's, not of this module
	from confidentiality_app import disclosures

	frappe.db.delete("Email Template", {"name": disclosures.LETTER_EMAIL_TEMPLATE})
	for role in ROLES:
		frappe.db.delete("Has Role", {"role": role})
		frappe.db.delete("Custom DocPerm", {"role": role})
		frappe.db.delete("DocPerm", {"role": role})
		if frappe.db.exists("Role", role):
			frappe.delete_doc("Role", role, ignore_permissions=True, force=True)
	frappe.clear_cache()
