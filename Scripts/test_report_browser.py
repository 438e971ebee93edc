#!/usr/bin/env python3
"""Opens a run's report.html in headless Chromium, as a reader would, and checks what it shows.

Usage: test_report_browser.py DIR [--png FILE] [--width 1400]

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON messages
ending in a NUL byte on fds 3 and 4), which needs nothing beyond the standard library. Checks:
  - the page loads (load event) with script execution disabled: nothing in it needs JavaScript;
  - no console error, no exception, no failed load, and no request other than the file itself
    (the page is self-contained: nothing fetched);
  - every chart (<svg class="chart">) is there with non-empty data paths or rects;
  - every chart has drawn pixels: the full-page screenshot (PNG decoded with zlib and struct)
    is cropped to the box of the chart's data elements, and its dark ("ink") pixels counted;
  - the distribution sparklines and the tables are there.
Prints one line per check and the load time; exits 1 on any failure. Standard library only.
"""
import argparse
import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib

# The charts every report of a run with trades (and --splits) has; rv_{w} panels are read from the
# page (one per window of the run) and checked like these.
REQUIRED_CHARTS = ["chart-close", "chart-volume", "chart-ewm_vol"]
# A pixel is ink when some channel is this far below white: the lines, bars and split bands are;
# the white plot, the light grid lines (#ececec) and the volatility shading (#f9dcdc) are not.
INK_DISTANCE = 48
MIN_INK_PIXELS = 100
MIN_INK_COLUMNS = 20


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("test_report_browser: no chromium on PATH (Scripts/test_report_browser.sh installs Debian's)")


class Browser:
    """Headless Chromium with a DevTools connection over a pipe."""

    def __init__(self, width):
        self.profile = tempfile.mkdtemp(prefix="tf-report-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # Chromium reads commands on fd 3 and writes answers on fd 4. Copied out of the way
            # first (a pipe end may itself be fd 3 or 4), and made inheritable: Python opens
            # pipes close-on-exec.
            read_end, write_end = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read_end, 3, inheritable=True)
            os.dup2(write_end, 4, inheritable=True)

        self.log = open(os.path.join(self.profile, "chromium.log"), "w+b")
        self.process = subprocess.Popen(
            [find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--user-data-dir=" + self.profile, "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
             "--mute-audio", "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-dev-shm-usage", f"--window-size={width},1000", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, preexec_fn=child_fds, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.next_id = 0
        self.pending = b""
        self.events = []

    def send(self, method, params=None, session=None, timeout=60):
        """Sends one command and waits for its answer; events that arrive meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self.receive(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def receive(self, deadline):
        while b"\0" not in self.pending:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                self.log.seek(0)
                raise RuntimeError("Chromium closed the pipe:\n" + self.log.read().decode(errors="replace")[-3000:])
            self.pending += chunk
        message, self.pending = self.pending.split(b"\0", 1)
        return json.loads(message)

    def wait_for(self, method, deadline):
        """The first event `method` (already received or still to come)."""
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self.receive(deadline))

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)


def decode_png(data):
    """(width, height, rows of RGB(A) bytes, bytes per pixel) of an 8-bit RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG (depth {depth}, colour {colour})"
    bpp = 4 if colour == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = previous[i]
                c = previous[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(line)
        previous = line
    return width, height, rows, bpp


def ink(png, box):
    """Ink pixels and the number of distinct x columns holding ink inside box (x, y, w, h)."""
    width, height, rows, bpp = png
    x0, y0 = max(0, int(box["x"])), max(0, int(box["y"]))
    x1, y1 = min(width, int(box["x"] + box["width"] + 1)), min(height, int(box["y"] + box["height"] + 1))
    count, columns = 0, set()
    for y in range(y0, y1):
        line = rows[y]
        for x in range(x0, x1):
            i = x * bpp
            if 255 - min(line[i], line[i + 1], line[i + 2]) >= INK_DISTANCE:
                count += 1
                columns.add(x)
    return count, len(columns)


# Evaluated in the page (by DevTools, with the page's own scripts disabled): what a reader sees.
MEASURE = """JSON.stringify({
  width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
  scripts: document.querySelectorAll('script').length,
  title: document.title,
  charts: [...document.querySelectorAll('svg.chart')].map(svg => {
    const data = [...svg.querySelectorAll('.data')];
    const boxes = data.map(e => e.getBoundingClientRect()).filter(r => r.width > 0 || r.height > 0);
    const box = boxes.length ? {x: Math.min(...boxes.map(r => r.left)) + scrollX, y: Math.min(...boxes.map(r => r.top)) + scrollY,
      right: Math.max(...boxes.map(r => r.right)) + scrollX, bottom: Math.max(...boxes.map(r => r.bottom)) + scrollY} : null;
    const r = svg.getBoundingClientRect();
    return {id: svg.id, elements: data.length,
      pathBytes: data.filter(e => e.tagName === 'path').reduce((n, e) => n + (e.getAttribute('d') || '').length, 0),
      rects: data.filter(e => e.tagName === 'rect').length,
      svg: {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height},
      data: box && {x: box.x, y: box.y, width: box.right - box.x, height: box.bottom - box.y}};
  }),
  sparklines: document.querySelectorAll('svg.spark').length,
  emptySparklines: [...document.querySelectorAll('svg.spark path')].filter(p => !(p.getAttribute('d') || '').length).length,
  coverageRows: document.querySelectorAll('#coverage tr').length - 1,
  correlationRows: document.querySelectorAll('#correlations tr').length - 1,
})"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="a run directory with report.html (or the path of a report)")
    parser.add_argument("--png", help="where to keep the full-page screenshot")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    page = args.dir if args.dir.endswith(".html") else os.path.join(args.dir, "report.html")
    if not os.path.isfile(page):
        sys.exit(f"test_report_browser: {page} does not exist (run `tickforge report {args.dir}` first)")
    url = "file://" + os.path.abspath(page)
    failures = []

    def check(ok, text):
        print(("ok   " if ok else "FAIL ") + text)
        if not ok:
            failures.append(text)

    started = time.monotonic()
    browser = Browser(args.width)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(domain + ".enable", session=session)
        browser.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": args.width, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        browser.events.clear()
        navigate_started = time.monotonic()
        navigation = browser.send("Page.navigate", {"url": url}, session=session)
        check("errorText" not in navigation, f"navigated to {url} {navigation.get('errorText', '')}")
        browser.wait_for("Page.loadEventFired", time.monotonic() + 120)
        load_seconds = time.monotonic() - navigate_started
        size = os.path.getsize(page)
        print(f"info load: {load_seconds:.2f} s from navigation to the load event ({size:,} bytes)")

        layout = json.loads(browser.send("Runtime.evaluate", {"expression": MEASURE, "returnByValue": True},
                                         session=session)["result"]["value"])
        shot_started = time.monotonic()
        shot = browser.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": layout["width"], "height": layout["height"], "scale": 1}},
            session=session, timeout=120)
        png_bytes = base64.b64decode(shot["data"])
        print(f"info screenshot: {layout['width']}x{layout['height']} px in {time.monotonic() - shot_started:.2f} s")
        if args.png:
            with open(args.png, "wb") as out:
                out.write(png_bytes)
            print(f"info screenshot written to {args.png}")

        # Events since the navigation: console errors, exceptions, failed or outside requests.
        errors = []
        requests = []
        for event in browser.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append("exception: " + json.dumps(params.get("exceptionDetails", {}))[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                errors.append("console: " + json.dumps(params.get("args", []))[:300])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append("log: " + params["entry"].get("text", "")[:300])
            elif method == "Network.loadingFailed":
                errors.append("failed load: " + params.get("errorText", ""))
            elif method == "Network.requestWillBeSent":
                requests.append(params.get("request", {}).get("url", ""))
        check(not errors, "no console error, exception or failed load" + ("" if not errors else ": " + "; ".join(errors)))
        outside = [r for r in requests if r != url]
        check(not outside, f"nothing fetched but the page itself ({len(requests)} request(s))" +
              ("" if not outside else ": " + ", ".join(outside[:5])))
        check(layout["scripts"] == 0, "no <script> element")
        check(layout["title"].startswith("tickforge report"), f"title: {layout['title']}")

        png = decode_png(png_bytes)
        charts = {chart["id"]: chart for chart in layout["charts"]}
        expected = REQUIRED_CHARTS + [c for c in charts if c.startswith("chart-rv_")]
        if os.path.exists(os.path.join(os.path.dirname(page), "splits.json")):
            expected.append("chart-splits")
        with open(os.path.join(os.path.dirname(page), "features.json"), encoding="utf-8") as f:
            if any(c["name"] == "regime" for c in json.load(f)["columns"]):
                expected.append("chart-regimes")
        check(any(c.startswith("chart-rv_") for c in charts), "at least one rv_{w} chart: " +
              ", ".join(c for c in charts if c.startswith("chart-rv_")))
        for name in expected:
            chart = charts.get(name)
            if chart is None:
                check(False, f"{name}: missing from the page")
                continue
            drawn = chart["pathBytes"] > 0 or chart["rects"] > 0
            check(drawn and chart["data"] is not None,
                  f"{name}: {chart['elements']} data element(s), {chart['pathBytes']:,} bytes of path, {chart['rects']} rect(s)")
            if chart["data"] is None:
                continue
            pixels, columns = ink(png, chart["data"])
            box = chart["data"]
            check(pixels >= MIN_INK_PIXELS and columns >= MIN_INK_COLUMNS,
                  f"{name}: {pixels:,} drawn pixels over {columns} pixel columns in its data box "
                  f"({box['width']:.0f}x{box['height']:.0f} at {box['x']:.0f},{box['y']:.0f})")
        check(layout["sparklines"] > 0 and layout["emptySparklines"] == 0,
              f"{layout['sparklines']} distribution sparklines, {layout['emptySparklines']} empty")
        check(layout["coverageRows"] > 0, f"coverage table: {layout['coverageRows']} rows")
        check(layout["correlationRows"] > 0, f"correlation table: {layout['correlationRows']} rows")
        check(layout["width"] <= args.width, f"page width {layout['width']} px fits a {args.width} px window")
    finally:
        browser.close()
    print(f"info total: {time.monotonic() - started:.2f} s (Chromium start, load, screenshot, checks)")
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
