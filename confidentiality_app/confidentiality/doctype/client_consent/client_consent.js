// Copyright (c) 2026, confidentiality_app contributors and contributors
// For license information, please see license.txt

frappe.ui.form.on("Client Consent", {
	setup(frm) {
		// Consent is recorded on client records only (Confidentiality Settings: protected
		// doctypes without a client field, e.g. Lead, Customer, Contact).
		frm.set_query("party_type", () => {
			const kinds = (frappe.boot.confidentiality || {}).client_doctypes || [];
			return { filters: { name: ["in", kinds.length ? kinds : [""]] } };
		});
		// A withdrawn consent is never amended back into force (see setup_record_new).
		if (frm.toolbar) {
			frm.toolbar.can_amend = () => false;
		}
	},

	onload(frm) {
		remember_party_type(frm);
	},

	refresh(frm) {
		remember_party_type(frm);
		frm.trigger("show_intro");
		if (frm.doc.docstatus === 1) {
			frm.trigger("setup_withdraw");
		} else if (frm.doc.docstatus === 2) {
			frm.trigger("setup_record_new");
			if (frappe.user.has_role("Confidentiality Officer")) {
				frm.add_custom_button(__("Notify Recipients"), () => notify_recipients(frm));
			}
		}
		if (frm.doc.party_type && frm.doc.party && !frm.is_new()) {
			frm.add_custom_button(
				__("Open Client"),
				() => frappe.set_route("Form", frm.doc.party_type, frm.doc.party),
				__("View")
			);
		}
	},

	show_intro(frm) {
		const status = frm.doc.status;
		if (frm.doc.docstatus === 0) {
			frm.set_intro(
				__(
					"Written evidence is required: attach the document the client signed, or link the Communication (e.g. the client's email) in which the client accepted in writing. Choose the purposes the client agreed to and, if the consent names them, the recipients. Once submitted, a consent cannot be edited: it can only be withdrawn."
				),
				"blue"
			);
		} else if (frm.doc.docstatus === 2 || status === "Withdrawn") {
			const when = frm.doc.withdrawn_on
				? frappe.datetime.str_to_user(frm.doc.withdrawn_on)
				: "";
			frm.set_intro(
				__("Withdrawn {0} by {1}. Reason: {2}", [
					when,
					frappe.utils.escape_html(frm.doc.withdrawn_by || ""),
					frappe.utils.escape_html(frm.doc.withdrawal_reason || ""),
				]) +
					" " +
					__("This consent no longer allows anything; it is kept as evidence."),
				"red"
			);
		} else if (status === "Expired") {
			frm.set_intro(
				__(
					"This consent expired on {0}. Record a new consent if the client agrees again.",
					[frappe.datetime.str_to_user(frm.doc.expired_on || frm.doc.valid_until)]
				),
				"orange"
			);
		}
	},

	setup_withdraw(frm) {
		// Withdraw replaces Cancel: a consent is never cancelled without a reason.
		frm.page.clear_secondary_action();
		if (frm.doc.status !== "Active" || !frm.has_perm("cancel")) {
			return;
		}
		const btn = frm.add_custom_button(__("Withdraw"), () => withdraw(frm));
		btn && btn.removeClass("btn-default").addClass("btn-danger");
	},

	setup_record_new(frm) {
		// Instead of Amend: the client gives a new consent, with new written evidence.
		if (!frappe.model.can_create("Client Consent")) return;
		const btn = frm.add_custom_button(__("Record New Consent"), () =>
			frappe.new_doc("Client Consent", {
				party_type: frm.doc.party_type,
				party: frm.doc.party,
			})
		);
		btn && btn.removeClass("btn-default").addClass("btn-primary");
	},

	party_type(frm) {
		// Clear the client only when the user picks another client type (this event also
		// fires when a prefilled form loads, e.g. from Record Consent on a Lead).
		const previous = frm.__confidentiality_party_type;
		remember_party_type(frm);
		if (previous !== undefined && previous !== frm.doc.party_type && frm.doc.party) {
			frm.set_value("party", "");
		}
	},

	party(frm) {
		if (!frm.doc.party) {
			frm.set_value("party_name", "");
		}
	},

	evidence_type(frm) {
		if (frm.doc.evidence_type === "Signed Document") {
			frm.set_value("evidence_communication", "");
		} else if (frm.doc.evidence_type === "Written Acceptance") {
			frm.set_value("evidence_file", "");
		}
	},
});

function remember_party_type(frm) {
	frm.__confidentiality_party_type = frm.doc.party_type;
}

function withdraw(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Withdraw Consent {0}", [frm.doc.name]),
		fields: [
			{
				fieldtype: "HTML",
				fieldname: "explanation",
				options: `<p class="text-muted">${frappe.utils.escape_html(
					__(
						"The consent is kept as evidence and is never deleted. Shares it allowed are removed, and sharing, emailing, printing and exporting this client's information is blocked again unless another consent covers it."
					)
				)}</p>`,
			},
			{
				fieldtype: "Small Text",
				fieldname: "reason",
				label: __("Reason"),
				description: __(
					"Why the client withdrew consent, e.g. the client's email of today."
				),
				reqd: 1,
			},
		],
		primary_action_label: __("Withdraw"),
		primary_action({ reason }) {
			if (!(reason || "").trim()) {
				frappe.msgprint(__("Give the reason the consent is withdrawn."));
				return;
			}
			dialog.disable_primary_action();
			frappe.call({
				method: "confidentiality_app.api.withdraw_consent",
				args: { consent: frm.doc.name, reason: reason.trim() },
				freeze: true,
				freeze_message: __("Withdrawing consent..."),
				callback() {
					dialog.hide();
					frappe.show_alert({
						message: __("Consent {0} withdrawn", [frm.doc.name]),
						indicator: "orange",
					});
					frm.reload_doc();
				},
				always() {
					dialog.enable_primary_action();
				},
			});
		},
	});
	dialog.get_primary_btn().removeClass("btn-primary").addClass("btn-danger");
	dialog.show();
}

// After a withdrawal: who received information under the consent, and a notice to them
// (it names no client: it gives the date and the log references of what was sent).
function notify_recipients(frm) {
	frappe
		.call("confidentiality_app.api.consent_recipients", { consent: frm.doc.name })
		.then(({ message }) => {
			const rows = message || [];
			if (!rows.length) {
				frappe.msgprint(__("Nobody outside received information under this consent."));
				return;
			}
			const dialog = new frappe.ui.Dialog({
				title: __("Tell the recipients the consent was withdrawn"),
				fields: [
					{
						fieldname: "recipients",
						fieldtype: "MultiCheck",
						label: __("Received information under this consent"),
						options: rows.map((r) => ({
							label: `${r.recipient} (${r.channels.join(", ")}, ${frappe.datetime.str_to_user(r.last)})`,
							value: r.recipient,
							checked: 1,
						})),
					},
				],
				primary_action_label: __("Send Notice"),
				primary_action({ recipients }) {
					frappe
						.call("confidentiality_app.api.send_withdrawal_notice", {
							consent: frm.doc.name,
							recipients,
						})
						.then(({ message }) => {
							dialog.hide();
							frappe.show_alert({
								message: __("Notice sent to {0}", [(message || []).join(", ")]),
								indicator: "green",
							});
						});
				},
			});
			dialog.show();
		});
}
