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
	add_fields: ["outcome", "decision", "mode", "reference_doctype", "client_doctype", "redacted_on"],

	formatters: {
		reference_name(value, df, doc) {
			return confidentiality_log_link(doc.reference_doctype, value);
		},
		client_name(value, df, doc) {
			if (!value && doc.redacted_on) return `<span class="text-muted">${__("redacted")}</span>`;
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
		if (frappe.user.has_role(["Confidentiality Officer", "Ombudsman Officer"])) {
			listview.page.add_inner_button(__("Client Evidence Pack"), () => confidentiality_client_dialog("pack"), __("Client"));
		}
		if (frappe.user.has_role("Confidentiality Officer")) {
			listview.page.add_inner_button(__("Redact Client"), () => confidentiality_client_dialog("redact"), __("Client"));
		}
	},
};

// A client's entries: the evidence pack (every entry about them, with proofs and values,
// downloaded as JSON), or their redaction (values and salts erased, proofs kept).
function confidentiality_client_dialog(kind) {
	const redact = kind === "redact";
	const dialog = new frappe.ui.Dialog({
		title: redact ? __("Redact A Client From The Log") : __("Client Evidence Pack"),
		fields: [
			{ fieldname: "client_doctype", fieldtype: "Link", options: "DocType", label: __("Client Type"), reqd: 1, default: "Lead" },
			{ fieldname: "client_name", fieldtype: "Dynamic Link", options: "client_doctype", label: __("Client"), reqd: 1 },
			...(redact
				? [
						{ fieldname: "identifiers", fieldtype: "Small Text", label: __("Other Identifiers"), description: __("Addresses or names the client's records no longer hold, one per line.") },
						{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1, description: __("E.g. the client's erasure request and its date.") },
						{ fieldname: "help", fieldtype: "HTML", options: `<p class="text-muted small">${__("Their values are erased from every entry for ever; the entries and every proof stay valid, and the redaction is itself logged.")}</p>` },
				  ]
				: []),
		],
		primary_action_label: redact ? __("Redact") : __("Download Pack"),
		primary_action(values) {
			if (redact) {
				frappe.confirm(__("Erase this client's values from the log? This cannot be undone."), () =>
					frappe
						.xcall("confidentiality_app.api.log_redact_client", {
							client_doctype: values.client_doctype,
							client_name: values.client_name,
							reason: values.reason,
							identifiers: JSON.stringify((values.identifiers || "").split("\n").map((s) => s.trim()).filter(Boolean)),
						})
						.then((r) => {
							dialog.hide();
							frappe.msgprint(__("{0} entries redacted ({1} values erased).", [r.entries.length, r.fields]));
							cur_list && cur_list.refresh();
						})
				);
				return;
			}
			frappe
				.xcall("confidentiality_app.api.log_export_pack", {
					client_doctype: values.client_doctype,
					client_name: values.client_name,
				})
				.then((pack) => {
					const blob = new Blob([JSON.stringify(pack, null, 1)], { type: "application/json" });
					const link = document.createElement("a");
					link.href = URL.createObjectURL(blob);
					link.download = `${values.client_name}-log-pack.json`;
					link.click();
					dialog.hide();
				});
		},
	});
	dialog.show();
}

// Verify Chain: the last full verification (run in the background: every entry, the keyed
// chain, the Merkle tree against every published checkpoint), and a button to run it again.
function confidentiality_verify_dialog() {
	const esc = frappe.utils.escape_html;
	const dialog = new frappe.ui.Dialog({
		title: __("Confidentiality Log Verification"),
		size: "large",
		fields: [{ fieldtype: "HTML", fieldname: "result" }],
		primary_action_label: __("Run Verification Now"),
		primary_action() {
			dialog.get_primary_btn().prop("disabled", true);
			frappe.xcall("confidentiality_app.api.start_log_verification").then(() => poll());
		},
	});
	const render = (run) => {
		const wrapper = dialog.fields_dict.result.$wrapper;
		if (!run) {
			wrapper.html(
				`<div class="confidentiality-verify-result" data-status="none"><p class="text-muted">${__(
					"No full verification has run yet. Run one now: it checks every entry, the keyed chain and the Merkle tree against every published checkpoint."
				)}</p></div>`
			);
			return;
		}
		const running = ["Queued", "Running"].includes(run.status);
		const when = run.finished_on || run.started_on;
		let summary;
		if (running) {
			summary = `<div class="alert alert-info">${__("Verification {0}: {1} of {2} entries checked…", [
				__(run.status),
				run.entries_checked || 0,
				run.entries_total || 0,
			])}</div>`;
		} else if (run.status === "Passed") {
			summary = `<div class="alert alert-success">${__(
				"The log verifies: {0} entries, tree of {1}, {2} published checkpoints and {3} chain heads matched, {4} redacted entries.",
				[run.entries_checked, run.tree_size, run.checkpoints_checked, run.anchors_checked, run.redacted || 0]
			)}</div>`;
		} else if (run.status === "Failed") {
			summary = `<div class="alert alert-danger">${__("The log does not verify: {0} problem(s) in {1} entries.", [
				run.problem_count,
				run.entries_checked,
			])}</div>`;
		} else {
			summary = `<div class="alert alert-warning">${__("The verification could not run: {0}", [esc(run.error || "")])}</div>`;
		}
		const rows = (run.problems || [])
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
		wrapper.html(
			`<div class="confidentiality-verify-result" data-status="${esc(run.status)}" data-ok="${
				run.status === "Passed" ? 1 : 0
			}">${summary}` +
				`<p class="text-muted small">${__("Run {0} on {1}", [
					`<a href="/app/confidentiality-log-verification/${esc(String(run.name))}">${esc(String(run.name))}</a>`,
					esc(frappe.datetime.str_to_user(when)),
				])}</p>` +
				(run.tree_root ? `<p class="text-muted small">${__("Tree root")}: <code>${esc(run.tree_root)}</code></p>` : "") +
				`${table}</div>`
		);
		dialog.get_primary_btn().prop("disabled", running);
	};
	const poll = () =>
		frappe.xcall("confidentiality_app.api.log_verification").then((run) => {
			render(run);
			if (run && ["Queued", "Running"].includes(run.status) && dialog.display) {
				setTimeout(poll, 2000);
			}
		});
	dialog.show();
	poll();
}
