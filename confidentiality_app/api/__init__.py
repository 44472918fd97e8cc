"""Public API (whitelisted, permission-checked), by concern. Used by the desk, other apps and
tests; every name stays importable as `confidentiality_app.api.<name>`."""

from confidentiality_app.api.consent import check, client_consents, record_consent, withdraw_consent
from confidentiality_app.api.email import discard_held_email, release_held_email
from confidentiality_app.api.log import publish_log_anchor, seal_log, verify_log

__all__ = [
	"check",
	"client_consents",
	"discard_held_email",
	"publish_log_anchor",
	"record_consent",
	"release_held_email",
	"seal_log",
	"verify_log",
	"withdraw_consent",
]
