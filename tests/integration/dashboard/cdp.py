"""Headless Chromium over the DevTools protocol on a pipe (commands on fd 3,
answers on fd 4, NUL-separated), for the dashboard's browser tests: pages,
script evaluation, waits, screenshots and the events the browser reports
(dialogs, script errors, network requests).  No third-party modules."""
import base64
import json
import os
import select
import subprocess
import time


class Browser:
    """One Chromium whose HOME (its NSS database: client certificates) and
    profile live under home; failures are appended to failures."""

    def __init__(self, chromium, home, shots, failures):
        self.shots, self.failures = shots, failures
        self.to_r, self.to_w = os.pipe()
        self.from_r, self.from_w = os.pipe()
        self.rbuf, self.next_id, self.events = b"", 0, []
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", f"--user-data-dir={home}/profile",
             "--window-size=1280,900", "about:blank"],
            preexec_fn=self.child_fds, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "HOME": home})
        os.close(self.to_r)
        os.close(self.from_w)

    def child_fds(self):
        a, b = os.dup(self.to_r), os.dup(self.from_w)  # off 3 and 4 first
        os.dup2(a, 3)
        os.dup2(b, 4)  # inheritable; every other pipe end is close-on-exec

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
            print("FAIL:", what, flush=True)
        return cond

    def _read_some(self, timeout):
        """Append what the browser said within timeout to rbuf; False if nothing."""
        if not select.select([self.from_r], [], [], timeout)[0]:
            return False
        chunk = os.read(self.from_r, 65536)
        if not chunk:
            raise RuntimeError("chromium went away")
        self.rbuf += chunk
        return True

    def _next_message(self):
        raw, self.rbuf = self.rbuf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.rbuf:
                self._read_some(None)
            m = self._next_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, since=0, timeout=30):
        """Until the browser reports method after events[since] (events read
        while waiting are kept); the index after it, else None."""
        end = time.time() + timeout
        while time.time() < end:
            for i in range(since, len(self.events)):
                if self.events[i].get("method") == method:
                    return i + 1
            while b"\0" not in self.rbuf and self._read_some(0.2):
                pass
            while b"\0" in self.rbuf:
                self.events.append(self._next_message())
        return None

    def page(self, network=False, own_cookies=False):
        """A new tab's session (Page and Runtime events on; Network's too),
        in a browser context of its own (cookies, cache) with own_cookies."""
        where = {}
        if own_cookies:
            where["browserContextId"] = self.send("Target.createBrowserContext")["browserContextId"]
        target = self.send("Target.createTarget", {"url": "about:blank", **where})["targetId"]
        s = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", {}, s)
        self.send("Runtime.enable", {}, s)
        if network:
            self.send("Network.enable", {}, s)
        return s

    def evaluate(self, session, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, session)
        return r.get("result", {}).get("value")

    # what evaluate meets while the page is navigating: not yet, ask again
    NAVIGATING = ("Inspected target navigated or closed", "Execution context was destroyed",
                  "Cannot find context")

    def wait_for(self, session, expr, what, timeout=20):
        """Until expr is true in the page (True); else a failure, False."""
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.evaluate(session, expr):
                    return True
            except RuntimeError as e:
                if not any(n in str(e) for n in self.NAVIGATING):
                    raise
            time.sleep(0.2)
        self.check(False, f"timed out waiting: {what}")
        return False

    def click(self, session, selector):
        """A real mouse click (pressed and released) at the element's centre."""
        box = self.evaluate(session, f"(() => {{ const e = document.querySelector("
                                     f"{json.dumps(selector)}); if (!e) return null; "
                                     "e.scrollIntoView({block: 'center'}); "
                                     "const r = e.getBoundingClientRect(); "
                                     "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        if not self.check(box, f"{selector} is on the page to click"):
            return
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1}, session)

    def type_text(self, session, selector, text):
        """Focus the element and type text as keystrokes (input events fire)."""
        self.evaluate(session, f"document.querySelector({json.dumps(selector)}).focus(); true")
        self.send("Input.insertText", {"text": text}, session)

    def requests(self, method, url_part):
        """Every request the pages sent (Network events) with this method and
        URL part: [(request, headers as sent, lower-case names)]."""
        extra = {e["params"]["requestId"]: e["params"]["headers"] for e in self.events
                 if e.get("method") == "Network.requestWillBeSentExtraInfo"}
        out = []
        for e in self.events:
            if e.get("method") != "Network.requestWillBeSent":
                continue
            r = e["params"]["request"]
            if r["method"] == method and url_part in r["url"]:
                sent = extra.get(e["params"]["requestId"], r["headers"])
                out.append((r, {k.lower(): v for k, v in sent.items()}))
        return out

    def shot(self, session, name, whole_page=False):
        data = self.send("Page.captureScreenshot", {"format": "png",
                                                    "captureBeyondViewport": whole_page},
                         session)["data"]
        os.makedirs(self.shots, exist_ok=True)
        with open(os.path.join(self.shots, name), "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        self.proc.wait(timeout=10)
