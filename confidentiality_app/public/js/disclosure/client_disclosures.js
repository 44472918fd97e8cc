// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Disclosure: the client's disclosures, shown in the consent panel on the client's form.

import { esc } from "../shared/helpers.js";

const DISCLOSURE_COLOR = {
	"Pending Approval": "orange",
	Approved: "blue",
	Completed: "green",
	Refused: "red",
	Revoked: "gray",
};

export function render_disclosures(client) {
	const rows = client.disclosures || [];
	if (!rows.length) return "";
	let html = `<div class="consent-covers">${esc(__("Disclosures"))}</div><ul class="consent-list">`;
	for (const d of rows) {
		const color = DISCLOSURE_COLOR[d.status] || "gray";
		html += `<li>
			<a href="${esc(frappe.utils.get_form_link("Disclosure Request", d.name))}">${esc(
			d.name
		)}</a>
			<span class="indicator-pill ${color}"><span>${esc(__(d.status))}</span></span>
			<span>${esc(__(d.ground))}</span>
			<span class="text-muted small">${esc(__("to {0}", [d.recipient_name || ""]))}</span>
		</li>`;
	}
	return html + `</ul>`;
}
