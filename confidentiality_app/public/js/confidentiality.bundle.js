// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Desk side of confidentiality_app, one file per feature. The server
// (confidentiality_app.decision.gate) decides every share, email, print and export; nothing here is
// a control, and any failure leaves the desk working.
//
// The single bundle entry (hooks.py: app_include_js). Files run in this order; each also
// imports the helpers it uses, so every definition exists before it is used.

// confidentiality_app.consent_panel namespace, boot and formatting helpers
import "./shared/helpers.js";

// Disclosure: the client's disclosures in the panel; "Request Disclosure" on the form
import "./disclosure/client_disclosures.js";
import "./disclosure/request_disclosure.js";

// Confidentiality Log: the form's menu item to the record's log entries
import "./log/log_button.js";

// Consent: Record Consent; the panel's HTML; the refusal dialog (registers the
// ConfidentialityBlocked handler); the panel itself (defines
// confidentiality_app.consent_panel.refresh / .new_consent and hooks protected forms)
import "./consent/record_consent.js";
import "./consent/panel_render.js";
import "./consent/refusal.js";
import "./consent/panel.js";

// Held mail: window.confidentiality_release_held / window.confidentiality_discard_held
import "./held_mail/held_email.js";
