"""Pure rules, no frappe: the decision (`policy`), the ombudsman's determination, the log's
hashing (`chain`) and the app's role names. Imports nothing outside this package."""
