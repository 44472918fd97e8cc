"""The one decision point: `gate` (what every channel calls) and what it says (`explain`); who
a record is about (`clients`, `identity`); what a decision knows about a client (`facts`,
`epoch`, `consents`); disclosure uses (`uses`); who may act for the office (`permissions`).
Imports `rules` and `log`; never a channel, a domain or the API."""
