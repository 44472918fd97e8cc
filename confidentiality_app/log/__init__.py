"""The Confidentiality Log: accepting entries, sealing them into the keyed chain (`audit`),
the keys (`keys`), the published heads (`anchors`) and verification (`verification`). Imports
`rules` only."""
