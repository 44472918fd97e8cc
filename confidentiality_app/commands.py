"""bench commands for the Confidentiality Log.

bench --site SITE verify-confidentiality-log [--anchor JSON] [--anchor-file PATH] [--key-file PATH]
bench --site SITE confidentiality-log-anchor [--force]
bench --site SITE confidentiality-log-rotate-key
"""

import json

import click
from frappe.commands import get_site, pass_context


def _site(context):
	import frappe

	frappe.init(site=get_site(context))
	frappe.connect()
	return frappe


@click.command("verify-confidentiality-log")
@click.option("--anchor", "anchor_json", help="A published head (JSON) to check the chain against.")
@click.option("--anchor-file", help="A file of published heads (one JSON per line); default: the site's.")
@click.option(
	"--key-file",
	help='Verify with these keys instead of the site\'s: JSON {"keys": {"<id>": "<base64>"}} (e.g. the ombudsman\'s copy).',
)
@pass_context
def verify_confidentiality_log(context, anchor_json=None, anchor_file=None, key_file=None):
	"""Walk the whole Confidentiality Log: every entry's keyed hash, its link, and the
	chain against the published heads. Lists every problem; exits 1 if there is one."""
	frappe = _site(context)
	from confidentiality_app.log import anchors, verification
	from confidentiality_app.rules import chain

	try:
		held = None
		if key_file:
			import base64

			with open(key_file) as f:
				held = {k: base64.b64decode(v) for k, v in json.load(f)["keys"].items()}
		result = verification.verify(
			# default: the site's anchor file, with its check that no published head was lost
			anchors=anchors.read(anchor_file) if anchor_file else None,
			held_keys=held,
			extra_anchors=[chain.Anchor.from_dict(json.loads(anchor_json))] if anchor_json else (),
		)
	finally:
		frappe.destroy()
	if result.ok:
		click.secho(
			f"Confidentiality Log OK: {result.entries} entries verified, head {result.head_sequence}, "
			f"{result.anchors_checked} published heads matched.",
			fg="green",
		)
		return
	click.secho(
		f"Confidentiality Log BROKEN: {len(result.problems)} problem(s) in {result.entries} entries read.",
		fg="red",
	)
	for problem in result.problems:
		click.echo(f"  {problem.name or '-'} (sequence {problem.sequence}): {problem.problem}")
	raise SystemExit(1)


@click.command("confidentiality-log-anchor")
@click.option("--force", is_flag=True, help="Publish even if the head has not moved.")
@pass_context
def confidentiality_log_anchor(context, force=False):
	"""Seal the log and publish its signed head: anchor file, email, witness."""
	frappe = _site(context)
	from confidentiality_app.log import anchors

	try:
		result = anchors.publish(force=force)
		frappe.db.commit()
	finally:
		frappe.destroy()
	click.echo(json.dumps(result, indent=1, default=str))
	if result.get("witness_ok") is False:
		raise SystemExit(1)


@click.command("confidentiality-log-rotate-key")
@pass_context
def confidentiality_log_rotate_key(context):
	"""Make a new key current for sealing the log (older keys are kept to verify)."""
	frappe = _site(context)
	from confidentiality_app.log import keys

	try:
		key_id = keys.rotate()
	finally:
		frappe.destroy()
	click.echo(f"New current key: {key_id}")


commands = [verify_confidentiality_log, confidentiality_log_anchor, confidentiality_log_rotate_key]
