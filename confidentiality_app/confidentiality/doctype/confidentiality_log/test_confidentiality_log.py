# Copyright (c) 2026, confidentiality_app contributors and Contributors
# See license.txt

# import frappe
from frappe.tests.utils import FrappeTestCase


class TestConfidentialityLog(FrappeTestCase):
	pass
