"""Public API (whitelisted, permission-checked), by concern. Used by the desk, other apps and
tests; every name stays importable as `confidentiality_app.api.<name>`. Wiring: it may import
any layer (rules, log, decision, disclosures, ombudsman, channels); no layer imports it."""

from confidentiality_app.api.consent import check, client_consents, record_consent, withdraw_consent
from confidentiality_app.api.disclosure import (
	approve_disclosure,
	complete_disclosure,
	refuse_disclosure,
	request_disclosure,
)
from confidentiality_app.api.email import discard_held_email, release_held_email
from confidentiality_app.api.log import (
	log_checkpoint,
	log_consistency_proof,
	log_export_pack,
	log_inclusion_proof,
	log_public_keys,
	log_redact_client,
	log_reveal,
	log_verification,
	publish_log_anchor,
	seal_log,
	start_log_verification,
	verify_log,
)
from confidentiality_app.api.ombudsman import (
	determine,
	evidence_pack,
	file_complaint,
	move_case,
	refer_case,
	send_referral,
)
from confidentiality_app.api.withdrawal import consent_recipients, send_withdrawal_notice
from confidentiality_app.api.witness import witness_add_checkpoint, witness_public_key

__all__ = [
	"approve_disclosure",
	"check",
	"client_consents",
	"complete_disclosure",
	"consent_recipients",
	"determine",
	"discard_held_email",
	"evidence_pack",
	"file_complaint",
	"log_checkpoint",
	"log_consistency_proof",
	"log_export_pack",
	"log_inclusion_proof",
	"log_public_keys",
	"log_redact_client",
	"log_reveal",
	"log_verification",
	"move_case",
	"publish_log_anchor",
	"record_consent",
	"refer_case",
	"refuse_disclosure",
	"release_held_email",
	"request_disclosure",
	"seal_log",
	"send_referral",
	"send_withdrawal_notice",
	"start_log_verification",
	"verify_log",
	"withdraw_consent",
	"witness_add_checkpoint",
	"witness_public_key",
]
