#!/usr/bin/env python3
"""Drive a client that lives in a web page, for `mockmcu run`.

    mockmcu run -- python3 Examples/web-bridge/bridge.py --page my-client.html

Speaks the driver protocol on stdin/stdout and, per run, starts headless
Chromium (Debian's `chromium`, through Playwright for Python: no browser is
downloaded), serves the page over http://127.0.0.1 (so that it has a real
origin, as it would on a web server), and carries the protocol both ways:

- every runner message reaches the page as `window.mockmcu.onmessage(msg)`
  (messages that arrive before the page sets `onmessage` wait for it);
- the page reports with `window.mockmcu.send(msg)`.

The page's console and errors go to stderr. When the page reports `left`,
`disconnected` or `failed`, the bridge closes the browser and exits (0, or 1
after `failed`). With `tls_ca` in `start`, Chromium trusts exactly that
certificate's key (`--ignore-certificate-errors-spki-list`), no other.
Alerts and other dialogs are dismissed. `./Scripts/setup-browser.sh`
installs Chromium and Playwright.
"""

import argparse
import asyncio
import base64
import functools
import hashlib
import http.server
import json
import os
import subprocess
import sys
import time
import threading
import urllib.parse

TERMINAL = {"left": 0, "disconnected": 0, "failed": 1}

# Defines window.mockmcu before any script of the page runs.
INIT_SCRIPT = """
(() => {
  const queue = [];
  let handler = null;
  window.mockmcu = {
    send: (msg) => window.__mockmcuSend(JSON.stringify(msg)),
    get onmessage() { return handler; },
    set onmessage(f) {
      handler = f;
      while (handler && queue.length) { try { handler(queue.shift()); } catch (e) { console.error(String(e)); } }
    },
    __deliver: (msg) => {
      if (handler) { try { handler(msg); } catch (e) { console.error(String(e && e.stack || e)); } }
      else queue.push(msg);
    },
  };
})();
"""


def log(text):
    print(f"web-bridge: {text}", file=sys.stderr, flush=True)


def emit(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def spki_hash(pem):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a PEM certificate, as Chromium wants it."""
    key = subprocess.run(["openssl", "x509", "-pubkey", "-noout"], input=pem.encode(), capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=key, capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def serve_folder(folder, assets):
    """Serves `folder` (and `assets`, name → file, beside it) on an ephemeral 127.0.0.1
    port (in a thread); returns the port."""
    handler = functools.partial(QuietHandler, directory=folder, assets=assets)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, assets=None, **kwargs):
        self.assets = assets or {}
        super().__init__(*args, **kwargs)

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/favicon.ico":  # browsers ask; an empty answer keeps the console quiet
            self.send_response(204)
            self.end_headers()
            return
        name = urllib.parse.unquote(self.path.lstrip("/").split("?")[0])
        if name in self.assets:
            with open(self.assets[name], "rb") as f:
                body = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript" if name.endswith(".js") else "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def page_url(page, assets):
    """A file is served from its folder (with the assets); a URL is used as it is."""
    if "://" in page:
        return page
    path = os.path.abspath(page)
    if not os.path.isfile(path):
        sys.exit(f"web-bridge: no such page: {page}")
    port = serve_folder(os.path.dirname(path), assets)
    return f"http://127.0.0.1:{port}/{urllib.parse.quote(os.path.basename(path))}"


async def read_lines(queue):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            await queue.put(None)
            return
        line = line.strip()
        if not line:
            continue
        try:
            message = json.loads(line)
        except ValueError:
            log(f"ignoring a line that is not JSON: {line[:80]!r}")
            continue
        await queue.put(message)


async def run(args):
    from playwright.async_api import async_playwright

    incoming = asyncio.Queue()
    reading = asyncio.ensure_future(read_lines(incoming))
    start = await incoming.get()
    if start is None:
        return 0
    launch_args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    if start.get("tls_ca"):
        launch_args.append(f"--ignore-certificate-errors-spki-list={spki_hash(start['tls_ca'])}")
    url = page_url(args.page, args.assets)
    done = asyncio.get_running_loop().create_future()

    began = time.monotonic()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=args.chromium, headless=not args.headful, args=launch_args)
        if time.monotonic() - began > 5:
            log(f"Chromium took {time.monotonic() - began:.1f} s to start")
        context = await browser.new_context()
        page = await context.new_page()

        def from_page(text):
            try:
                message = json.loads(text)
            except ValueError:
                log(f"the page sent something that is not JSON: {text[:80]!r}")
                return
            emit(message)
            kind = message.get("type") if isinstance(message, dict) else None
            if kind in TERMINAL and not done.done():
                done.set_result(TERMINAL[kind])

        await page.expose_function("__mockmcuSend", from_page)
        await page.add_init_script(INIT_SCRIPT)
        page.on("console", lambda m: print(f"[page {m.type}] {m.text}", file=sys.stderr, flush=True))
        page.on("pageerror", lambda e: print(f"[page error] {e}", file=sys.stderr, flush=True))
        page.on("dialog", lambda d: asyncio.ensure_future(d.dismiss()))
        page.on("crash", lambda _: done.done() or done.set_result(70))
        loading = time.monotonic()
        await page.goto(url)
        if time.monotonic() - loading > 5:
            log(f"the page took {time.monotonic() - loading:.1f} s to load")

        async def deliver(message):
            try:
                await page.evaluate("m => window.mockmcu.__deliver(m)", message)
            except Exception as e:  # the page navigated away or crashed
                log(f"could not deliver {message.get('type')}: {e}")

        await deliver(start)

        async def pump():
            while True:
                message = await incoming.get()
                if message is None:  # stdin closed: as the protocol says, that is leave
                    message = {"type": "leave"}
                await deliver(message)

        pumping = asyncio.ensure_future(pump())
        status = await done
        pumping.cancel()
        reading.cancel()
        if status == 70:
            log("the page crashed")
        await browser.close()
        return status


def main():
    ap = argparse.ArgumentParser(description="Runs a web-page client under the driver protocol in headless Chromium.")
    ap.add_argument("--page", required=True, help="the client page: a file (served from its folder) or a URL")
    # Debian's /usr/bin/chromium is a shell wrapper; Playwright wants the browser itself.
    default = "/usr/lib/chromium/chromium" if os.path.exists("/usr/lib/chromium/chromium") else "/usr/bin/chromium"
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", default),
                    help=f"the Chromium executable (default {default}, or $CHROMIUM)")
    ap.add_argument("--headful", action="store_true", help="show the browser window (needs a display)")
    ap.add_argument("--asset", action="append", default=[], metavar="NAME=FILE",
                    help="also serve FILE as /NAME beside the page (e.g. pexrtc.js=/path/to/pexrtc.js); repeatable")
    args = ap.parse_args()
    args.assets = {}
    for item in args.asset:
        name, sep, path = item.partition("=")
        if not sep or not name or not os.path.isfile(path):
            sys.exit(f"web-bridge: --asset wants NAME=FILE with an existing file, not {item!r}")
        args.assets[name] = os.path.abspath(path)
    if not os.path.exists(args.chromium):
        sys.exit(f"web-bridge: no Chromium at {args.chromium} (./Scripts/setup-browser.sh installs it)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        sys.exit("web-bridge: Playwright for Python is missing (./Scripts/setup-browser.sh installs it)")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
