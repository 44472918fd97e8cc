"""The public complaint page of the Ombudsman Service (no login): it posts to
confidentiality_app.api.file_complaint (rate limited) and shows only the case's reference."""

from frappe import _

no_cache = 1


def get_context(context):
	context.title = _("Make a complaint")
	context.no_breadcrumbs = True
	return context
