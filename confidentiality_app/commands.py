"""bench commands for the Confidentiality Log.

bench --site SITE verify-confidentiality-log [--anchor JSON] [--anchor-file PATH] [--key-file PATH]
bench --site SITE confidentiality-log-anchor [--force]
bench --site SITE confidentiality-log-rotate-key [--signing]
bench --site SITE confidentiality-log-checkpoint
bench --site SITE confidentiality-log-export --client TYPE NAME --output FILE [--reveal FIELDS]
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
			f"{result.anchors_checked} published heads matched; Merkle tree of {result.tree_size} entries "
			f"(root {result.tree_root or '-'}), {result.checkpoints_checked} signed checkpoints matched, "
			f"{result.redacted} redacted entries.",
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
@click.option("--signing", is_flag=True, help="Rotate the Ed25519 key that signs checkpoints instead.")
@pass_context
def confidentiality_log_rotate_key(context, signing=False):
	"""Make a new key current for sealing the log, or with --signing for signing its
	checkpoints (older keys are kept to verify)."""
	frappe = _site(context)
	from confidentiality_app.log import keys

	try:
		if signing:
			click.echo(f"New signing key (publish it to whoever verifies the log): {keys.rotate_signing()}")
		else:
			click.echo(f"New current key: {keys.rotate()}")
	finally:
		frappe.destroy()


def _fail(message: str, status: int = 2):
	click.secho(f"Error: {message}", fg="red", err=True)
	raise SystemExit(status)


@click.command("confidentiality-log-checkpoint")
@pass_context
def confidentiality_log_checkpoint(context):
	"""Print the log's signed checkpoint (C2SP tlog-checkpoint, Ed25519 signed note) and the
	verifier keys that check it."""
	frappe = _site(context)
	from confidentiality_app.log import checkpoints, keys

	try:
		try:
			current = checkpoints.current()
			public = keys.public_keys()
		except (keys.KeyUnavailable, frappe.ValidationError) as e:
			_fail(frappe.utils.strip_html_tags(str(e)))
	finally:
		frappe.destroy()
	click.echo(current["checkpoint"], nl=False)
	for key in public:
		click.echo(f"# verifier key{' (current)' if key['current'] else ''}: {key['key']}", err=True)


@click.command("confidentiality-log-export")
@click.option(
	"--client",
	nargs=2,
	required=True,
	metavar="TYPE NAME",
	help="The client record, e.g. Lead CRM-LEAD-2026-00001.",
)
@click.option(
	"--output",
	required=True,
	type=click.Path(dir_okay=False, writable=True),
	help="Where to write the pack (JSON).",
)
@click.option(
	"--reveal",
	default="all",
	help='Fields whose values are revealed: "all" (default), "none", or a comma list.',
)
@pass_context
def confidentiality_log_export(context, client, output, reveal="all"):
	"""Write the evidence pack of every log entry about a client: the signed checkpoint, each
	entry's leaf and inclusion proof, the revealed values, the consistency proof from the last
	published checkpoint. Check it with python -m confidentiality_app.logverify."""
	frappe = _site(context)
	from confidentiality_app.api import log as api_log
	from confidentiality_app.log import packs

	try:
		frappe.set_user("Administrator")
		try:
			party = api_log._client(*client)
			if reveal == "none":
				chosen = ()
			else:
				chosen = api_log._reveal(reveal)
			pack = packs.for_parties(api_log._parties(party), reveal=chosen)
			api_log._log_pack_export(party, len(pack["entries"]), "Export Log Pack")
			frappe.db.commit()
		except frappe.ValidationError as e:
			_fail(frappe.utils.strip_html_tags(str(e)))
		try:
			with open(output, "w") as f:
				json.dump(pack, f, indent=1, sort_keys=True)
		except OSError as e:
			_fail(f"cannot write {output}: {e.strerror}")
	finally:
		frappe.destroy()
	click.echo(f"{len(pack['entries'])} entries written to {output}")


commands = [
	verify_confidentiality_log,
	confidentiality_log_anchor,
	confidentiality_log_rotate_key,
	confidentiality_log_checkpoint,
	confidentiality_log_export,
]
