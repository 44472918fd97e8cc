app_name = "confidentiality_app"
app_title = "Confidentiality"
app_publisher = "confidentiality_app contributors"
app_description = "Enforces client confidentiality (consent, disclosure, breach) for coaching and mentoring organisations on ERPNext"
app_email = "confidentiality@example.org"
app_license = "mit"

# Works on plain Frappe (Contact, Address); ERPNext, Frappe CRM and Frappe LMS defaults
# are added when those apps are installed (confidentiality_app.install).
required_apps = []

# ---------------------------------------------------------------------------
# Where each egress channel is gated. Every adapter below calls the one decision
# point, confidentiality_app.decision.gate, which logs to the Confidentiality Log.
# ---------------------------------------------------------------------------
doc_events = {
	"*": {
		# Sharing: DocShare.validate runs this on the shared document for every share
		# (share dialog, frappe.share API, everyone shares, Assign To, Frappe CRM agent
		# share) and for every edit of a share (target, holder or rights).
		"validate_share": "confidentiality_app.channels.share.validate_share",
		# Identity: who a protected record is about (client fields, conversions, contact
		# links, addresses) must not move under a decision. Widening edits are held to the
		# office; every identity change is logged and re-decides the shares it affects.
		"before_validate": "confidentiality_app.decision.identity.guard_edit",
		"validate": "confidentiality_app.decision.identity.guard_edit",
		"on_update": "confidentiality_app.decision.identity.after_edit",
		# Renames and merges (Frappe rewrites links with raw SQL): nothing a consent points
		# to may be renamed; merging consented clients is refused; shares moved are re-decided.
		"before_rename": "confidentiality_app.decision.identity.before_rename",
		"after_rename": "confidentiality_app.decision.identity.after_rename",
		# Every render of a document (printview, download_pdf, multi-PDF, network printing,
		# frappe.get_print) runs before_print: first a public view link opened with ?key=
		# (a use of a share with everyone), then the print itself (purpose Print; a print
		# for frappe.attach_print is a mail's attachment, decided with the mail).
		"before_print": [
			"confidentiality_app.channels.share_key.check_link_view",
			"confidentiality_app.channels.print.before_print",
		],
		# A new or deleted client record can change another client's identity: the cached
		# facts decisions read are made stale (confidentiality_app.decision.facts).
		"after_insert": "confidentiality_app.decision.facts.changed_record",
		"on_trash": "confidentiality_app.decision.facts.changed_record",
	},
	# Sharing backstop: a share written without validate (flags.ignore_validate, db_set).
	"DocShare": {
		"before_validate": "confidentiality_app.channels.share.backstop",
		"before_change": "confidentiality_app.channels.share.backstop",
		"on_change": "confidentiality_app.channels.share.backstop",
	},
	# Public view links (System Settings attach_view_link, get_document_share_key): a share
	# with everyone.
	"Document Share Key": {
		"before_insert": "confidentiality_app.channels.share_key.decide_key",
		"before_validate": "confidentiality_app.channels.share_key.decide_key",
		"validate": "confidentiality_app.channels.share_key.decide_key",
		"before_change": "confidentiality_app.channels.share_key.decide_key",
		"on_change": "confidentiality_app.channels.share_key.decide_key",
	},
	# A share allowed because the user could already read the record ("no new access") is
	# re-decided when that access may have gone.
	"User": {"on_update": "confidentiality_app.channels.share.user_access_changed"},
	"User Permission": {
		"on_update": "confidentiality_app.channels.share.user_permission_changed",
		"on_trash": "confidentiality_app.channels.share.user_permission_changed",
	},
	"Custom DocPerm": {
		"on_update": "confidentiality_app.channels.share.role_permissions_changed",
		"on_trash": "confidentiality_app.channels.share.role_permissions_changed",
	},
	"Role": {"on_update": "confidentiality_app.channels.share.role_changed"},
	# a consent's signed document is evidence
	"File": {"on_trash": "confidentiality_app.decision.identity.keep_evidence"},
	# Email, queue time: every mail path ends in an Email Queue row (frappe.sendmail ->
	# EmailQueue.new -> insert). Every recipient is decided; the form composer is refused,
	# anything else is held (status Held + a Held Email). before_validate runs even with
	# flags.ignore_validate.
	"Email Queue": {
		"before_validate": "confidentiality_app.channels.email.queue.queued",
		"after_insert": "confidentiality_app.channels.email.queue.after_queued",
	},
	# Email from site notifications (share, assignment, mention, alert): the mail Frappe
	# sends carries no reference; it is decided as a mail about the notification's document.
	"Notification Log": {
		"before_insert": "confidentiality_app.channels.email.notifications.notification_about",
		"after_insert": "confidentiality_app.channels.email.notifications.notification_done",
	},
	# Document Follow digests mail a record's changes to its followers.
	"Document Follow": {"after_insert": "confidentiality_app.channels.email.notifications.decide_follow"},
	# Email, standing rules: a Notification or Auto Email Report on a protected doctype may
	# not mail fixed outside addresses (or a Slack channel): no consent covers every record.
	"Notification": {"validate": "confidentiality_app.channels.email.rules.validate_notification"},
	"Auto Email Report": {"validate": "confidentiality_app.channels.email.rules.validate_auto_email_report"},
	# Marketing: a client joins a mailing list (add_subscribers, EmailGroup.import_from, REST,
	# Data Import) or an ERPNext Email Campaign only with consent for Marketing.
	"Email Group Member": {"before_validate": "confidentiality_app.channels.marketing.validate_member"},
	"Email Campaign": {"validate": "confidentiality_app.channels.marketing.validate_campaign"},
	# Presentations and social media: a published page or post that names a client (address
	# or full name) needs consent for Presentation / Social Media.
	"Web Page": {"validate": "confidentiality_app.channels.publication.validate_publication"},
	"Blog Post": {"validate": "confidentiality_app.channels.publication.validate_publication"},
	"Social Media Post": {"validate": "confidentiality_app.channels.publication.validate_publication"},
	# Frappe LMS: a learner's certificate is published only with consent for Presentation.
	"LMS Certificate": {"validate": "confidentiality_app.channels.publication.validate_certificate"},
	# Webhooks: one on a protected doctype needs a stated basis and a Confidentiality
	# Officer (each firing is decided in the worker: before_job below)
	"Webhook": {"validate": "confidentiality_app.channels.webhook.validate_webhook"},
	# Google Contacts / Calendar: a protected Contact or Event is pushed to a Google account
	# only with consent for Export naming it; otherwise the sync flag is turned off
	"Contact": {"before_validate": "confidentiality_app.channels.google.guard_sync"},
	"Event": {"before_validate": "confidentiality_app.channels.google.guard_sync"},
	# Ombudsman intake: mail to the complaints inbox, an ERPNext Issue of the complaint type
	"Communication": {"after_insert": "confidentiality_app.ombudsman.intake.from_mail"},
	"Issue": {"after_insert": "confidentiality_app.ombudsman.intake.from_issue"},
	# Frappe Helpdesk, where installed (the event never fires otherwise)
	"HD Ticket": {"after_insert": "confidentiality_app.ombudsman.intake.from_ticket"},
}

# Whitelisted methods replaced by a gated one (/api/method and /api/v2/method both honour
# these; the last installed app wins).
override_whitelisted_methods = {
	# Print: a refused PDF opened in the browser is a page saying why; a multi-document PDF
	# is decided as a whole first (Frappe skips the pages it cannot print without a word).
	"frappe.utils.print_format.download_pdf": "confidentiality_app.channels.print.download_pdf",
	"frappe.utils.print_format.download_multi_pdf": "confidentiality_app.channels.print.download_multi_pdf",
	"frappe.utils.print_format.download_multi_pdf_async": "confidentiality_app.channels.print.download_multi_pdf_async",
	# a report or list printed from the browser's HTML: the clients it names by address
	"frappe.utils.print_format.report_to_pdf": "confidentiality_app.channels.print.report_to_pdf",
	# Export: the list and report view's Export decides every row at once (set-based) and
	# writes only the rows whose clients consented to Export; the user is told the rest.
	"frappe.desk.reportview.export_query": "confidentiality_app.channels.export.export_query",
	# the Data Export tool and Data Import's template with data: the same rule, the file is
	# written with the export's queries limited to the rows allowed
	"frappe.core.doctype.data_export.exporter.export_data": "confidentiality_app.channels.export.export_data",
	"frappe.core.doctype.data_import.data_import.download_template": "confidentiality_app.channels.export.download_template",
	# files attached to protected records, downloaded as a zip: only those of consented records
	"frappe.core.api.file.zip_files": "confidentiality_app.channels.export.zip_files",
	# Query and script reports: rows are screened by the protected records their Link
	# columns name (set-based); the Export file, a prepared report's download and an
	# integration's run hold only rows allowed for Export
	"frappe.desk.query_report.export_query": "confidentiality_app.channels.report.export_query",
	"frappe.desk.query_report.run": "confidentiality_app.channels.report.run",
	"frappe.core.doctype.prepared_report.prepared_report.download_attachment": "confidentiality_app.channels.report.download_attachment",
	# SMS: the desk's Send SMS dialog, REST and integrations (a Notification's SMS channel
	# and ERPNext's SMS Center are gated in their classes, below)
	"frappe.core.doctype.sms_settings.sms_settings.send_sms": "confidentiality_app.channels.sms.send_sms",
	# Search: global search and link search show a protected record only to a user who can
	# open it (Frappe filters global search by doctype alone; link search drops every row
	# condition for ignore_user_permissions)
	"frappe.utils.global_search.search": "confidentiality_app.channels.search.search",
	"frappe.desk.search.search_link": "confidentiality_app.channels.search.search_link",
	"frappe.desk.search.search_widget": "confidentiality_app.channels.search.search_widget",
	# API reads: Frappe counts with frappe.db.count (no permission query at all); a count of
	# a protected doctype counts only what the user (or integration) may read
	"frappe.client.get_count": "confidentiality_app.channels.api_read.get_count",
	# Presentations, Frappe LMS public pages: the guest-allowed methods that list learners
	# (certified participants, course reviews, batch students) answer without the learners
	# who have not consented to Presentation.
	"lms.lms.api.get_certified_participants": "confidentiality_app.channels.publication.lms_certified_participants",
	"lms.lms.utils.get_reviews": "confidentiality_app.channels.publication.lms_reviews",
	"lms.lms.utils.get_batch_details": "confidentiality_app.channels.publication.lms_batch_details",
}

# API reads: an integration (API key / OAuth token) reading protected records in bulk is
# an export: its list queries (REST, frappe.client.*, reportview) see only the records
# whose clients consented to Export; reading one record needs that consent too. A child
# table of a protected doctype read on its own shows anyone only the rows of parents they
# can read.
permission_query_conditions = {"*": ["confidentiality_app.channels.api_read.query_conditions"]}
has_permission = {"*": ["confidentiality_app.channels.api_read.has_permission"]}

# Email, send time: the last decision is made inside EmailQueue.send, the one method that
# talks SMTP (flush, send_now, retries, bulk jobs); a mail no longer allowed is held.
override_doctype_class = {
	"Email Queue": "confidentiality_app.channels.email.send.GatedEmailQueue",
	# Slack, from a Notification: posted straight to a webhook, decided when it fires
	"Notification": "confidentiality_app.channels.email.notifications.GatedNotification",
	# Auto Email Report: the report's rows are screened for Export before they are mailed
	"Auto Email Report": "confidentiality_app.channels.report.GatedAutoEmailReport",
	"Report": "confidentiality_app.channels.report.GatedReport",
	# Webhooks: a job before_job refused loads no Webhook, so nothing is posted
	"Webhook": "confidentiality_app.channels.webhook.GatedWebhook",
	# Files: a file attached to a protected record is private; making it public is refused
	"File": "confidentiality_app.channels.files.GatedFile",
	# SMS: ERPNext's SMS Center (bulk, marketing) sends only to clients who consented
	"SMS Center": "confidentiality_app.channels.sms_center.GatedSMSCenter",
}

# Machine egress decided in the worker, when the job runs: a webhook post of a protected
# record (channels.webhook)
before_job = ["confidentiality_app.channels.webhook.before_job"]

# When a consent is withdrawn, expires or is superseded, each channel re-decides what it
# still holds open for the client: shares and public links are removed, pending mail held.
confidentiality_consent_lost = [
	"confidentiality_app.channels.share.revoke_unconsented_shares",
	"confidentiality_app.channels.email.recheck.hold_pending",
]
# When who a record is about changes (an identity edit, a merge: decision.identity), the
# shares and public links of the records it affects are decided again.
confidentiality_records_moved = ["confidentiality_app.channels.share.recheck_records"]

# ---------------------------------------------------------------------------
# The log: entries are written on their own DB connection (confidentiality_app.log.audit);
# release it when the request or job ends.
# ---------------------------------------------------------------------------
# this app's endpoints answer errors with their message, never a traceback
before_request = ["confidentiality_app.api.errors.before_request"]
after_request = [
	# one log entry per integration request that read protected records, with its counts;
	# a whole protected record in an integration's response is decided on the response
	"confidentiality_app.channels.api_read.after_request",
	# a prepared report's stored result fetched by its file URL (not screened) is refused
	"confidentiality_app.channels.report.raw_prepared_report",
	"confidentiality_app.log.audit.close_connection",
]
after_job = ["confidentiality_app.log.audit.close_connection"]

scheduler_events = {
	"cron": {
		# seal accepted entries into the keyed chain (a bounded merge delay)
		"* * * * *": ["confidentiality_app.log.audit.seal_scheduled"],
	},
	"hourly": [
		# publish the chain's head outside the database (file, email, witness)
		"confidentiality_app.log.anchors.publish_scheduled",
		# the professional body: flag member logs that sent nothing to witness for too long
		"confidentiality_app.ombudsman.witness.flag_silent",
	],
	"daily": [
		# expire consents past Valid Until (and remove their shares); re-decide every share
		# and public link of a protected record (catches raw SQL); verify the log chain
		"confidentiality_app.tasks.daily",
		# Ombudsman cases past their stage's deadline are escalated to the officers
		"confidentiality_app.ombudsman.stages.escalate_overdue",
	],
}

# ---------------------------------------------------------------------------
# Install / migrate / uninstall
# ---------------------------------------------------------------------------
after_install = "confidentiality_app.install.after_install"
after_migrate = "confidentiality_app.install.after_migrate"
before_uninstall = "confidentiality_app.install.before_uninstall"
after_app_install = "confidentiality_app.install.after_app_install"
before_app_uninstall = "confidentiality_app.install.before_app_uninstall"

# ---------------------------------------------------------------------------
# Desk
# ---------------------------------------------------------------------------
boot_session = "confidentiality_app.boot.boot_session"
app_include_js = "confidentiality.bundle.js"

# Tests: complete ERPNext's setup wizard first when ERPNext is installed.
before_tests = "confidentiality_app.tests.utils.before_tests"
