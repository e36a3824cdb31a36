"""Accessibility: axe-core finds no serious or critical violation in the page's main states, and the
review can be done with the keyboard alone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.page import Browser, ServedApp
from tests.support.serve_process import AUTH

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / "samples" / "receipts"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture(scope="module")
def finished_batch(served: ServedApp) -> str:
    """A finished batch made through the API: two receipts and a corrupt file."""
    broken = (SAMPLES / "us_bookstore.jpg").read_bytes()[:5000]
    files = [("files", (name, (SAMPLES / name).read_bytes(), "image/jpeg"))
             for name in ("us_diner_tip.jpg", "ie_cafe.jpg")]  # fmt: skip
    files.append(("files", ("broken.jpg", broken, "image/jpeg")))
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=60) as api:
        batch_id: str = api.post("/v1/batches", json={"name": "accessibility"}).json()["batch"]["batch_id"]
        assert api.post(f"/v1/batches/{batch_id}/files", files=files).status_code == 201
        assert api.post(f"/v1/batches/{batch_id}/start").status_code == 202
        deadline = time.monotonic() + 240
        while api.get(f"/v1/batches/{batch_id}").json()["status"] == "running":
            assert time.monotonic() < deadline, "the batch did not finish"
            time.sleep(0.3)
    return batch_id


def serious_violations(browser: Browser) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    browser.js(AXE.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = browser.js_async(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations), e => done([{id: String(e)}]));"
    )
    return [
        {"id": v.get("id"), "impact": v.get("impact"), "nodes": [n.get("target") for n in v.get("nodes", [])]}
        for v in violations
        if v.get("impact") in ("serious", "critical") or "impact" not in v
    ]


def open_batch(browser: Browser, batch_id: str) -> None:
    selector = f'#batch-list button[data-batch="{batch_id}"]'
    browser.wait(lambda: browser.find_all(selector), "the batch in the list")
    browser.js("document.querySelector(arguments[0]).focus()", selector)
    browser.driver.switch_to.active_element.send_keys(Keys.ENTER)
    browser.wait(lambda: len(browser.find_all("#cards .card")) == 3, "the batch's cards")
    browser.wait(lambda: browser.final_cards(), "final cards")


def test_no_serious_violations_in_the_main_states(
    browser: Browser, served: ServedApp, finished_batch: str
) -> None:
    browser.open(served.url + "/")
    browser.wait(lambda: browser.visible("#signin-key"), "the sign-in form")
    assert serious_violations(browser) == [], "sign-in"
    browser.sign_in(served)
    open_batch(browser, finished_batch)
    assert serious_violations(browser) == [], "batch with cards"
    browser.find("#review-first").click()
    browser.wait(lambda: browser.visible("#review") and browser.find_all("#review-fields li"), "the review")
    assert serious_violations(browser) == [], "review"
    browser.find("#review-close").click()
    browser.find("#open-settings").click()
    browser.wait(lambda: browser.visible("#settings"), "the settings dialog")
    assert serious_violations(browser) == [], "settings"
    browser.shot("settings")
    # the check itself can fail: an unlabeled control is caught
    browser.js("document.querySelector('#settings-form').append(document.createElement('input'))")
    assert {v["id"] for v in serious_violations(browser)} == {"label"}


def test_review_by_keyboard_alone(browser: Browser, served: ServedApp, finished_batch: str) -> None:
    browser.open(served.url + "/")
    browser.wait(lambda: browser.visible("#signin-key"), "the sign-in form")
    browser.find("#signin-key").send_keys(served.key + Keys.ENTER)
    browser.wait(lambda: browser.visible("#workspace"), "signed in with Enter")
    open_batch(browser, finished_batch)
    review = browser.find("#review-first")
    review.send_keys(Keys.ENTER)
    browser.wait(lambda: browser.visible("#review") and browser.find_all("#review-fields li"), "the review")
    first = browser.js("return window.receiptflowApp.review.item.item_id")
    body = browser.find("body")
    body.send_keys("e")  # edit the first flagged field
    field = browser.wait(
        lambda: browser.js("return document.activeElement.dataset.field"), "a field in focus"
    )
    browser.driver.switch_to.active_element.send_keys(Keys.CONTROL, "a")
    value = (
        "2024-01-31" if field == "date" else ("12.34" if field in ("total", "subtotal", "tax") else "Fixed")
    )
    browser.driver.switch_to.active_element.send_keys(value + Keys.ENTER)
    browser.wait(lambda: f"Corrected: {value}" in browser.text(f'#review-fields li[data-field="{field}"]'),
                 "the correction saved with Enter")  # fmt: skip
    browser.driver.switch_to.active_element.send_keys(Keys.ESCAPE)  # leave the field
    body.send_keys("j")
    browser.wait(
        lambda: browser.js("return window.receiptflowApp.review.item.item_id") != first, "next receipt"
    )
    body.send_keys("k")
    browser.wait(
        lambda: browser.js("return window.receiptflowApp.review.item.item_id") == first, "back again"
    )
    body.send_keys("a")
    browser.wait(lambda: browser.find_all(f'#cards .card[data-item="{first}"] .badge.reviewed'), "accepted")
    body.send_keys(Keys.ESCAPE)
    browser.wait(lambda: not browser.visible("#review"), "the review closed")
    assert browser.js("return document.activeElement.id") == "review-first", "focus returns to the opener"
    browser.shot("keyboard-review-done")
