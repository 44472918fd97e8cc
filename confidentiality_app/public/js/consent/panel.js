// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Consent: the "Client Consent" panel on every protected form, and its registration.
//
// For each doctype in frappe.boot.confidentiality.protected_doctypes (set by
// confidentiality_app.boot.boot_session) the form shows, above its tabs, the clients the
// record names and the consents that cover each of them, with a "Record Consent" action.
// The panel is informative only: the server (confidentiality_app.decision.gate) decides every share,
// email, print and export. Any failure here leaves the form working.

import { esc, boot_info, client_doctypes } from "../shared/helpers.js";
import { render_client, summary } from "./panel_render.js";
import { new_consent, add_record_consent_button } from "./record_consent.js";
import { add_request_disclosure_button } from "../disclosure/request_disclosure.js";
import { add_log_button } from "../log/log_button.js";

const PANEL_CLASS = "confidentiality-consent-panel";

const CSS = `
	.${PANEL_CLASS} {
		border: 1px solid var(--border-color);
		border-radius: var(--border-radius-md);
		background-color: var(--card-bg);
		margin-bottom: var(--margin-md);
		padding: var(--padding-sm) var(--padding-md);
	}
	.${PANEL_CLASS} .consent-panel-head {
		display: flex;
		align-items: center;
		justify-content: space-between;
		gap: var(--margin-sm);
		cursor: pointer;
		font-weight: var(--weight-semibold, 600);
		color: var(--heading-color);
		padding: var(--padding-xs) 0;
	}
	.${PANEL_CLASS} .consent-panel-head .consent-panel-summary {
		font-weight: normal;
		margin-left: var(--margin-sm);
	}
	.${PANEL_CLASS}.collapsed .consent-panel-body {
		display: none;
	}
	.${PANEL_CLASS} .consent-client {
		padding: var(--padding-sm) 0;
	}
	.${PANEL_CLASS} .consent-client + .consent-client {
		border-top: 1px dashed var(--border-color);
	}
	.${PANEL_CLASS} .consent-client-head {
		display: flex;
		align-items: center;
		justify-content: space-between;
		gap: var(--margin-sm);
		flex-wrap: wrap;
	}
	.${PANEL_CLASS} .consent-empty {
		margin-top: var(--margin-xs);
		color: var(--red-600, #e24c4c);
	}
	.${PANEL_CLASS} .consent-covers {
		margin-top: var(--margin-xs);
	}
	.${PANEL_CLASS} .consent-purpose.consent-missing {
		background: transparent;
		border: 1px dashed var(--border-color);
		color: var(--text-muted);
	}
	.${PANEL_CLASS} .consent-missing-label {
		margin-left: var(--margin-sm);
	}
	.${PANEL_CLASS} .consent-list {
		list-style: none;
		padding-left: 0;
		margin: var(--margin-xs) 0 0 0;
	}
	.${PANEL_CLASS} .consent-list li {
		display: flex;
		align-items: center;
		flex-wrap: wrap;
		gap: var(--margin-sm);
		padding: 2px 0;
	}
	.${PANEL_CLASS} .consent-purpose {
		display: inline-block;
		padding: 0 6px;
		border-radius: var(--border-radius-sm);
		background: var(--control-bg);
		color: var(--text-color);
		font-size: var(--text-xs);
		margin-right: 2px;
	}
`;

function render_panel(frm, $panel, data) {
	const clients = data.clients || [];
	const kinds = client_doctypes(data);
	const is_client_doctype = kinds.includes(frm.doctype);
	let body;
	if (!clients.length) {
		body = `<div class="text-muted consent-client">${esc(
			__(
				"This record names no client yet. Once it does, the client's consent decides whether it can be shared, emailed, printed or exported."
			)
		)}</div>`;
	} else {
		body = clients
			.map((client) => render_client(client, !!data.can_record, is_client_doctype))
			.join("");
	}
	$panel.find(".consent-panel-summary").html(summary(clients));
	$panel.find(".consent-panel-body").html(body);
	$panel.find(".consent-record-btn").on("click", function (e) {
		e.preventDefault();
		e.stopPropagation();
		new_consent($(this).attr("data-party-type"), $(this).attr("data-party"));
	});
}

function make_panel(frm) {
	remove_panel(frm);
	const wrapper = frm.layout && frm.layout.wrapper;
	if (!wrapper || !wrapper.length) return null;
	frappe.dom.set_style(CSS, "confidentiality-consent-panel-style");

	const collapsed = localStorage.getItem("confidentiality-consent-panel-collapsed") === "1";
	const $panel = $(`
		<div class="${PANEL_CLASS} ${collapsed ? "collapsed" : ""}">
			<div class="consent-panel-head" title="${esc(__("Show or hide"))}">
				<span>
					${esc(__("Client Consent"))}
					<span class="consent-panel-summary"></span>
				</span>
				<span class="consent-panel-toggle text-muted">${frappe.utils.icon(
					collapsed ? "es-line-down" : "es-line-up",
					"sm"
				)}</span>
			</div>
			<div class="consent-panel-body">
				<div class="text-muted small">${esc(__("Loading client consent..."))}</div>
			</div>
		</div>
	`);
	$panel.find(".consent-panel-head").on("click", () => {
		const now_collapsed = !$panel.hasClass("collapsed");
		$panel.toggleClass("collapsed", now_collapsed);
		$panel
			.find(".consent-panel-toggle")
			.html(frappe.utils.icon(now_collapsed ? "es-line-down" : "es-line-up", "sm"));
		localStorage.setItem(
			"confidentiality-consent-panel-collapsed",
			now_collapsed ? "1" : "0"
		);
	});

	// Above the tabs: visible whichever tab is open (the form dashboard of Lead,
	// Customer, Quotation... sits in their Connections tab).
	const $message = wrapper.children(".form-message");
	if ($message.length) {
		$panel.insertAfter($message);
	} else {
		$panel.prependTo(wrapper);
	}
	return $panel;
}

function remove_panel(frm) {
	frm.layout &&
		frm.layout.wrapper &&
		frm.layout.wrapper.children("." + PANEL_CLASS).remove();
}

function add_buttons(frm, data) {
	const group = __("Confidentiality");
	add_record_consent_button(frm, data, group);
	add_request_disclosure_button(frm, data, group);
	add_log_button(frm, group);
}

function refresh(frm) {
	try {
		if (frm.is_new() || !frm.doc.name) {
			remove_panel(frm);
			return;
		}
		const $panel = make_panel(frm);
		if (!$panel) return;
		const token = (frm.__confidentiality_token = (frm.__confidentiality_token || 0) + 1);
		const doctype = frm.doctype;
		const name = frm.doc.name;
		const still_current = () =>
			frm.__confidentiality_token === token &&
			frm.doctype === doctype &&
			frm.doc &&
			frm.doc.name === name &&
			$.contains(document.documentElement, $panel[0]);

		frappe.call({
			method: "confidentiality_app.api.client_consents",
			type: "GET",
			args: { doctype, name },
			quiet: true,
			silent: true,
			callback(r) {
				if (!still_current()) return;
				try {
					const data = r.message || {};
					if (!data.protected) {
						$panel.remove();
						return;
					}
					frm.__confidentiality_data = data;
					render_panel(frm, $panel, data);
					add_buttons(frm, data);
				} catch (e) {
					console.error("confidentiality_app: consent panel", e);
					show_unavailable($panel);
				}
			},
			error() {
				if (still_current()) show_unavailable($panel);
			},
		});
	} catch (e) {
		console.error("confidentiality_app: consent panel", e);
	}
}

function show_unavailable($panel) {
	$panel
		.find(".consent-panel-body")
		.html(
			`<div class="text-muted small">${esc(
				__(
					"Client consent could not be loaded. Sharing, emailing, printing and exporting are still checked when you try them."
				)
			)}</div>`
		);
}

confidentiality_app.consent_panel.refresh = refresh;
confidentiality_app.consent_panel.new_consent = new_consent;

function setup() {
	const doctypes = boot_info().protected_doctypes || [];
	for (const doctype of doctypes) {
		frappe.ui.form.on(doctype, { refresh });
	}
}

if (frappe.boot && frappe.boot.confidentiality) {
	setup();
} else {
	$(document).on("startup", setup);
}
