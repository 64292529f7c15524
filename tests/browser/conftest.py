"""The admin in a real browser: Debian's Chromium (``/usr/bin/chromium``, installed by
scripts/ensure_services.sh) driven by Playwright against pytest-django's ``live_server``. A browser is never
downloaded. One browser per test session; each test gets a fresh context (no cookies, no storage) at the
viewport it asks for. Screenshots go to ``var/artifacts/`` (git-ignored) and their paths are printed at the end.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("ALFRED_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "artifacts"

_shots: list[Path] = []


@pytest.fixture(scope="package")
def browser(django_db_setup: None) -> Iterator[object]:
    """One Chromium for all the browser tests, closed after the last of them (package scope: tests in other
    directories never run beside it). The test database exists before it starts (see below)."""
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure_services.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread while it runs, which makes Django refuse
    # database work from the tests' own code ("async context"). Nothing here is async: allowed while the
    # browser is open, in this process only, and taken back when it closes.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            # Playwright makes a fresh temporary profile for a launched browser and deletes it on close.
            launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Logins in a browser hash passwords on every try; the production hasher's cost is not what is tested.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(params=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser, live_server, viewport: str) -> Iterator[object]:
    context = browser.new_context(
        viewport=PHONE if viewport == "phone" else DESKTOP,
        base_url=live_server.url,
        is_mobile=viewport == "phone",
        has_touch=viewport == "phone",
    )
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    _shots.append(path)
    return path


def pytest_terminal_summary(terminalreporter) -> None:
    for path in _shots:
        terminalreporter.write_line(f"admin screenshot: {path}")
