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
# point, confidentiality_app.gate, which logs to the Confidentiality Log.
# ---------------------------------------------------------------------------
doc_events = {
	"*": {
		# Sharing: DocShare.validate runs this on the shared document for every share
		# (share dialog, frappe.share API, everyone shares, Assign To, Frappe CRM agent share).
		"validate_share": "confidentiality_app.channels.share.validate_share",
	},
}

# ---------------------------------------------------------------------------
# The log: entries are written on their own DB connection (confidentiality_app.audit);
# release it when the request or job ends.
# ---------------------------------------------------------------------------
after_request = ["confidentiality_app.audit.close_connection"]
after_job = ["confidentiality_app.audit.close_connection"]

scheduler_events = {
	"daily": [
		# expire consents past Valid Until (and remove their shares); verify the log chain
		"confidentiality_app.tasks.daily",
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
