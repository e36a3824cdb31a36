"""The whole job in a real browser: sign in, drop receipts, watch them scan live (surviving a dropped
WebSocket), review and correct a total, export CSV with the correction, cancel a second batch."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.keys import Keys

from tests.e2e.browser.conftest import MAX_FILE_BYTES
from tests.e2e.browser.page import Browser, ServedApp
from tests.support.serve_process import AUTH

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / "samples" / "receipts"
GOOD = ("us_grocery.jpg", "de_baeckerei.jpg", "my_hardware_exif_rotated.jpg")
CORRECTED_TOTAL = "987.65"


@pytest.fixture
def receipts(tmp_path: Path) -> list[Path]:
    """Three real sample receipts and one corrupt JPEG (cut in half)."""
    folder = tmp_path / "receipts"
    folder.mkdir()
    paths = [Path(shutil.copy(SAMPLES / name, folder / name)) for name in GOOD]
    data = (SAMPLES / "ie_cafe.jpg").read_bytes()
    broken = folder / "broken.jpg"
    broken.write_bytes(data[: len(data) // 3])
    return [*paths, broken]


def final(state: str) -> bool:
    return state in ("succeeded", "failed", "cancelled")


def test_drop_watch_recover_review_correct_export(
    browser: Browser, served: ServedApp, receipts: list[Path]
) -> None:
    browser.sign_in(served)
    # the key travels in the WebSocket subprotocol, never in a URL
    assert browser.js("return window.receiptflowApp.feed.authMode") == "subprotocol"
    assert "token=" not in browser.js("return window.receiptflowApp.feed.socket.url")
    browser.shot("signed-in")

    browser.drop_files(receipts)
    browser.wait(lambda: len(browser.find_all("#upload-list li")) == 4, "four files listed")
    # a thumbnail before upload for each image the browser can show
    assert len(browser.find_all("#upload-list li img")) >= 3
    browser.find("#batch-name").send_keys("browser test")
    browser.shot("files-chosen")
    browser.find("#upload-start").click()

    browser.wait(lambda: len(browser.find_all("#cards .card")) == 4, "four receipt cards")
    browser.shot("scanning")
    # drop the WebSocket mid-batch and keep it down for a while (a closed laptop lid), then let it back
    browser.wait(
        lambda: any(final(s) for s in browser.card_states().values()), "the first finished card", timeout=180
    )
    outage = browser.js(
        """
        const feed = window.receiptflowApp.feed;
        const real = feed.WebSocketImpl;
        feed.WebSocketImpl = function () { throw new Error("offline"); };
        const before = feed.resubscribes;
        feed.dropConnection();
        window.__restore = () => { feed.WebSocketImpl = real; feed.reconnectNow(); };
        return {running: window.receiptflowApp.batch.status, before};
        """
    )
    browser.wait(lambda: browser.text("#connection") == "reconnecting", "the page to notice the drop")
    browser.shot("connection-dropped")
    batch_id = browser.js("return window.receiptflowApp.batch.batch_id")
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=30) as api:
        browser.wait(
            lambda: api.get(f"/v1/batches/{batch_id}").json()["status"] != "running",
            "the batch to finish while the page is offline",
            timeout=180,
        )
        browser.js("window.__restore()")
        browser.wait(lambda: browser.text("#connection") == "live", "the WebSocket back")
        states = browser.wait(browser.final_cards, "every card final after reconnecting")
        items = api.get(f"/v1/batches/{batch_id}/results").json()["items"]
    assert outage["running"] == "running", "the connection was dropped while the batch ran"
    assert {item["source"]: item["status"] for item in items} == states
    assert states["broken.jpg"] == "failed" and list(states.values()).count("succeeded") == 3
    error_text = browser.find(f'#cards .card[data-item="{items[3]["item_id"]}"] .card-error').text
    assert "corrupt_image" in error_text and "damaged" in error_text
    assert browser.text("#batch-status") in ("partially failed", "succeeded")
    totals = {
        i["source"]: i["result"]["receipt"]["total"]["value"] for i in items if i["status"] == "succeeded"
    }
    for item in items[:3]:
        card = browser.find(f'#cards .card[data-item="{item["item_id"]}"] dd[data-field="total"]')
        assert (totals[item["source"]] or "—") in card.text
    browser.wait(lambda: "partially failed" in browser.text("#batch-list"), "the batch list up to date")
    browser.shot("batch-complete", docs_name="webapp-batch.png")

    # review: open the grocery receipt, click its total to highlight where it was read, correct it
    grocery = next(i for i in items if i["source"] == "us_grocery.jpg")
    browser.find(f'#cards .card[data-item="{grocery["item_id"]}"] button').click()
    browser.wait(
        lambda: (
            browser.visible("#review")
            and browser.js(
                "const i = document.getElementById('page-image'); return i.complete && i.naturalWidth > 0"
            )
        ),
        "the receipt image in the review",
    )
    browser.wait(lambda: browser.find_all('#review-fields li[data-field="total"]'), "the total field")
    total_button = browser.find('#review-fields li[data-field="total"] .field-name')
    total_button.click()
    browser.wait(lambda: browser.find_all('#page-boxes .box.active[data-field="total"]'), "the total's box")
    browser.shot("review-total-highlighted", docs_name="webapp-review.png")
    field = browser.find("#fix-total")
    field.clear()
    field.send_keys("not money" + Keys.ENTER)
    browser.wait(lambda: "'total'" in browser.text('#review-fields li[data-field="total"] .error'),
                 "the API's refusal")  # fmt: skip
    browser.shot("invalid-correction-refused")
    field = browser.find("#fix-total")
    field.clear()
    field.send_keys(CORRECTED_TOTAL + Keys.ENTER)
    total_row = '#review-fields li[data-field="total"]'
    browser.wait(lambda: f"Corrected: {CORRECTED_TOTAL}" in browser.text(total_row), "the correction shown")
    assert "Read:" in browser.text(total_row)  # beside the machine value
    browser.shot("corrected")
    browser.find("body").send_keys("a")  # keyboard: accept all
    browser.wait(lambda: browser.find_all(f'#cards .card[data-item="{grocery["item_id"]}"] .badge.reviewed'),
                 "the card marked reviewed")  # fmt: skip
    browser.find("body").send_keys(Keys.ESCAPE)
    browser.wait(lambda: not browser.visible("#review"), "the review to close")

    browser.find("#export-csv").click()
    exported = browser.downloaded(".csv")
    rows = {row["source"]: row for row in csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8")))}
    assert rows["us_grocery.jpg"]["total"] == CORRECTED_TOTAL
    assert rows["us_grocery.jpg"]["corrected_fields"] == "total"
    assert rows["us_grocery.jpg"]["reviewed"] == "true"
    assert rows["broken.jpg"]["error_code"] == "corrupt_image"
    browser.find("#export-json").click()
    assert CORRECTED_TOTAL in browser.downloaded(".json").read_text(encoding="utf-8")

    # retry the failed item: it is scanned again (and fails again, typed); the correction stays
    broken = next(i for i in items if i["source"] == "broken.jpg")
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=30) as api:
        browser.find("#batch-retry").click()

        def rescanned() -> bool:
            item = api.get(f"/v1/batches/{batch_id}/items/{broken['item_id']}").json()
            batch = api.get(f"/v1/batches/{batch_id}").json()
            return bool(item["updated_at"] != broken["updated_at"] and batch["status"] == "partially_failed")

        browser.wait(rescanned, "the failed item scanned again", timeout=180)
        again = api.get(f"/v1/batches/{batch_id}/items/{grocery['item_id']}").json()
    browser.wait(lambda: browser.text("#batch-status") == "partially failed" and browser.final_cards(),
                 "the page showing the retried batch finished")  # fmt: skip
    assert browser.card_states()["broken.jpg"] == "failed"
    assert again["correction"] == {"total": CORRECTED_TOTAL} and again["reviewed"] is True


def test_cancel_a_running_batch(browser: Browser, served: ServedApp, tmp_path: Path) -> None:
    """Six receipts and one file over the server's limit: the refused upload shows its code and can be
    retried; the batch starts without it; then it is cancelled while it runs."""
    browser.sign_in(served)
    huge = tmp_path / "huge.pdf"
    huge.write_bytes(b"%PDF-1.4\n" + b"0" * (MAX_FILE_BYTES + 1000))
    files = [huge]
    for n, name in enumerate(["us_diner_tip.jpg", "my_kedai_runcit.jpg", "ie_cafe.jpg", "us_bookstore.jpg",
                              "my_mamak_restaurant.jpg", "us_gas_station_photo.jpg"]):  # fmt: skip
        files.append(Path(shutil.copy(SAMPLES / name, tmp_path / f"{n}-{name}")))
    browser.choose_files(files)
    browser.find("#upload-start").click()
    refused = '#upload-list li[data-state="failed"]'
    browser.wait(lambda: browser.find_all(refused) and not browser.find_all('[data-state="uploading"]'),
                 "the refused upload")  # fmt: skip
    assert "too_large" in browser.text(refused) and len(browser.find_all('[data-state="done"]')) == 6
    browser.shot("upload-refused")
    browser.find(f"{refused} button").click()  # retry: refused again, the same way
    # the click set the row uploading at once (the retry runs in the click handler): wait for its answer
    start_enabled = "return !document.querySelector('#upload-start').disabled"
    browser.wait(lambda: browser.find_all(refused) and browser.js(start_enabled), "the retry refused again")
    assert "too_large" in browser.text(refused)
    assert browser.text("#upload-start") == "Start without the failed files"
    browser.find("#upload-start").click()
    browser.wait(lambda: len(browser.find_all("#cards .card")) == 6, "six cards")
    browser.wait(lambda: browser.text("#batch-status") == "running", "the batch running")
    browser.find("#batch-cancel").click()
    browser.wait(lambda: browser.text("#batch-status") == "cancelled", "the batch cancelled", timeout=120)
    states = browser.wait(browser.final_cards, "every card final after cancelling")
    assert "cancelled" in states.values()
    assert browser.find("#batch-cancel").get_attribute("disabled") is not None
    browser.shot("cancelled")
    listed = browser.find_all("#batch-list li button")
    assert len(listed) >= 1 and "cancelled" in listed[0].text
