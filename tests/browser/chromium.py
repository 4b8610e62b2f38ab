"""
Headless Chromium driven through the Chrome DevTools Protocol, for the browser tests and screenshots.

Only what the tests need: open a page, watch every request it makes, run JavaScript in it,
take a PNG. ``chromium`` is Debian's package (``make sysdeps`` installs it as root);
:func:`find_chromium` installs it the same way when missing and allowed, else says why not.
The protocol goes over ``websocket-client``; nothing here touches the network: pages are
``file://`` URLs, and the test asserts that no request leaves the machine.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium(install: bool = True) -> tuple[str | None, str]:
    """
    The Chromium executable, installing Debian's ``chromium`` when missing (as root, with apt-get).

    Returns
    -------
    (path or None, reason)
        The path, or None and why it is absent (for a test's skip message).
    """
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path, ""
    if not install:
        return None, "no chromium executable on PATH"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, "chromium is not installed and cannot be (not root, or no apt-get): apt-get install chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, capture_output=True, env=env,
                       timeout=1200)
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"chromium is not installed and apt-get install chromium failed: {exc}"
    path = shutil.which("chromium")
    return (path, "") if path else (None, "apt-get install chromium left no chromium on PATH")


class Browser:
    """
    One headless Chromium process and one page in it.

    Use as a context manager; :meth:`close` ends the process it started (and only it).
    Events the page sends are kept in :attr:`events` (method, params), in arrival order.
    """

    def __init__(self, executable: str, *, width: int = 1280, height: int = 900, timeout: float = 60.0):
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="planlib-chromium-")
        self._proc = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-port=0", f"--user-data-dir={self._profile}", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--mute-audio",
             f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        url = self._read_ws_url()
        port = re.match(r"ws://[^:/]+:(\d+)/", url).group(1)
        self._ids = itertools.count(1)
        self.events: list[tuple[str, dict]] = []
        browser = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
        try:
            self._ws = browser
            target = self.send("Target.createTarget", url="about:blank")["targetId"]
        finally:
            browser.close()
        self._ws = websocket.create_connection(f"ws://127.0.0.1:{port}/devtools/page/{target}", timeout=timeout,
                                               suppress_origin=True)
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.resize(width, height)

    def _read_ws_url(self) -> str:
        deadline = time.monotonic() + self.timeout
        seen = []
        while time.monotonic() < deadline:
            line = self._proc.stderr.readline()
            if not line:
                if self._proc.poll() is not None:
                    break
                continue
            seen.append(line)
            m = re.search(r"DevTools listening on (ws://\S+)", line)
            if m:
                return m.group(1)
        self.close()
        raise RuntimeError("chromium did not print its DevTools address:\n" + "".join(seen[-20:]))

    def send(self, method: str, **params) -> dict:
        """Call a protocol method and return its result (events arriving meanwhile are kept)."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self._ws.recv())
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append((msg["method"], msg.get("params", {})))
        raise TimeoutError(f"{method}: no answer in {self.timeout} s")

    def wait_for(self, event: str, since: int = 0) -> dict:
        """Wait until ``event`` arrives (looking from ``events[since]`` on) and return its params."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for name, params in self.events[since:]:
                if name == event:
                    return params
            msg = json.loads(self._ws.recv())
            if "method" in msg:
                self.events.append((msg["method"], msg.get("params", {})))
        raise TimeoutError(f"{event}: not seen in {self.timeout} s")

    def open(self, path: str | Path) -> None:
        """Load a local file and wait for its load event (and a moment for late requests)."""
        url = Path(path).resolve().as_uri() if not str(path).startswith(("file:", "data:", "about:")) else str(path)
        since = len(self.events)
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired", since)
        self.evaluate("new Promise(function (r) { setTimeout(r, 300); })")

    def requests(self) -> list[str]:
        """Every URL the page asked for since the browser started (Network.requestWillBeSent)."""
        return [p["request"]["url"] for name, p in self.events if name == "Network.requestWillBeSent"]

    def evaluate(self, expression: str):
        """Run JavaScript in the page (promises awaited) and return its value as JSON gives it."""
        res = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript failed: {res['exceptionDetails']}")
        return res.get("result", {}).get("value")

    def resize(self, width: int, height: int, scale: float = 1.0, mobile: bool = False) -> None:
        """Set the viewport's size (CSS pixels) and device scale."""
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=scale,
                  mobile=mobile)

    def screenshot(self, path: str | Path, *, height: int | None = None) -> Path:
        """A PNG of the viewport's width, from the top, ``height`` pixels tall (the whole page when None)."""
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width = self.evaluate("document.documentElement.clientWidth")
        tall = int(min(size["height"], height) if height else size["height"])
        # the viewport as tall as the shot, painted, then captured (beyond the viewport Chromium
        # may leave tiles unpainted: white boxes over a chart)
        self.resize(width, tall)
        self.evaluate("new Promise(function (r) { requestAnimationFrame(function () { setTimeout(r, 300); }); })")
        data = self.send("Page.captureScreenshot", format="png",
                         clip={"x": 0, "y": 0, "width": width, "height": tall, "scale": 1})["data"]
        out = Path(path)
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        """End the Chromium this object started and remove its profile."""
        ws = getattr(self, "_ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if self._proc.stderr:
            self._proc.stderr.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
