"""Verify an evidence pack of the Confidentiality Log on any machine, without a bench: Python and
`cryptography` only (no frappe import; tests/unit/test_layout.py keeps it so).

    python -m confidentiality_app.logverify PACK.json --key VERIFIER_KEY [--key ...]

A verifier key is the log's published `name+keyid+key` text (or a file holding it). The pack
(format below) is checked: the checkpoint's signature by a given key; each entry's leaf
(rebuilt from its fields) in the checkpoint's tree by its inclusion proof; each revealed value
against the leaf's commitment; an earlier checkpoint, when the pack holds one, signed and
consistent with the latest (the log only grew). Every failure is named by entry. Exit status:
0 all verified, 1 something failed, 2 the pack or a key could not be read.

Pack (JSON, "format": "confidentiality-log-pack/1"):
    {"format": ..., "checkpoint": "<signed note>",
     "entries": [{"index": 0-based leaf index, "leaf": {leaf fields},
                  "revealed": {"client_name": {"value": "...", "salt": "<hex>"}, ...},
                  "proof": ["<hex>", ...]}, ...],
     "previous": {"checkpoint": "<signed note>", "consistency": ["<hex>", ...]}}   (optional)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from confidentiality_app.rules import leaf as leaves
from confidentiality_app.rules import merkle, note

FORMAT = leaves.PACK_FORMAT


class PackError(ValueError):
	"""The pack cannot be read (not a failed check: a malformed input)."""


def _hashes(values, what: str) -> list[bytes]:
	if not isinstance(values, list):
		raise PackError(f"{what} is a list of hex hashes")
	try:
		return [bytes.fromhex(v) for v in values]
	except (TypeError, ValueError):
		raise PackError(f"{what} holds a value that is not hex") from None


def verify_pack(pack: dict, verifiers: list[note.Verifier]) -> tuple[list[str], list[str]]:
	"""(what verified, what failed), each a list of sentences."""
	if not isinstance(pack, dict) or pack.get("format") != FORMAT:
		raise PackError(f"not a {FORMAT} pack")
	ok: list[str] = []
	failed: list[str] = []
	try:
		checkpoint, signatures = note.open_checkpoint(pack.get("checkpoint") or "", verifiers)
	except note.NoteError as e:
		return ok, [f"checkpoint: {e}"]
	ok.append(
		f"checkpoint of {checkpoint.origin}: {checkpoint.size} entries, signed by "
		+ ", ".join(s.name for s in signatures)
	)
	entries = pack.get("entries")
	if not isinstance(entries, list):
		raise PackError("entries is a list")
	for position, item in enumerate(entries):
		if not isinstance(item, dict) or not isinstance(item.get("leaf"), dict):
			raise PackError(f"entry {position} has no leaf")
		fields = item["leaf"]
		label = f"entry {fields.get('sequence', '?')} (leaf {item.get('index')})"
		index = item.get("index")
		proof = _hashes(item.get("proof", []), f"{label}: proof")
		if not isinstance(index, int) or not merkle.verify_inclusion(
			merkle.leaf_hash(leaves.encode(fields)), index, checkpoint.size, proof, checkpoint.root
		):
			failed.append(f"{label}: not in the checkpoint's tree (its content or its proof was changed)")
			continue
		bad = [
			field
			for field, opened in (item.get("revealed") or {}).items()
			if not (
				isinstance(opened, dict)
				and leaves.opens(fields, field, opened.get("value"), opened.get("salt", ""))
			)
		]
		if bad:
			failed.append(f"{label}: revealed {', '.join(sorted(bad))} do not match the entry")
		else:
			ok.append(
				f"{label}: included"
				+ (f", {len(item.get('revealed') or {})} value(s) revealed" if item.get("revealed") else "")
			)
	previous = pack.get("previous")
	if previous:
		try:
			earlier, _ = note.open_checkpoint(previous.get("checkpoint") or "", verifiers)
		except note.NoteError as e:
			failed.append(f"earlier checkpoint: {e}")
		else:
			proof = _hashes(previous.get("consistency", []), "previous.consistency")
			if earlier.origin != checkpoint.origin:
				failed.append("earlier checkpoint: another log's")
			elif earlier.size == checkpoint.size and earlier.root != checkpoint.root:
				failed.append(
					f"split view: two checkpoints of {checkpoint.size} entries with different roots, both signed: "
					"the log was shown with two histories"
				)
			elif merkle.verify_consistency(
				earlier.size, checkpoint.size, earlier.root, checkpoint.root, proof
			):
				ok.append(
					f"the log of {earlier.size} entries is the beginning of the log of {checkpoint.size}"
				)
			else:
				failed.append(
					f"earlier checkpoint ({earlier.size} entries) is not the beginning of the latest "
					f"({checkpoint.size}): entries were changed or removed"
				)
	return ok, failed


def _key(text: str) -> note.Verifier:
	path = Path(text)
	if "+" not in text and path.exists():
		text = path.read_text().strip()
	return note.parse_verifier_key(text)


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(
		prog="python -m confidentiality_app.logverify", description=__doc__.split("\n\n")[0]
	)
	parser.add_argument("pack", help="the evidence pack (JSON)")
	parser.add_argument(
		"--key", action="append", required=True, help="a verifier key (text or file); repeat for more"
	)
	args = parser.parse_args(argv)
	try:
		verifiers = [_key(k) for k in args.key]
		pack = json.loads(Path(args.pack).read_text())
		ok, failed = verify_pack(pack, verifiers)
	except (OSError, json.JSONDecodeError, note.NoteError, PackError) as e:
		print(f"cannot verify: {e}", file=sys.stderr)
		return 2
	for line in ok:
		print(f"ok      {line}")
	for line in failed:
		print(f"FAILED  {line}")
	print(f"{len(ok)} verified, {len(failed)} failed")
	return 1 if failed else 0


if __name__ == "__main__":
	raise SystemExit(main())
