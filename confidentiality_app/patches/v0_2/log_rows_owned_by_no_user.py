"""Log rows written before v0.2 were owned by the acting user, and Frappe's User rename
rewrites `owner` / `modified_by` in every table. The actor is kept in the hashed `user`
field; owner and modified_by become the constant audit.ROW_OWNER (not hashed, so the
chain still verifies)."""

import frappe

from confidentiality_app.log.audit import ROW_OWNER


def execute():
	frappe.db.sql(
		"UPDATE `tabConfidentiality Log` SET owner = %s, modified_by = %s",
		(ROW_OWNER, ROW_OWNER),
	)
