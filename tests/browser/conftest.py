"""Fixtures for the desk browser tests.

They drive a running Frappe site (bench serve, or any deployed site) over HTTP with
Playwright and a system Chromium; nothing here imports frappe.

Environment:
  CONFIDENTIALITY_BASE_URL        the site's URL, e.g. http://127.0.0.1:8000 (unset: tests skip)
  CONFIDENTIALITY_ADMIN_USER      default Administrator
  CONFIDENTIALITY_ADMIN_PASSWORD  default admin
  CONFIDENTIALITY_CHROMIUM        default /usr/bin/chromium
  CONFIDENTIALITY_RESULTS_DIR     screenshots; default <repo>/test-results
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BASE_URL = os.environ.get("CONFIDENTIALITY_BASE_URL", "").rstrip("/")
ADMIN_USER = os.environ.get("CONFIDENTIALITY_ADMIN_USER") or "Administrator"
ADMIN_PASSWORD = os.environ.get("CONFIDENTIALITY_ADMIN_PASSWORD") or "admin"
CHROMIUM = os.environ.get("CONFIDENTIALITY_CHROMIUM") or "/usr/bin/chromium"
RESULTS_DIR = Path(
	os.environ.get("CONFIDENTIALITY_RESULTS_DIR") or Path(__file__).resolve().parents[2] / "test-results"
)
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--no-first-run",
]
TIMEOUT_MS = 30_000


def pytest_collection_modifyitems(config, items):
	here = Path(__file__).resolve().parent
	reason = None
	if not BASE_URL:
		reason = "CONFIDENTIALITY_BASE_URL is not set: start a site (bench serve) and point it there"
	elif not Path(CHROMIUM).exists():
		reason = (
			f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CONFIDENTIALITY_CHROMIUM)"
		)
	else:
		try:
			import playwright.sync_api  # noqa: F401
		except ImportError:
			reason = "playwright is not installed (pip install playwright; browsers are not downloaded)"
	if reason:
		skip = pytest.mark.skip(reason=reason)
		for item in items:
			if here in Path(str(item.fspath)).resolve().parents:
				item.add_marker(skip)


@pytest.fixture(scope="session")
def base_url() -> str:
	return BASE_URL


@pytest.fixture(scope="session")
def results_dir() -> Path:
	RESULTS_DIR.mkdir(parents=True, exist_ok=True)
	return RESULTS_DIR


@pytest.fixture(scope="session")
def playwright_instance():
	from playwright.sync_api import sync_playwright

	with sync_playwright() as p:
		yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
	browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
	yield browser
	browser.close()


class Api:
	"""REST client with its own logged-in session (no desk page, so no CSRF token)."""

	def __init__(self, request_context):
		self.r = request_context

	def _json(self, response, what):
		if not response.ok:
			raise AssertionError(f"{what}: HTTP {response.status}: {response.text()[:2000]}")
		return response.json()

	def get(self, path, params=None):
		return self._json(self.r.get(path, params=params), f"GET {path}")

	def post(self, path, data):
		return self._json(self.r.post(path, data=data), f"POST {path}")

	def status(self, path) -> int:
		return self.r.get(path).status

	def upload(self, filename: str, content: bytes, mime: str, is_private: int = 1) -> dict:
		response = self.r.post(
			"/api/method/upload_file",
			multipart={
				"file": {"name": filename, "mimeType": mime, "buffer": content},
				"is_private": str(is_private),
				"folder": "Home",
			},
		)
		return self._json(response, "upload_file")["message"]


@pytest.fixture(scope="session")
def api(playwright_instance, base_url):
	context = playwright_instance.request.new_context(
		base_url=base_url, extra_http_headers={"Accept": "application/json"}
	)
	response = context.post("/api/method/login", form={"usr": ADMIN_USER, "pwd": ADMIN_PASSWORD})
	assert response.ok, f"API login as {ADMIN_USER} failed: HTTP {response.status} {response.text()[:500]}"
	yield Api(context)
	context.dispose()


@pytest.fixture()
def page(browser, base_url, results_dir, request):
	context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 1000})
	context.set_default_timeout(TIMEOUT_MS)
	page = context.new_page()
	errors: list[str] = []
	page.on("pageerror", lambda e: errors.append(str(e)))
	page.js_errors = errors

	page.goto("/login")
	page.fill("#login_email", ADMIN_USER)
	page.fill("#login_password", ADMIN_PASSWORD)
	page.click(".btn-login")
	page.wait_for_url(lambda url: "/login" not in url)
	# with several apps (e.g. Frappe CRM) login lands on the /apps chooser: go to the desk
	page.goto("/app")
	page.wait_for_function("() => window.frappe && frappe.boot && frappe.boot.user && frappe.session.user")
	yield page

	failed = getattr(request.node, "rep_call", None)
	if failed is not None and failed.failed:
		page.screenshot(path=str(results_dir / f"{request.node.name}-failure.png"), full_page=True)
	context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
	outcome = yield
	report = outcome.get_result()
	setattr(item, f"rep_{report.when}", report)
