"""Starts an installed binary through WebKitWebDriver (as the window tests do through
tauri-driver) and prints the text its page shows once it holds EXPECTED: proof that the
binary serves its own UI (a build without the `custom-protocol` feature loads the Vite dev
server's address instead and shows WebKit's "Could not connect" page).
Usage: page_text.py BINARY EXPECTED [ARG...] (needs DISPLAY; exits 1 after 60 s without it)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

binary, expected, args = sys.argv[1], sys.argv[2], sys.argv[3:]

with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
base = f"http://127.0.0.1:{port}"


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["value"]


# Wry allows WebKit automation only with this in the app's environment.
env = dict(os.environ, TAURI_WEBVIEW_AUTOMATION="true")
driver = subprocess.Popen(["WebKitWebDriver", f"--port={port}", "--host=127.0.0.1"], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
session = None
try:
    for _ in range(100):
        try:
            call("GET", "/status")
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    else:
        sys.exit("page_text.py: WebKitWebDriver did not start")
    caps = {"capabilities": {"alwaysMatch": {
        "webkitgtk:browserOptions": {"binary": binary, "args": args}}}}
    session = call("POST", "/session", caps)["sessionId"]
    text, deadline = "", time.monotonic() + 60
    while time.monotonic() < deadline:
        url = call("POST", f"/session/{session}/execute/sync",
                   {"script": "return location.href", "args": []})
        text = call("POST", f"/session/{session}/execute/sync",
                    {"script": "return document.body ? document.body.innerText : ''", "args": []})
        if expected in text:
            print(f"page at {url}:")
            print(text)
            sys.exit(0)
        time.sleep(0.5)
    print(f"page_text.py: the page never showed {expected!r}; at {url} it shows:\n{text}",
          file=sys.stderr)
    sys.exit(1)
finally:
    if session:
        try:
            call("DELETE", f"/session/{session}")
        except Exception:
            pass
    driver.terminate()
    driver.wait(timeout=10)
