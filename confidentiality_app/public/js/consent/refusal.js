// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Consent: a refusal by the gate offers "Record Consent" for the client concerned.

import { default_client } from "../shared/helpers.js";
import { new_consent } from "./record_consent.js";

// A refusal from the gate (ConfidentialityBlocked, HTTP 403) on the open form: show the
// server's message as usual, with a Record Consent button for the client concerned.
// Registering a handler stops frappe.request from showing the message itself, so any
// failure here falls back to the plain message.
function show_refusal(r) {
	let messages = [];
	try {
		messages = JSON.parse(r._server_messages || "[]").map((m) =>
			typeof m === "string" ? JSON.parse(m) : m
		);
	} catch (e) {
		messages = [];
	}
	if (!messages.length) {
		frappe.msgprint({
			title: __("Refused by confidentiality rules"),
			message: __(
				"The client has not consented to this. Record the client's written consent first."
			),
			indicator: "red",
		});
		return;
	}
	try {
		const frm = window.cur_frm;
		const data = frm && frm.__confidentiality_data;
		const text = messages.map((m) => m.message || "").join(" ");
		const client =
			frm && data && frm.doc && text.includes(frm.doc.name)
				? default_client(frm, data)
				: null;
		frappe.hide_msgprint();
		messages.forEach((m, i) => {
			const last = i === messages.length - 1;
			const options = Object.assign({}, m, { indicator: m.indicator || "red" });
			if (last && client && data.can_record) {
				options.primary_action = {
					label: __("Record Consent"),
					action: () => {
						frappe.hide_msgprint();
						$(".modal.show").modal("hide");
						new_consent(client.party_type, client.party);
					},
				};
			}
			frappe.msgprint(options);
		});
	} catch (e) {
		console.error("confidentiality_app: refusal dialog", e);
		frappe.msgprint(messages);
	}
}

frappe.request.on_error("ConfidentialityBlocked", show_refusal);
