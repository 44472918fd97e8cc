// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

// Document and client are plain text, so that a rename never rewrites the evidence; they
// still open the record they name (when it exists under that name).
function confidentiality_log_link(doctype, name) {
	if (!doctype || !name) return frappe.utils.escape_html(name || "");
	const route = `/app/${frappe.router.slug(doctype)}/${encodeURIComponent(name)}`;
	return `<a href="${route}" title="${frappe.utils.escape_html(__(doctype))}">${frappe.utils.escape_html(name)}</a>`;
}

frappe.listview_settings["Confidentiality Log"] = {
	add_fields: ["outcome", "decision", "mode", "reference_doctype", "client_doctype"],

	formatters: {
		reference_name(value, df, doc) {
			return confidentiality_log_link(doc.reference_doctype, value);
		},
		client_name(value, df, doc) {
			return confidentiality_log_link(doc.client_doctype, value);
		},
	},
	hide_name_column: false,

	get_indicator(doc) {
		const colors = {
			Blocked: "red",
			Monitored: "orange",
			Allowed: "green",
			Revoked: "purple",
			Recorded: "blue",
			Held: "orange",
			Withheld: "red",
			Discarded: "gray",
		};
		// Widgets that do not load the outcome (e.g. workspace quick lists) get no pill.
		if (!doc.outcome) return;
		return [__(doc.outcome), colors[doc.outcome] || "gray", "outcome,=," + doc.outcome];
	},

	onload(listview) {
		// The log is append-only: entries are written by the confidentiality gate, never by hand.
		listview.can_create = false;
		listview.page.clear_primary_action();

		// Entries are accepted at once and sealed into the chain within a minute: seal now
		// so the list shows every entry.
		frappe
			.xcall("confidentiality_app.api.seal_log")
			.then((sealed) => sealed && listview.refresh())
			.catch(() => {});

		if (frappe.user.has_role(["Confidentiality Officer", "Ombudsman Officer", "System Manager"])) {
			listview.page.add_inner_button(__("Verify Chain"), () => confidentiality_verify_dialog());
		}
	},
};

function confidentiality_verify_dialog() {
	frappe.xcall("confidentiality_app.api.verify_log").then((result) => {
		const esc = frappe.utils.escape_html;
		const summary = result.ok
			? `<div class="alert alert-success">${__(
					"The chain verifies: {0} entries, head {1}, {2} published heads matched.",
					[result.entries, result.head_sequence, result.anchors_checked]
			  )}</div>`
			: `<div class="alert alert-danger">${__(
					"The chain does not verify: {0} problem(s) in {1} entries.",
					[result.problems.length, result.entries]
			  )}</div>`;
		const rows = (result.problems || [])
			.map(
				(p) =>
					`<tr><td>${p.name ? confidentiality_log_link("Confidentiality Log", p.name) : "-"}</td>` +
					`<td>${p.sequence === null ? "-" : esc(String(p.sequence))}</td><td>${esc(p.problem)}</td></tr>`
			)
			.join("");
		const table = rows
			? `<table class="table table-bordered table-sm confidentiality-verify-problems">
				<thead><tr><th>${__("Entry")}</th><th>${__("Sequence")}</th><th>${__("Problem")}</th></tr></thead>
				<tbody>${rows}</tbody></table>`
			: "";
		const dialog = new frappe.ui.Dialog({
			title: __("Confidentiality Log Verification"),
			size: "large",
			fields: [{ fieldtype: "HTML", fieldname: "result" }],
		});
		dialog.fields_dict.result.$wrapper.html(
			`<div class="confidentiality-verify-result" data-ok="${result.ok ? 1 : 0}">${summary}` +
				`<p class="text-muted small">${__("Head hash")}: <code>${esc(result.head_hash)}</code></p>${table}</div>`
		);
		dialog.show();
	});
}
