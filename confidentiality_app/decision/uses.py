"""Uses of a disclosure: a release that rests on a disclosure limited to N uses takes one,
atomically, so that two requests cannot both take the last (a decision made by `gate`)."""

from __future__ import annotations

import frappe

from confidentiality_app.decision import epoch
from confidentiality_app.log import audit
from confidentiality_app.rules import policy


def touched() -> set[str]:
	"""The disclosures this transaction wrote: a use of one is counted in this transaction
	(the log's connection would wait for this transaction's own row lock)."""
	names = getattr(frappe.local, "confidentiality_disclosures_touched", None)
	if names is None:
		names = frappe.local.confidentiality_disclosures_touched = set()
		frappe.db.after_commit.add(_forget_touched)
		frappe.db.after_rollback.add(_forget_touched)
	return names


def _forget_touched():
	frappe.local.confidentiality_disclosures_touched = None


_USE = """UPDATE `tabDisclosure Request` SET `uses` = `uses` + 1
	WHERE `name` = %s AND `docstatus` = 1 AND `status` = 'Approved'
	AND (`max_uses` = 0 OR `uses` < `max_uses`)"""


def use(decision: policy.Decision) -> policy.Decision:
	"""Count one use of each limited disclosure a release rests on, atomically: committed at
	once on the log's own connection (a read-only request, a print, never commits), so two
	requests cannot both take the last use. A disclosure used up in between refuses the
	release (fail closed)."""
	for name in decision.counted_disclosures:
		try:
			if name in touched():
				frappe.db.sql(_USE, (name,))
				counted = frappe.db._cursor.rowcount
			else:
				db = audit.connection()
				if db._conn is None:
					db.connect()
				db._cursor.execute(_USE, (name,))
				counted = db._cursor.rowcount
				audit.commit_if_open(db)
		except Exception as e:
			frappe.log_error(title="Confidentiality: disclosure use not counted")
			return policy.unavailable(f"disclosure {name}: {type(e).__name__}: {e}")
		if counted != 1:
			return policy.Decision(
				False,
				policy.USED_UP,
				client=decision.client,
				detail=name,
				clause=policy.CLAUSE_NON_DISCLOSURE,
			)
		epoch.incr()  # its uses left changed: decisions cached elsewhere are stale
	return decision
