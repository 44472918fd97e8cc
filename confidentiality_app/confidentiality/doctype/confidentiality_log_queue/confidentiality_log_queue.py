# Copyright (c) 2026, confidentiality_app contributors
# For license information, please see license.txt
"""Confidentiality Log Queue: entries the gate accepted and the sealer has not yet chained
(confidentiality_app.log.audit). Written and removed only by audit, with SQL on its own
connection or in the caller's transaction; nothing may create, change or delete one
through the ORM."""

from confidentiality_app.confidentiality.doctype.confidentiality_log.confidentiality_log import (
	ConfidentialityLog,
)


class ConfidentialityLogQueue(ConfidentialityLog):
	"""Refuses every ORM insert, change, deletion and rename, as the log does."""
