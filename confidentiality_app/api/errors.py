"""Errors from this app's endpoints carry their message, never a traceback.

Frappe sends a traceback with every error when System Settings allow it (*Allow Error
Traceback*), to anyone, Guest included, and also for errors it raises itself before an
endpoint runs (a guest calling a method that is not open to guests). For this app's methods
(`/api/method/confidentiality_app.*`, v1 and v2) the request is marked so that Frappe never
does (`frappe.local.flags.disable_traceback`): bad input gets its translated message alone.
"""

from __future__ import annotations

import frappe

PREFIXES = (
	"/api/method/confidentiality_app.",
	"/api/v1/method/confidentiality_app.",
	"/api/v2/method/confidentiality_app.",
)


def before_request(*args, **kwargs):
	request = getattr(frappe.local, "request", None)
	if request is not None and request.path.startswith(PREFIXES):
		frappe.local.flags.disable_traceback = True
