// Copyright (c) 2026, confidentiality_app contributors
// For license information, please see license.txt
//
// Desk side of confidentiality_app, one file per feature. The server
// (confidentiality_app.gate) decides every share, email, print and export; nothing here is
// a control, and any failure leaves the desk working.

import "./consent_panel.js";
import "./held_email.js";
