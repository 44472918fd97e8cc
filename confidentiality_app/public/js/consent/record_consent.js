// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Consent: "Record Consent", a new Client Consent for a client (menu, panel and refusal).

import { default_client } from "../shared/helpers.js";

export function new_consent(party_type, party) {
	const values = {};
	if (party_type && party) {
		values.party_type = party_type;
		values.party = party;
	}
	frappe.new_doc("Client Consent", values);
}

export function add_record_consent_button(frm, data, group) {
	if (data.can_record) {
		const consent_client = default_client(frm, data);
		if (consent_client) {
			frm.add_custom_button(
				__("Record Consent"),
				() => new_consent(consent_client.party_type, consent_client.party),
				group
			);
		}
	}
}
