"""The app's roles (names only): who records consents and decides (Confidentiality Officer),
the coach or mentor (Practitioner), and the Ombudsman Service (Ombudsman Officer)."""

OFFICER = "Confidentiality Officer"
PRACTITIONER = "Practitioner"
OMBUDSMAN = "Ombudsman Officer"
ROLES = (OFFICER, PRACTITIONER, OMBUDSMAN)
