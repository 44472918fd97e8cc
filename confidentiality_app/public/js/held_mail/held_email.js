// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Release or discard held mail (Held Email form and list). Both go through the whitelisted
// API, which decides a release again and logs both.

window.confidentiality_release_held = function (names, done) {
	if (!names || !names.length) {
		frappe.msgprint(__("Select the held emails to release."));
		return;
	}
	frappe.confirm(
		__(
			"Release {0} held email(s)? Each is decided again against the consents in force now and, if allowed, sent once.",
			[names.length]
		),
		() => {
			const results = [];
			const next = (i) => {
				if (i >= names.length) {
					const failed = results.filter((r) => !r.ok);
					if (failed.length) {
						frappe.msgprint({
							title: __("Not released"),
							indicator: "red",
							message: failed.map((r) => `<p><b>${r.name}</b>: ${r.message}</p>`).join(""),
						});
					} else {
						frappe.show_alert({ message: __("Released and sent"), indicator: "green" });
					}
					done && done();
					return;
				}
				frappe
					.call({
						method: "confidentiality_app.api.release_held_email",
						args: { held_email: names[i] },
						freeze: true,
						error_msg: null,
					})
					.then(() => results.push({ name: names[i], ok: true }))
					.catch((r) =>
						results.push({
							name: names[i],
							ok: false,
							message: frappe.utils.escape_html(
								(r && r._server_messages && JSON.parse(JSON.parse(r._server_messages)[0]).message) ||
									__("Refused")
							),
						})
					)
					.finally(() => next(i + 1));
			};
			next(0);
		}
	);
};

window.confidentiality_discard_held = function (names, done) {
	if (!names || !names.length) {
		frappe.msgprint(__("Select the held emails to discard."));
		return;
	}
	frappe.prompt(
		[{ fieldname: "reason", fieldtype: "Small Text", label: __("Why is it discarded?"), reqd: 1 }],
		async ({ reason }) => {
			for (const name of names) {
				await frappe.call({
					method: "confidentiality_app.api.discard_held_email",
					args: { held_email: name, reason },
				});
			}
			frappe.show_alert({ message: __("Discarded; kept for the record"), indicator: "gray" });
			done && done();
		},
		__("Discard {0} held email(s)", [names.length]),
		__("Discard")
	);
};
