"""Pure rules, no frappe: the decision (`policy`), the ombudsman's determination
(`determination`), the log's hashing (`chain`, the keyed hash chain; `merkle`, the RFC 9162
Merkle tree and its proofs; `note`, signed checkpoints in the C2SP formats, with
`cryptography`'s Ed25519) and the app's role names (`roles`). Imports nothing outside this
package but the standard library and `cryptography`."""
