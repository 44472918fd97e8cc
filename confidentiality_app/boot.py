"""boot_session: tell the desk which doctypes are protected (for the consent panel)."""

from confidentiality_app.decision import clients

# The purposes whose egress channels this release gates (see hooks.py).
ENFORCED_PURPOSES = ("Share", "Email", "Marketing", "Presentation")


def boot_session(bootinfo):
	try:
		rules = clients.protected_rules()
		bootinfo.confidentiality = {
			"protected_doctypes": sorted(rules),
			"client_doctypes": sorted(clients.client_doctypes()),
			"mode": clients.settings().mode or "Enforce",
			"enforced_purposes": list(ENFORCED_PURPOSES),
		}
	except Exception:
		bootinfo.confidentiality = {"protected_doctypes": [], "client_doctypes": [], "mode": "Enforce"}
