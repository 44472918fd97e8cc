// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Consent: the HTML of the consent panel (each client, their consents, agreement and summary).

import { esc, boot_info, monitor_mode } from "../shared/helpers.js";
import { render_disclosures } from "../disclosure/client_disclosures.js";

const STATUS_COLOR = {
	Active: "green",
	Expired: "orange",
	Withdrawn: "red",
	Draft: "gray",
	"Not Yet Valid": "blue",
};

// What leaves the site through the gated channels, and so needs consent.
const GATED_PURPOSES = ["Share", "Email", "Print", "Export"];

// The status to show: the stored status, corrected for dates the daily job has not
// processed yet (the server ignores such consents already).
function effective_status(consent) {
	let status = consent.status || (consent.docstatus === 0 ? "Draft" : "");
	if (consent.docstatus === 2) return "Withdrawn";
	if (consent.docstatus === 1 && status === "Active") {
		const today = frappe.datetime.get_today();
		if (consent.valid_until && consent.valid_until < today) return "Expired";
		if (consent.valid_from && consent.valid_from > today) return "Not Yet Valid";
	}
	return status || "Draft";
}

function status_pill(status) {
	const color = STATUS_COLOR[status] || "gray";
	return `<span class="indicator-pill ${color}"><span>${esc(__(status))}</span></span>`;
}

function period(consent) {
	const from = consent.valid_from ? frappe.datetime.str_to_user(consent.valid_from) : "";
	if (consent.valid_until) {
		const until = frappe.datetime.str_to_user(consent.valid_until);
		return from ? __("{0} to {1}", [from, until]) : __("until {0}", [until]);
	}
	return from ? __("from {0}, no end date", [from]) : __("no end date");
}

function active_purposes(client) {
	const purposes = [];
	for (const consent of client.consents || []) {
		if (effective_status(consent) !== "Active") continue;
		for (const purpose of consent.purposes || []) {
			if (!purposes.includes(purpose)) purposes.push(purpose);
		}
	}
	return purposes;
}

function purpose_tags(purposes) {
	return purposes.map((p) => `<span class="consent-purpose">${esc(__(p))}</span>`).join(" ");
}

export function render_client(client, can_record, is_client_doctype) {
	const purposes = active_purposes(client);
	const label = `${esc(__(client.party_type))}: ${esc(client.title || client.party)}`;
	const show_label = !is_client_doctype;
	let html = `<div class="consent-client" data-party-type="${esc(
		client.party_type
	)}" data-party="${esc(client.party)}">`;

	html += `<div class="consent-client-head"><div>`;
	if (show_label) {
		html += `<a href="${esc(
			frappe.utils.get_form_link(client.party_type, client.party)
		)}" class="bold">${label}</a>`;
	}
	// Channels this release enforces (boot: enforced_purposes); the rest of what the
	// Code forbids is stated, not claimed to be blocked.
	const enforced = boot_info().enforced_purposes || ["Share"];
	const gerund = {
		Share: __("sharing"),
		Email: __("emailing"),
		Print: __("printing"),
		Export: __("exporting"),
		Marketing: __("marketing"),
		Presentation: __("presenting"),
	};
	const enforced_text = enforced.map((p) => gerund[p] || __(p)).join(", ");
	const blocked_word = monitor_mode()
		? __("{0} would be blocked (Monitor mode: attempts are only logged)", [enforced_text])
		: enforced.length > 1
		? __("{0} are blocked", [enforced_text])
		: __("{0} is blocked", [enforced_text]);
	if (purposes.length) {
		const missing = GATED_PURPOSES.filter((p) => !purposes.includes(p));
		html += `<div class="consent-covers">${esc(__("Consent covers:"))} ${purpose_tags(
			purposes
		)}`;
		if (missing.length) {
			const label = __("Not consented:");
			html += ` <span class="text-muted consent-missing-label">${esc(
				label
			)}</span> ${missing
				.map(
					(p) => `<span class="consent-purpose consent-missing">${esc(__(p))}</span>`
				)
				.join(" ")}`;
		}
		html += `</div>`;
	} else {
		const has_any = (client.consents || []).length > 0;
		const message = has_any
			? __(
					"No active consent: under the Code this client's information may not be shared, emailed, printed or exported ({0}).",
					[blocked_word]
			  )
			: __(
					"No consent recorded: under the Code this client's information may not be shared, emailed, printed or exported ({0}).",
					[blocked_word]
			  );
		html += `<div class="consent-empty">${esc(message)}</div>`;
	}
	html += `</div>`;
	if (can_record) {
		html += `<button class="btn btn-xs btn-default consent-record-btn" data-party-type="${esc(
			client.party_type
		)}" data-party="${esc(client.party)}">${esc(__("Record Consent"))}</button>`;
	}
	html += `</div>`;

	html += render_agreement(client);
	if ((client.consents || []).length) {
		const can_open = frappe.model.can_read("Client Consent");
		html += `<ul class="consent-list">`;
		for (const consent of client.consents) {
			const status = effective_status(consent);
			const via =
				consent.party_type !== client.party_type || consent.party !== client.party
					? `<span class="text-muted small">${esc(
							__("recorded on {0} {1}", [__(consent.party_type), consent.party])
					  )}</span>`
					: "";
			// users who may not open consents (e.g. Sales User) see the name only
			const consent_label = can_open
				? `<a href="${esc(
						frappe.utils.get_form_link("Client Consent", consent.name)
				  )}" class="consent-link">${esc(consent.name)}</a>`
				: `<span class="consent-link">${esc(consent.name)}</span>`;
			html += `<li>
				${consent_label}
				${status_pill(status)}
				<span>${purpose_tags(consent.purposes || [])}</span>
				<span class="text-muted small">${esc(period(consent))}</span>
				${via}
			</li>`;
		}
		html += `</ul>`;
	}
	html += render_disclosures(client);
	html += `</div>`;
	return html;
}

// The level of confidentiality agreed at the start (rule 3): no consent goes beyond it.
function render_agreement(client) {
	const agreement = client.agreement;
	if (!agreement) return "";
	const purposes = (agreement.purposes || []).length
		? purpose_tags(agreement.purposes)
		: esc(__("nothing"));
	const to = (agreement.recipients || []).length
		? esc(__("only to {0}", [agreement.recipients.join(", ")]))
		: "";
	return `<div class="consent-agreement small">${esc(
		__("Agreed at the start ({0}):", [frappe.datetime.str_to_user(agreement.agreed_on)])
	)} <a href="${esc(
		frappe.utils.get_form_link("Confidentiality Agreement", agreement.name)
	)}">${esc(agreement.name)}</a> ${esc(__("may ever release"))} ${purposes} ${to}</div>`;
}

export function summary(clients) {
	if (!clients.length) return "";
	const covered = clients.filter((c) => active_purposes(c).length).length;
	const pill = (color, text) =>
		`<span class="indicator-pill ${color} no-indicator-dot"><span>${esc(
			text
		)}</span></span>`;
	if (covered === clients.length) {
		return pill(
			"green",
			clients.length === 1 ? __("Active") : __("All clients consented")
		);
	}
	return pill(
		"red",
		covered ? __("Consent missing for some clients") : __("No active consent")
	);
}
