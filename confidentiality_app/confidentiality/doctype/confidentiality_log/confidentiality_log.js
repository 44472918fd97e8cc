// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt

// Entries are evidence: read-only for everyone. Document and client are stored as text
// (a rename must never rewrite the log); these buttons open what they name.
frappe.ui.form.on("Confidentiality Log", {
	refresh(frm) {
		frm.disable_save();
		const open = (doctype, name, label) => {
			if (doctype && name) {
				frm.add_custom_button(label, () => frappe.set_route("Form", doctype, name), __("Open"));
			}
		};
		open(frm.doc.reference_doctype, frm.doc.reference_name, __("Document"));
		open(frm.doc.client_doctype, frm.doc.client_name, __("Client"));
		if (frm.doc.redacted_on) {
			frm.dashboard.set_headline_alert(
				__("Redacted on {0} by {1}, reason: {2}. Fields erased: {3}. The entry and its proofs stay valid.", [
					frappe.datetime.str_to_user(frm.doc.redacted_on),
					frappe.utils.escape_html(frm.doc.redacted_by || ""),
					frappe.utils.escape_html(frm.doc.redaction_reason || ""),
					frappe.utils.escape_html(frm.doc.redacted_fields || ""),
				]),
				"orange"
			);
		}
		if (frappe.user.has_role(["Confidentiality Officer", "Ombudsman Officer"])) {
			frm.add_custom_button(__("Proof And Revealed Values"), () => confidentiality_reveal(frm), __("Verify"));
		}
	},
});

// One entry's evidence pack (its leaf, inclusion proof and the signed checkpoint), with the
// chosen fields' values and salts revealed, downloaded as JSON for a third party to check
// with `python -m confidentiality_app.logverify PACK.json --key KEY`.
function confidentiality_reveal(frm) {
	const fields = ["user", "reference_name", "client_name", "recipient", "reason", "basis", "context"];
	const erased = (frm.doc.redacted_fields || "").split(", ");
	const dialog = new frappe.ui.Dialog({
		title: __("Reveal Values With Their Proof"),
		fields: fields.map((f) => ({
			fieldname: f,
			fieldtype: "Check",
			label: __(frappe.meta.get_label("Confidentiality Log", f)),
			default: erased.includes(f) ? 0 : 1,
			read_only: erased.includes(f) ? 1 : 0,
			description: erased.includes(f) ? __("Redacted: nothing left to reveal") : "",
		})),
		primary_action_label: __("Download Pack"),
		primary_action(values) {
			const chosen = fields.filter((f) => values[f]);
			frappe
				.xcall("confidentiality_app.api.log_reveal", { entry: frm.doc.name, fields: JSON.stringify(chosen) })
				.then((pack) => {
					const blob = new Blob([JSON.stringify(pack, null, 1)], { type: "application/json" });
					const link = document.createElement("a");
					link.href = URL.createObjectURL(blob);
					link.download = `${frm.doc.name}-pack.json`;
					link.click();
					dialog.hide();
				});
		},
	});
	dialog.show();
}
