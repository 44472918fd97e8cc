"""Disclosures: the Code's grounds made concrete, checkable and recorded.

A Disclosure Request names a client, what is disclosed (records and a plain description),
to whom, by which channels, and on which of the Code's grounds (rule 2):

1. **Written Consent**: a Client Consent of the client that covers every channel to this
   recipient, within the Confidentiality Agreement made at the start (rule 3), and the
   written consent of every other person or organisation the information involves;
2. **Government Requirement**: a government body in the Disclosure Authority register and
   its request reference; the information goes to that body;
3. **Serious Danger**: the compelling evidence recorded, a second Confidentiality Officer
   (not the requester) approves, and the recipient is the regulator or a government body in
   the register; any other recipient is refused. Whether the client is told, and why not,
   is recorded.

Approval makes it a grant the one decision point honours (`consents._load_disclosures`):
only its records, its channels, its recipient, its window, its number of uses. Each use is
logged with the disclosure as basis and the Code clause it rests on; a use outside the
scope is refused as if there were no disclosure. Completion writes to the client (the
letter), unless ground 3 recorded that telling them would increase the danger.

Every transition is logged (channel "Disclosure"); a refused approval is logged too, on the
log's own connection, and survives the rollback.

Modules: `request` (what a request names, its log entries), `grounds` (the checks), `lifecycle`
(approve, refuse, complete, revoke), `letter` (to the client). Imports the decision point, the log
and the rules; never a channel.

The package's public names are re-exported here (`confidentiality_app.disclosures.<name>`);
hooks.py names the modules themselves."""

from confidentiality_app.disclosures.grounds import check_request
from confidentiality_app.disclosures.letter import client_email, client_page_link, send_letter
from confidentiality_app.disclosures.lifecycle import approve, complete, notify, officers, refuse, revoked
from confidentiality_app.disclosures.request import (
	CHANNEL,
	CHANNELS,
	DOCTYPE,
	GROUND_CLAUSE,
	LETTER_EMAIL_TEMPLATE,
	LETTER_PRINT_FORMAT,
	DisclosureRefused,
	channels_of,
	clause_of,
	entry_for,
	log_attempt,
	log_request,
	log_transition,
	raise_refused,
	recipient_ids,
	records_of,
	write_transition,
)

__all__ = [
	"CHANNEL",
	"CHANNELS",
	"DOCTYPE",
	"DisclosureRefused",
	"GROUND_CLAUSE",
	"LETTER_EMAIL_TEMPLATE",
	"LETTER_PRINT_FORMAT",
	"approve",
	"channels_of",
	"check_request",
	"clause_of",
	"client_email",
	"client_page_link",
	"complete",
	"entry_for",
	"log_attempt",
	"log_request",
	"log_transition",
	"notify",
	"officers",
	"raise_refused",
	"recipient_ids",
	"records_of",
	"refuse",
	"revoked",
	"send_letter",
	"write_transition",
]
