"""The log's public page (/confidentiality_log): what anyone outside the organisation needs to
verify it, and nothing about anyone: the log's origin, the public keys that sign its
checkpoints (old ones too, after a rotation), the latest signed checkpoint, and how to check
an evidence pack. The same data is served as text by the API
(confidentiality_app.api.log_public_keys and log_checkpoint)."""

from __future__ import annotations

import frappe
from frappe import _

from confidentiality_app.log import checkpoints, keys

no_cache = 1


def get_context(context):
	context.title = _("Confidentiality Log: how to verify it")
	context.no_breadcrumbs = True
	try:
		context.origin = keys.origin()
		context.public_keys = keys.public_keys()
		context.checkpoint = checkpoints.current()["checkpoint"]
	except (keys.KeyUnavailable, checkpoints.CheckpointError, frappe.ValidationError):
		frappe.log_error(title="Confidentiality Log public page")
		context.origin, context.public_keys, context.checkpoint = "", [], ""
		context.unavailable = True
