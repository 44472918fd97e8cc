"""The signed, expiring link to the client's own page (www/client_disclosures): what was
disclosed about them, to whom and why. The letter to the client carries it; the page checks it."""

from __future__ import annotations

import hashlib
import hmac
import time

import frappe

LINK_DAYS = 30
ROUTE = "client_disclosures"


def signature(party_type: str, party: str, expires: int) -> str:
	from frappe.utils.password import get_encryption_key

	message = f"{party_type}\n{party}\n{expires}".encode()
	return hmac.new(get_encryption_key().encode(), message, hashlib.sha256).hexdigest()


def signed_link(party_type: str, party: str, days: int = LINK_DAYS) -> str:
	from urllib.parse import urlencode

	expires = int(time.time()) + days * 86400
	query = urlencode(
		{
			"party_type": party_type,
			"party": party,
			"expires": expires,
			"signature": signature(party_type, party, expires),
		}
	)
	return f"{frappe.utils.get_url()}/{ROUTE}?{query}"
