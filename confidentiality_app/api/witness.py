"""The professional body's witness endpoint (C2SP tlog-witness `add-checkpoint`) and its public
key. Open to guests: a member site calls it as itself, authenticated by the signature on its
checkpoint (a key registered on its Member Organisation), not by a login."""

from __future__ import annotations

import frappe
from werkzeug.wrappers import Response


@frappe.whitelist(allow_guest=True, methods=["POST"])
def witness_add_checkpoint():
	"""Witness a member's checkpoint: 200 with the body's cosignature line; 409 with the size
	the body holds (prove consistency from there); 422 for a rollback or split view; 403 for a
	checkpoint no active member's key signed; 400 / 413 for a malformed or oversized request."""
	from confidentiality_app.ombudsman import witness

	answer = witness.add_checkpoint(frappe.request.get_data())
	return Response(answer.text, status=answer.status, mimetype="text/plain; charset=utf-8")


@frappe.whitelist(allow_guest=True, methods=["GET"])
def witness_public_key():
	"""The verifier key of this site's witness (members set it as their Witness Verifier Key)."""
	from confidentiality_app.log import keys
	from confidentiality_app.ombudsman import witness

	if not witness.site_is_body():
		frappe.throw(
			frappe._("This site is not a professional body: it witnesses no log."), frappe.DoesNotExistError
		)
	return keys.witness_public_key()
