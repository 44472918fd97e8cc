// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Disclosure: "Request Disclosure" in the Confidentiality menu of the client's form.

import { default_client } from "../shared/helpers.js";

export function add_request_disclosure_button(frm, data, group) {
	const client = default_client(frm, data);
	if (data.can_request_disclosure && client) {
		frm.add_custom_button(
			__("Request Disclosure"),
			() =>
				frappe.new_doc("Disclosure Request", {
					party_type: client.party_type,
					party: client.party,
				}),
			group
		);
	}
}
