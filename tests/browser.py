"""
A headless Chromium driven over the DevTools protocol, for tests of HTML pages.

`open_page` starts Debian's ``chromium`` with a throwaway profile, loads one
page, and reports what a person would care about: the console errors and
uncaught exceptions while it loaded, what the page shows as text, and how
its images fared. Nothing here reaches the network but the loopback
DevTools socket of the browser it started.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websocket

BINARIES = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT = 60.0


def find_chromium() -> str | None:
    """Return the path of a Chromium binary, or ``None``."""
    for name in BINARIES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class Page:
    """What the browser saw while loading a page."""

    errors: list[str] = field(default_factory=list)
    text: str = ""
    headings: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    scripts: int = 0
    screenshot: bytes | None = None


class _Session:
    """One DevTools websocket: numbered calls, events kept as they arrive."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=TIMEOUT, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {method} within {TIMEOUT} s")
            self.events.append(json.loads(self.ws.recv()))


def _listening(process: subprocess.Popen[str]) -> str:
    """Return the browser's DevTools URL from its standard error."""
    assert process.stderr is not None
    deadline = time.monotonic() + TIMEOUT
    seen = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if line.startswith("DevTools listening on "):
            return line.split(" on ", 1)[1].strip()
    raise RuntimeError("chromium did not start:\n" + "".join(seen[-20:]))


def _errors(events: list[dict[str, Any]]) -> list[str]:
    errors = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert"}:
            errors.append(" ".join(str(a.get("value", a)) for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            thrown = details.get("exception", {}).get("description", "")
            errors.append(f"{details.get('text')} {thrown}".strip())
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(str(params["entry"].get("text")))
    return errors


_PROBE = """JSON.stringify({
  text: document.body ? document.body.innerText : "",
  headings: [...document.querySelectorAll("h2")].map(h => h.textContent),
  images: [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth})),
  scripts: document.scripts.length,
})"""


@contextlib.contextmanager
def _profile() -> Iterator[str]:
    """A fresh profile folder, removed afterwards once the browser has let go of it."""
    folder = tempfile.mkdtemp(prefix="ledger-chromium-")
    try:
        yield folder
    finally:
        for _ in range(20):
            try:
                shutil.rmtree(folder)
            except OSError:
                time.sleep(0.1)
            else:
                break
        else:
            shutil.rmtree(folder, ignore_errors=True)


def open_page(path: Path, *, screenshot: bool = False, width: int = 1200) -> Page:
    """Load the file *path* in a fresh headless Chromium and return what it saw."""
    binary = find_chromium()
    if binary is None:
        raise FileNotFoundError("no chromium binary on PATH")
    # Chromium's helper processes may still write to the profile after the
    # browser exits: clean it up with retries rather than fail the test on it.
    with _profile() as profile:
        command = [
            binary,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        env = {**os.environ, "HOME": profile}
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            browser_url = _listening(process)
            port = browser_url.split(":")[2].split("/")[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT) as r:
                targets = json.load(r)
            page_url = next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"]
            session = _Session(page_url)
            try:
                for domain in ("Runtime", "Log", "Page"):
                    session.call(f"{domain}.enable")
                session.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=900,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                session.call("Page.navigate", url=path.resolve().as_uri())
                session.wait_for("Page.loadEventFired")
                probe = session.call("Runtime.evaluate", expression=_PROBE, returnByValue=True)
                seen = json.loads(probe["result"]["value"])
                page = Page(
                    errors=_errors(session.events),
                    text=seen["text"],
                    headings=seen["headings"],
                    images=seen["images"],
                    scripts=seen["scripts"],
                )
                if screenshot:
                    shot = session.call(
                        "Page.captureScreenshot", format="png", captureBeyondViewport=True
                    )
                    page.screenshot = base64.b64decode(shot["data"])
                return page
            finally:
                with contextlib.suppress(Exception):
                    session.ws.close()
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
