// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// A "Client Consent" panel on every protected form.
//
// For each doctype in frappe.boot.confidentiality.protected_doctypes (set by
// confidentiality_app.boot.boot_session) the form shows, above its tabs, the clients the
// record names and the consents that cover each of them, with a "Record Consent" action.
// The panel is informative only: the server (confidentiality_app.gate) decides every share,
// email, print and export. Any failure here leaves the form working.

frappe.provide("confidentiality_app.consent_panel");

(function () {
	const PANEL_CLASS = "confidentiality-consent-panel";

	const STATUS_COLOR = {
		Active: "green",
		Expired: "orange",
		Withdrawn: "red",
		Draft: "gray",
		"Not Yet Valid": "blue",
	};

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

	// What leaves the site through the gated channels, and so needs consent.
	const GATED_PURPOSES = ["Share", "Email", "Print", "Export"];

	const esc = (value) => frappe.utils.escape_html(value == null ? "" : String(value));

	function boot_info() {
		return (frappe.boot && frappe.boot.confidentiality) || {};
	}

	function monitor_mode() {
		return boot_info().mode === "Monitor";
	}

	function client_doctypes(data) {
		return (data && data.client_doctypes) || boot_info().client_doctypes || [];
	}

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

	function render_client(client, can_record, is_client_doctype) {
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

	const DISCLOSURE_COLOR = {
		"Pending Approval": "orange",
		Approved: "blue",
		Completed: "green",
		Refused: "red",
		Revoked: "gray",
	};

	function render_disclosures(client) {
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

	function summary(clients) {
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

	function new_consent(party_type, party) {
		const values = {};
		if (party_type && party) {
			values.party_type = party_type;
			values.party = party;
		}
		frappe.new_doc("Client Consent", values);
	}

	// The client the toolbar's Record Consent is for: the record itself when it is a
	// client record, else the first client it names.
	function default_client(frm, data) {
		if (client_doctypes(data).includes(frm.doctype)) {
			return { party_type: frm.doctype, party: frm.doc.name };
		}
		const first = (data && data.clients && data.clients[0]) || null;
		return first ? { party_type: first.party_type, party: first.party } : null;
	}

	function add_buttons(frm, data) {
		const group = __("Confidentiality");
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
		if (frappe.model.can_read("Confidentiality Log")) {
			frm.add_custom_button(
				__("Confidentiality Log"),
				() =>
					frappe.set_route("List", "Confidentiality Log", {
						reference_doctype: frm.doctype,
						reference_name: frm.doc.name,
					}),
				group
			);
		}
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
})();
