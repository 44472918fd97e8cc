// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Ombudsman Case: the stage actions and the determination call the whitelisted API; the
// server checks every rule (confidentiality_app.ombudsman, confidentiality_app.rules.determination).

const CASE_NEXT = {
	Received: ["Acknowledged"],
	Acknowledged: ["Under Investigation"],
	"Under Investigation": [],
	Determination: ["Sanctions", "Closed"],
	Sanctions: ["Closed"],
	Closed: ["Appeal"],
	Appeal: ["Under Investigation", "Closed"],
};

frappe.ui.form.on("Ombudsman Case", {
	setup(frm) {
		// an Ombudsman Officer need not read the office's client records: the client is named
		// by its ID (the server checks it exists when the case is saved)
		frm.set_df_property("client", "ignore_link_validation", 1);
	},
	refresh(frm) {
		if (frm.is_new()) return;
		frm.page.set_indicator(__(frm.doc.status), frm.doc.escalated ? "red" : "blue");
		if (frm.doc.escalated) {
			frm.set_intro(__("This stage is overdue (due {0}).", [frappe.datetime.str_to_user(frm.doc.due_on)]), "red");
		}
		if (!frappe.user.has_role("Ombudsman Officer")) return;
		for (const to of CASE_NEXT[frm.doc.status] || []) {
			frm.add_custom_button(__(to), () => move(frm, to), __("Move To"));
		}
		frm.add_custom_button(__("Evidence Pack"), () => show_evidence(frm));
		if (["Under Investigation", "Appeal"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Determine"), () => determine(frm)).addClass("btn-primary");
		}
		if (frm.doc.client && !frm.doc.referral) {
			frm.add_custom_button(__("Refer to Regulator"), () => refer(frm));
		} else if (frm.doc.referral) {
			frm.add_custom_button(__("Send Referral"), () =>
				frappe
					.call("confidentiality_app.api.send_referral", { case: frm.doc.name })
					.then(({ message }) => {
						frappe.show_alert({ message: __("Referral queued: {0}", [message]), indicator: "green" });
						frm.reload_doc();
					})
			);
		}
		if (frm.doc.breach_of_confidentiality) {
			frm.add_custom_button(__("Raise Sanction"), () =>
				frappe.new_doc("Sanction", {
					case: frm.doc.name,
					practitioner: (frm.doc.respondents[0] || {}).practitioner,
				})
			);
		}
	},
});

function refer(frm) {
	frappe.prompt(
		[
			{
				fieldname: "authority",
				fieldtype: "Link",
				options: "Disclosure Authority",
				label: __("Regulator or Government Body"),
				reqd: 1,
			},
			{
				fieldname: "ground",
				fieldtype: "Select",
				label: __("Ground"),
				options: ["Serious Danger", "Government Requirement"],
				reqd: 1,
			},
			{ fieldname: "authority_reference", fieldtype: "Data", label: __("Their Reference") },
			{ fieldname: "purpose", fieldtype: "Small Text", label: __("Why The Case Is Referred"), reqd: 1 },
		],
		(values) =>
			frappe
				.call("confidentiality_app.api.refer_case", { case: frm.doc.name, ...values })
				.then(({ message }) => {
					frappe.show_alert({
						message: __("Referral {0} awaits the Confidentiality Office's approval", [message]),
						indicator: "orange",
					});
					frm.reload_doc();
				}),
		__("Refer to a Regulator (a disclosure)"),
		__("Request Referral")
	);
}

function move(frm, to) {
	frappe
		.call("confidentiality_app.api.move_case", { case: frm.doc.name, to })
		.then(() => frm.reload_doc());
}

function released_rows(pack) {
	return (pack.log || []).map((e) => ({
		log_entry: e.name,
		released: `${e.action}: ${e.reference_doctype} ${e.reference_name}`,
		recipient: e.recipient,
		when: e.timestamp,
		basis: e.basis,
		valid_reason: 0,
		ground: "",
		within_agreement: 1,
	}));
}

function show_evidence(frm) {
	frappe.call("confidentiality_app.api.evidence_pack", { case: frm.doc.name }).then(({ message }) => {
		const rows = released_rows(message || {});
		const esc = frappe.utils.escape_html;
		let html = rows.length
			? `<table class="table table-bordered"><tr><th>${__("Log Entry")}</th><th>${__("When")}</th><th>${__(
					"Released"
			  )}</th><th>${__("To Whom")}</th><th>${__("Basis")}</th></tr>` +
			  rows
					.map(
						(r) =>
							`<tr><td>${esc(r.log_entry)}</td><td>${esc(r.when)}</td><td>${esc(r.released)}</td><td>${esc(
								r.recipient || ""
							)}</td><td>${esc(r.basis || "")}</td></tr>`
					)
					.join("") +
			  "</table>"
			: `<p class="text-muted">${__("No release of the client's information by the respondents in the period.")}</p>`;
		html += `<p>${__("Consents: {0}; disclosures: {1}", [
			(message.consents || []).map((c) => esc(c.name)).join(", ") || __("none"),
			(message.disclosures || []).map((d) => esc(d.name)).join(", ") || __("none"),
		])}</p>`;
		html += `<p class="text-muted small">${__(
			"The verifiable pack holds these entries with their inclusion proofs and the log's signed checkpoint: anyone with the site's public key checks it with python -m confidentiality_app.logverify."
		)}</p><button class="btn btn-default btn-sm confidentiality-download-pack">${__("Download Verifiable Pack")}</button>`;
		const dialog = frappe.msgprint({ title: __("Evidence Pack"), message: html, wide: true });
		dialog.$wrapper.find(".confidentiality-download-pack").on("click", () => {
			const blob = new Blob([JSON.stringify(message.verifiable, null, 1)], { type: "application/json" });
			const link = document.createElement("a");
			link.href = URL.createObjectURL(blob);
			link.download = `${frm.doc.name}-evidence-pack.json`;
			link.click();
		});
	});
}

function determine(frm) {
	frappe.call("confidentiality_app.api.evidence_pack", { case: frm.doc.name }).then(({ message }) => {
		const rows = released_rows(message || {});
		if (!rows.length) {
			frappe.msgprint(__("The evidence pack holds no release to determine."));
			return;
		}
		const dialog = new frappe.ui.Dialog({
			title: __("Determine: was each release made for a valid reason?"),
			size: "extra-large",
			fields: [
				{
					fieldname: "findings",
					fieldtype: "Table",
					cannot_add_rows: true,
					in_place_edit: true,
					data: rows,
					fields: [
						{ fieldname: "log_entry", fieldtype: "Data", label: __("Log Entry"), read_only: 1, in_list_view: 1 },
						{ fieldname: "released", fieldtype: "Data", label: __("Released"), read_only: 1, in_list_view: 1 },
						{ fieldname: "recipient", fieldtype: "Data", label: __("To Whom"), read_only: 1, in_list_view: 1 },
						{ fieldname: "valid_reason", fieldtype: "Check", label: __("Valid Reason"), in_list_view: 1 },
						{
							fieldname: "ground",
							fieldtype: "Select",
							label: __("Ground"),
							options: ["", "Written Consent", "Government Requirement", "Serious Danger"],
							in_list_view: 1,
						},
						{ fieldname: "within_agreement", fieldtype: "Check", label: __("Within The Agreement"), in_list_view: 1 },
						{ fieldname: "notes", fieldtype: "Small Text", label: __("Evidence For The Finding") },
					],
				},
			],
			primary_action_label: __("Record Determination"),
			primary_action({ findings }) {
				frappe
					.call("confidentiality_app.api.determine", { case: frm.doc.name, findings })
					.then(() => {
						dialog.hide();
						frm.reload_doc();
					});
			},
		});
		dialog.show();
	});
}
