// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Disclosure Request: the transitions (Approve, Refuse, Complete) call the whitelisted API;
// the server checks every ground and every rule (confidentiality_app.disclosures).

const DISCLOSURE_COLOR = {
	Draft: "gray",
	"Pending Approval": "orange",
	Approved: "blue",
	Completed: "green",
	Refused: "red",
	Revoked: "gray",
};

frappe.ui.form.on("Disclosure Request", {
	setup(frm) {
		frm.set_query("party_type", () => ({
			filters: { name: ["in", (frappe.boot.confidentiality || {}).client_doctypes || []] },
		}));
		// a Table MultiSelect takes its query on the table field itself
		frm.set_query("channels", () => ({
			filters: { name: ["in", ["Email", "Print", "Export", "Share"]] },
		}));
		frm.set_query("authority", () => {
			const types =
				frm.doc.ground === "Government Requirement"
					? ["Government Body"]
					: ["Regulator", "Government Body"];
			return { filters: { disabled: 0, authority_type: ["in", types] } };
		});
	},

	refresh(frm) {
		if (frm.doc.status) {
			frm.page.set_indicator(__(frm.doc.status), DISCLOSURE_COLOR[frm.doc.status] || "gray");
		}
		if (frm.doc.docstatus !== 1) return;
		const officer = frappe.user.has_role("Confidentiality Officer");
		if (frm.doc.status === "Pending Approval" && officer) {
			frm.add_custom_button(__("Approve"), () => approve(frm)).addClass("btn-primary");
			frm.add_custom_button(__("Refuse"), () => refuse(frm));
		}
		if (
			frm.doc.status === "Approved" &&
			(officer || frm.doc.requested_by === frappe.session.user)
		) {
			frm.add_custom_button(
				frm.doc.client_told ? __("Complete and Write to the Client") : __("Complete"),
				() => complete(frm)
			).addClass("btn-primary");
		}
		if (frm.doc.letter_file) {
			frm.add_custom_button(__("Open Letter"), () => window.open(frm.doc.letter_file));
		}
		if (frm.doc.letter_note) {
			frm.set_intro(frm.doc.letter_note, frm.doc.letter_sent ? "green" : "orange");
		}
	},

	authority(frm) {
		if (!frm.doc.authority) return;
		frappe.db
			.get_value("Disclosure Authority", frm.doc.authority, ["authority_name", "email"])
			.then(({ message }) => {
				if (!message) return;
				frm.set_value("recipient_name", message.authority_name);
				if (message.email) frm.set_value("recipient_email", message.email);
			});
	},
});

function approve(frm) {
	const serious = frm.doc.ground === "Serious Danger";
	frappe.confirm(
		serious
			? __(
					"Approve this disclosure on serious danger to {0}? It will allow only what it names, until {1}.",
					[frm.doc.recipient_name, frm.doc.valid_until || __("30 days from today")]
			  )
			: __("Approve this disclosure to {0}? It will allow only what it names.", [
					frm.doc.recipient_name,
			  ]),
		() =>
			frappe
				.call("confidentiality_app.api.approve_disclosure", { request: frm.doc.name })
				.then(() => frm.reload_doc())
	);
}

function refuse(frm) {
	frappe.prompt(
		{ fieldname: "reason", fieldtype: "Small Text", label: __("Why is it refused?"), reqd: 1 },
		({ reason }) =>
			frappe
				.call("confidentiality_app.api.refuse_disclosure", { request: frm.doc.name, reason })
				.then(() => frm.reload_doc()),
		__("Refuse Disclosure"),
		__("Refuse")
	);
}

function complete(frm) {
	frappe.confirm(
		frm.doc.client_told
			? __(
					"Mark the disclosure as made? It will allow nothing more, and the letter to the client is written and emailed."
			  )
			: __(
					"Mark the disclosure as made? It will allow nothing more. No letter: {0}",
					[frm.doc.not_told_reason]
			  ),
		() =>
			frappe
				.call("confidentiality_app.api.complete_disclosure", { request: frm.doc.name })
				.then(() => frm.reload_doc())
	);
}
