"""bench commands: `bench --site SITE verify-confidentiality-log`."""

import click
from frappe.commands import get_site, pass_context


@click.command("verify-confidentiality-log")
@pass_context
def verify_confidentiality_log(context):
	"""Walk the Confidentiality Log hash chain and report the first bad entry."""
	import frappe

	from confidentiality_app import audit

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		result = audit.verify()
	finally:
		frappe.destroy()
	if result.ok:
		click.secho(f"Confidentiality Log OK: {result.entries} entries verified.", fg="green")
		return
	click.secho(
		f"Confidentiality Log BROKEN at {result.first_bad} ({result.problem}); {result.entries} entries read.",
		fg="red",
	)
	raise SystemExit(1)


commands = [verify_confidentiality_log]
