"""The web app as a test drives it: Selenium over headless Chromium, with screenshots as evidence."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

from tests.support.serve_process import ServeProcess

T = TypeVar("T")
DOCS_IMG = Path(__file__).resolve().parents[3] / "docs" / "img"


@dataclass
class ServedApp:
    """A running ``receiptflow serve``: its URL and API key."""

    url: str
    key: str
    process: ServeProcess


class Browser:
    """One Chromium session: waits, clicks, screenshots (numbered, in ``artifacts``)."""

    def __init__(self, driver: WebDriver, artifacts: Path, downloads: Path) -> None:
        self.driver = driver
        self.artifacts = artifacts
        self.downloads = downloads
        self.shots = 0

    def shot(self, name: str, docs_name: str | None = None) -> Path:
        """Save a screenshot of the page as ``NN-name.png``; with ``docs_name`` and
        ``RECEIPTFLOW_UPDATE_SCREENSHOTS=1`` also as ``docs/img/<docs_name>`` (the README's pictures)."""
        self.shots += 1
        path = self.artifacts / f"{self.shots:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        if docs_name and os.environ.get("RECEIPTFLOW_UPDATE_SCREENSHOTS") == "1":
            DOCS_IMG.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS_IMG / docs_name)
        return path

    def failure_evidence(self) -> None:
        """A screenshot and the console log of the page as it was when the test failed."""
        self.driver.save_screenshot(str(self.artifacts / "FAILED.png"))
        try:
            logs = cast(Any, self.driver).get_log("browser")
        except Exception:  # the log is evidence only; a driver that cannot give it must not hide the failure
            logs = []
        (self.artifacts / "FAILED-console.json").write_text(json.dumps(logs, indent=2), encoding="utf-8")

    def js(self, script: str, *args: Any) -> Any:
        """Run ``script`` in the page (``arguments[i]`` are ``args``)."""
        return self.driver.execute_script(script, *args)

    def js_async(self, script: str, *args: Any) -> Any:
        """Run ``script`` that ends by calling ``arguments[arguments.length - 1](result)``."""
        return self.driver.execute_async_script(script, *args)

    def wait(self, condition: Callable[[], T | None], what: str, timeout: float = 120.0) -> T:
        """Poll ``condition`` until it returns something truthy; fail with ``what`` at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.1)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def visible(self, css: str) -> bool:
        """True when the first match is rendered (read in one step: the page re-renders freely)."""
        shown: bool = self.js(
            "const n = document.querySelector(arguments[0]); return !!n && n.getClientRects().length > 0;",
            css,
        )
        return shown

    def text(self, css: str) -> str:
        """The rendered text of the first match ("" when there is none)."""
        found: str = self.js(
            "const n = document.querySelector(arguments[0]); return n ? n.innerText : '';", css
        )
        return found

    def open(self, url: str) -> None:
        self.driver.get(url)
        self.wait(lambda: self.js("return document.readyState") == "complete", "the page to load")

    def sign_in(self, app: ServedApp) -> None:
        """Open the page and sign in with the API key through the form."""
        self.open(app.url + "/")
        self.wait(lambda: self.visible("#signin-key"), "the sign-in form")
        self.find("#signin-key").send_keys(app.key)
        self.find("#signin-form button[type=submit]").click()
        self.wait(lambda: self.visible("#workspace"), "the workspace after signing in")
        self.wait(lambda: self.text("#connection") == "live", "the live WebSocket", timeout=30)

    def choose_files(self, paths: list[Path]) -> None:
        """Pick files with the file input (what a phone's camera or a file dialog does)."""
        self.find("#file-input").send_keys("\n".join(str(p) for p in paths))

    def drop_files(self, paths: list[Path], target: str = "#dropzone") -> None:
        """Drop files on ``target`` as a drag from the desktop does: real ``File`` objects (read from disk
        through a scratch file input) in the ``DataTransfer`` of ``dragover`` and ``drop`` events."""
        self.js(
            "const i = document.createElement('input'); i.type = 'file'; i.multiple = true;"
            "i.id = 'test-drop-source'; i.hidden = true; document.body.append(i);"
        )
        self.find("#test-drop-source").send_keys("\n".join(str(p) for p in paths))
        self.js(
            """const source = document.getElementById('test-drop-source');
            const data = new DataTransfer();
            for (const file of source.files) data.items.add(file);
            const zone = document.querySelector(arguments[0]);
            for (const type of ['dragover', 'drop'])
              zone.dispatchEvent(new DragEvent(type, {dataTransfer: data, bubbles: true, cancelable: true}));
            source.remove();""",
            target,
        )

    def card_states(self) -> dict[str, str]:
        """Receipt card → its state (pending, running, succeeded, failed, cancelled), by source name."""
        states: dict[str, str] = self.js(
            """const out = {};
            for (const card of document.querySelectorAll('#cards .card'))
              out[card.querySelector('h3').textContent] = card.dataset.status;
            return out;"""
        )
        return states

    def final_cards(self) -> dict[str, str] | None:
        """``card_states`` once every card is final (done, error or cancelled), else None."""
        states = self.card_states()
        finished = states and all(s in ("succeeded", "failed", "cancelled") for s in states.values())
        return states if finished else None

    def downloaded(self, suffix: str, timeout: float = 30.0) -> Path:
        """The file the page downloaded, once complete."""

        def done() -> Path | None:
            files = [p for p in self.downloads.iterdir() if p.name.endswith(suffix)]
            return files[0] if files else None

        return self.wait(done, f"a downloaded *{suffix}", timeout)
