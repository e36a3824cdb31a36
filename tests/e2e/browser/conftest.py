"""Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by Selenium against a real
``receiptflow serve`` subprocess with the real local OCR. Skips cleanly where Chromium is absent
(``.ci/run`` installs it). Screenshots land in ``test-artifacts/browser/<test>/``; a failing test
saves one more (``FAILED.png``) with the page's console log."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.page import Browser, ServedApp
from tests.support.serve_process import API_KEY, serve

REPO_ROOT = Path(__file__).resolve().parents[3]
MAX_FILE_BYTES = 2_000_000
ARTIFACTS = REPO_ROOT / "test-artifacts" / "browser"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",
)


def chromium_paths() -> tuple[str, str] | None:
    """(browser, driver) when both are installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """``receiptflow serve`` with one scanning worker (so a batch takes long enough to watch) and a 2 MB
    file limit (so an upload can be refused)."""
    data_dir = tmp_path_factory.mktemp("serve-data")
    with serve(data_dir, workers=1, RECEIPTFLOW_MAX_FILE_BYTES=str(MAX_FILE_BYTES)) as server:
        yield ServedApp(url=server.url, key=API_KEY, process=server)


@pytest.fixture
def browser(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Browser]:
    """A fresh headless Chromium (new profile, private download folder) for one test."""
    paths = chromium_paths()
    if paths is None:
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path))
    options = Options()
    options.binary_location = paths[0]
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(paths[1]))
    driver.set_page_load_timeout(60)
    artifacts = ARTIFACTS / request.node.name.replace("/", "_")
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    page = Browser(driver, artifacts, downloads)
    try:
        yield page
    finally:
        report: Any = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            page.failure_evidence()
        driver.quit()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item so the ``browser`` fixture can see a failure."""
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
