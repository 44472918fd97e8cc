"""Every dotted path the site holds for this app resolves (confidentiality_app.tests.wiring):
hooks.py, the scheduled jobs synced from it, patches, print formats, reports, controllers."""

from confidentiality_app.tests import wiring
from confidentiality_app.tests.fixtures import ConfidentialityTestCase


class TestWiring(ConfidentialityTestCase):
	def test_every_path_resolves(self):
		self.assertEqual(wiring.problems(), [])
		self.assertGreater(sum(len(p) for p in wiring.hook_paths().values()), 60)

	def test_a_broken_path_is_found(self):
		import frappe

		hooks = frappe.get_module("confidentiality_app.hooks")
		before = hooks.before_job
		hooks.before_job = ["confidentiality_app.channels.webhook.no_such_function"]
		try:
			found = wiring.problems()
		finally:
			hooks.before_job = before
		self.assertEqual(len(found), 1)
		self.assertIn("before_job: confidentiality_app.channels.webhook.no_such_function", found[0])
