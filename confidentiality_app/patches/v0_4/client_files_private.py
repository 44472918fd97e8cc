"""Files attached to protected records are private (channels.files): make private the public
ones written before."""

from confidentiality_app.channels.files import privatise_existing


def execute():
	privatise_existing()
