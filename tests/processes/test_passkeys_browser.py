"""Passkeys in a real browser: headless Chromium with its virtual authenticator (the DevTools
protocol's WebAuthn domain: CTAP2, internal, resident keys, user verification) on a page served
at an allowed origin, running the README's own JavaScript against a real `authgate serve`: a
signed-in user registers a passkey, then signs in with it, username-less.

Needs Debian's `chromium` (`.ci/run` installs it): skipped without it, except under CI, where
it fails."""

import base64
import contextlib
import http.server
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from testkit.servers import free_port
from tests.processes.chromium import DevTools, DevToolsError
from tests.processes.servers import running_server

README = Path(__file__).parents[2] / "README.md"
_README_API = "http://localhost:8080"
# The page server listens on 127.0.0.1 only; the page's origin is still `localhost`, the relying
# party's id.
_LOCALHOST_IS_LOOPBACK = "--host-resolver-rules=MAP localhost 127.0.0.1"
_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Authgate passkeys</title></head>
<body><h1 id="status">Signed out</h1><pre id="answer"></pre>
<script>
{script}
</script></body></html>"""


def readme_script() -> str:
    """The page JavaScript the README's Passkeys section shows."""
    section = README.read_text(encoding="utf-8").split("\n## Passkeys\n")[1].split("\n## ")[0]
    match = re.search(r"```js\n(.*?)```", section, re.DOTALL)
    assert match, "the README's Passkeys section shows no JavaScript"
    return match.group(1)


@contextlib.contextmanager
def serving_page(html: str, port: int) -> Iterator[str]:
    """The page at http://localhost:PORT/ (a secure context without TLS, as WebAuthn needs)."""
    body = html.encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/"
    finally:
        server.shutdown()
        server.server_close()


def open_page(browser: DevTools, url: str) -> tuple[str, str]:
    """A tab with a virtual authenticator, on `url` once its script has run: the tab's session
    and the authenticator's id."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session: str = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    browser.send("WebAuthn.enable", {"enableUI": False}, session)
    added = browser.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
        session,
    )
    browser.send("Page.navigate", {"url": url}, session)
    for _ in range(200):
        with contextlib.suppress(DevToolsError):
            if browser.evaluate(session, "typeof signInWithPasskey") == "function":
                return session, added["authenticatorId"]
        browser.evaluate(session, "new Promise((done) => setTimeout(done, 50))")
    raise AssertionError("the page's script did not load")


def test_a_passkey_is_registered_and_signs_in_username_less_in_chromium(tmp_path: Path) -> None:
    page_port = free_port()
    origin = f"http://localhost:{page_port}"
    with running_server(
        tmp_path / "server", WORKERS="1", WEBAUTHN_ORIGINS=origin, CORS_ORIGINS=origin
    ) as server:
        api = server.base_url
        user = {"username": "alice", "email": "alice@example.com", "password": "correct horse 1"}
        assert httpx.post(f"{api}/api/auth/signup", json=user, timeout=30).status_code == 200
        token = httpx.post(f"{api}/api/auth/signin", json=user, timeout=30).json()["accessToken"]
        html = _PAGE.format(script=readme_script().replace(_README_API, api))

        with (
            serving_page(html, page_port) as url,
            DevTools(
                tmp_path / "profile", "--host-resolver-rules=MAP localhost 127.0.0.1"
            ) as browser,
        ):
            session, authenticator = open_page(browser, url)
            added = browser.evaluate(session, f"addPasskey({json.dumps(token)}, 'Chromium')")
            held = browser.send(
                "WebAuthn.getCredentials", {"authenticatorId": authenticator}, session
            )["credentials"]
            answer = browser.evaluate(
                session,
                """signInWithPasskey().then((a) => {
                    document.getElementById("status").textContent = `Signed in as ${a.username}`;
                    document.getElementById("answer").textContent = JSON.stringify(
                        { ...a, accessToken: "…", refreshToken: "…" }, null, 2);
                    return a;
                })""",
            )
            screenshot = browser.send("Page.captureScreenshot", {"format": "png"}, session)
            (tmp_path / "signed-in.png").write_bytes(base64.b64decode(screenshot["data"]))
            print(f"signed-in page: {tmp_path / 'signed-in.png'}")

        assert added["name"] == "Chromium", added
        assert [c["isResidentCredential"] for c in held] == [True]
        assert answer["username"] == "alice", answer
        assert answer["tokenType"] == "Bearer"
        headers = {"x-access-token": answer["accessToken"]}
        assert (
            httpx.get(f"{api}/api/test/user", headers=headers, timeout=30).text == "User Content."
        )
        [listed] = httpx.get(f"{api}/api/user/passkeys", headers=headers, timeout=30).json()
        assert listed["lastUsedAt"] is not None
        print(f"registered {added}, signed in as {answer['username']} (user {answer['id']})")
