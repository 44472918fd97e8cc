"""boot_session: tell the desk which doctypes are protected (for the consent panel)."""

from confidentiality_app import clients


def boot_session(bootinfo):
	try:
		rules = clients.protected_rules()
		bootinfo.confidentiality = {
			"protected_doctypes": sorted(rules),
			"client_doctypes": sorted(clients.client_doctypes()),
		}
	except Exception:
		bootinfo.confidentiality = {"protected_doctypes": [], "client_doctypes": []}
