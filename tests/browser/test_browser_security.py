"""Security promises of the running app (issue #8), checked against a real `streamlit run app.py`:

- the server listens on loopback only (.streamlit/config.toml), seen in the kernel's socket table;
- an upload without the XSRF token is refused (403), also when it replays a real browser session's upload URL;
- a page that fails shows one sentence, never a traceback (the details go to the server log);
- demo mode: Train starts nothing until the presenter unlocks with the password.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookies
import ipaddress
import itertools
import os
import re
import signal
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser import browser_page, require_chromium, screenshot, streamlit_server, wait_for_app
from cnnlab.runs import jobs
from cnnlab.runs.store import RunStore

pytestmark = pytest.mark.timeout(600)

XSRF_COOKIE = "_streamlit_xsrf"  # streamlit.web.server.starlette.starlette_server_config.XSRF_COOKIE_NAME
TCP_LISTEN = "0A"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One plain server (the repo's config, no demo mode) shared by the socket and XSRF tests."""
    home = tmp_path_factory.mktemp("security-home")
    with streamlit_server(home) as url:
        yield url


# ---------------------------------------------------------------- listening sockets


def _decode_address(hex_addr: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp{,6} addresses: 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(hex_addr)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def listening_sockets() -> list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int, str]]:
    """Every listening TCP socket of this machine's network namespace: (address, port, inode)."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        with open(table) as fh:
            for line in fh.read().splitlines()[1:]:
                fields = line.split()
                if fields[3] != TCP_LISTEN:
                    continue
                addr, port = fields[1].split(":")
                out.append((_decode_address(addr), int(port, 16), fields[9]))
    return out


def socket_owners(inodes: set[str]) -> set[int]:
    """Pids holding any of these socket inodes open (from /proc/PID/fd)."""
    owners = set()
    targets = {f"socket:[{i}]" for i in inodes}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                    owners.add(int(pid))
                    break
            except OSError:
                continue
    return owners


def process_sockets(pid: int) -> set[str]:
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def other_local_addresses() -> list[str]:
    """This machine's own non-loopback IPv4 addresses (from the kernel's routing trie; no network use)."""
    found: set[str] = set()
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        return []
    for prev, line in itertools.pairwise(lines):
        if "/32 host LOCAL" in line:
            ip = prev.strip().split()[-1]
            if not ipaddress.ip_address(ip).is_loopback:
                found.add(ip)
    return sorted(found)


def test_server_listens_on_loopback_only(server: str) -> None:
    port = urlsplit(server).port
    on_port = [(addr, inode) for addr, p, inode in listening_sockets() if p == port]
    assert on_port, f"nothing listens on port {port}"
    assert {str(addr) for addr, _ in on_port} == {"127.0.0.1"}, on_port  # not 0.0.0.0, not ::
    # every socket the server process listens on (not just the page's port) is loopback too
    owners = socket_owners({inode for _, inode in on_port})
    assert len(owners) == 1, owners
    mine = process_sockets(owners.pop())
    served = [(addr, p) for addr, p, inode in listening_sockets() if inode in mine]
    assert served and all(addr.is_loopback for addr, _ in served), served
    # and from this machine's other addresses (what a neighbour on the network would use) the port is shut
    for ip in other_local_addresses():
        with pytest.raises(ConnectionRefusedError):
            http.client.HTTPConnection(ip, port, timeout=5).connect()


# ---------------------------------------------------------------- XSRF on uploads


def _multipart(name: str, payload: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def put_upload(server: str, path: str, *, cookie: str | None = None, token: str | None = None) -> tuple[int, str]:
    """PUT one file to Streamlit's upload endpoint, as a script (not a browser) would; (status, body)."""
    parts = urlsplit(server)
    body, content_type = _multipart("spec.json", b'{"name": "x"}')
    headers = {"Content-Type": content_type}
    if cookie is not None:
        headers["Cookie"] = f"{XSRF_COOKIE}={cookie}"
    if token is not None:
        headers["X-Xsrftoken"] = token
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("PUT", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def xsrf_cookie(server: str) -> str:
    """The XSRF cookie the server hands any visitor (a fresh token per cookie-less request)."""
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            if XSRF_COOKIE in jar:
                return jar[XSRF_COOKIE].value
    raise AssertionError("the server set no XSRF cookie: is enableXsrfProtection off?")


def test_upload_without_the_xsrf_token_is_refused(server: str) -> None:
    path = f"/_stcore/upload_file/{uuid.uuid4()}/{uuid.uuid4()}"
    cookie, other = xsrf_cookie(server), xsrf_cookie(server)
    assert cookie != other
    refused = {
        "no cookie, no header": put_upload(server, path),
        "cookie only": put_upload(server, path, cookie=cookie),
        "header only": put_upload(server, path, token=cookie),
        "header from another cookie": put_upload(server, path, cookie=cookie, token=other),
    }
    for case, (status, body) in refused.items():
        assert status == 403 and "XSRF" in body, (case, status, body)
    # the same request with a matching cookie and header passes the XSRF check: it is refused only because
    # the session id is made up (400), so the 403s above came from the missing token
    status, body = put_upload(server, path, cookie=cookie, token=cookie)
    assert status == 400 and "session_id" in body, (status, body)


@pytest.mark.browser
def test_a_real_sessions_upload_url_needs_its_token(server: str, tmp_path: Path) -> None:
    """Chromium uploads a file (a real session's PUT, token included); replaying that PUT without the token fails."""
    require_chromium()
    data = tmp_path / "tiny.npz"
    data.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive: npz is only sent, never read here
    with browser_page() as page:
        page.goto(f"{server}/data")
        wait_for_app(page)
        upload = page.locator("[data-testid='stFileUploaderDropzoneInput']").first
        with page.expect_response(lambda r: "/_stcore/upload_file/" in r.url and r.request.method == "PUT") as info:
            upload.set_input_files(str(data))
        response = info.value
        assert response.status == 204, response.status
        sent = response.request.all_headers()
        assert sent.get("x-xsrftoken"), sent  # the browser sends the token ...
        cookies = {c["name"]: c["value"] for c in page.context.cookies(server)}
        path = urlsplit(response.url).path
        # while the session lives: a script without the token is refused on the very same URL ...
        status, body = put_upload(server, path)
        assert status == 403 and "XSRF" in body, (status, body)
        status, body = put_upload(server, path, cookie=cookies[XSRF_COOKIE])
        assert status == 403 and "XSRF" in body, (status, body)
        # ... and the same request with the session's cookie and token is accepted
        status, body = put_upload(server, path, cookie=cookies[XSRF_COOKIE], token=sent["x-xsrftoken"])
        assert status == 204, (status, body)
        screenshot(page, "security-upload")


# ---------------------------------------------------------------- errors: a sentence, not a traceback


@pytest.mark.browser
def test_a_damaged_run_store_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    """A corrupt run store (a real failure a user can meet: a half-copied or overwritten runs.sqlite)."""
    require_chromium()
    home = tmp_path / "home"
    home.mkdir()
    (home / "runs.sqlite").write_bytes(b"this is not an SQLite database\n" * 200)
    log = tmp_path / "streamlit.log"
    with streamlit_server(home, log=log) as url, browser_page() as page:
        sentences = {"en": "runs.sqlite is damaged or is not a database", "zh": "runs.sqlite 已损坏或不是数据库"}
        for lang, sentence in sentences.items():
            page.goto(f"{url}/runs?lang={lang}")
            wait_for_app(page)
            alert = page.get_by_text(sentence)
            alert.wait_for()
            text = page.locator("[data-testid='stMain']").inner_text()
            screenshot(page, f"security-error-sentence-{lang}")
            for leak in ("Traceback", 'File "', "site-packages", "cnnlab/", ".py", "StoreError", str(tmp_path)):
                assert leak not in text, (leak, text)
            assert not re.search(r"\bline \d+", text), text
            assert page.locator("[data-testid='stException']").count() == 0  # no Streamlit exception box
            assert alert.count() == 1
    details = log.read_text(errors="replace")
    assert "page stopped" in details and "is damaged or is not a database" in details, details  # in the log


# ---------------------------------------------------------------- demo mode


@pytest.mark.browser
def test_demo_mode_trains_only_after_the_presenter_unlocks(cnnlab_home: Path) -> None:
    """The server and this test share the data home, so the test sees exactly what the page stored."""
    require_chromium()
    env = {"CNNLAB_DEMO": "1", "CNNLAB_DEMO_PASSWORD": "presenter-pw"}
    try:
        with streamlit_server(cnnlab_home, env) as url, browser_page() as page:
            page.goto(f"{url}/train")
            wait_for_app(page)
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_text("only the presenter can do this").wait_for()
            wait_for_app(page)
            with RunStore() as store:
                assert store.list_runs() == []  # refused: nothing queued, no worker
            screenshot(page, "security-demo-refused")

            page.get_by_label("Presenter password").fill("guess")
            page.get_by_role("button", name="Unlock").click()
            page.get_by_text("Wrong password.").wait_for()
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_text("only the presenter can do this").wait_for()
            wait_for_app(page)
            with RunStore() as store:
                assert store.list_runs() == []  # a wrong password unlocks nothing

            page.get_by_label("Presenter password").fill("presenter-pw")
            page.get_by_role("button", name="Unlock").click()
            page.get_by_text("Presenter controls unlocked").wait_for()
            page.get_by_role("button", name="Train", exact=True).click()
            with RunStore() as store:
                deadline = time.monotonic() + 120
                while not store.list_runs() and time.monotonic() < deadline:
                    time.sleep(0.2)
                runs = store.list_runs()
                assert len(runs) == 1 and runs[0].status in ("queued", "running"), runs
                deadline = time.monotonic() + 60  # until its worker is known, so that it can be ended below
                while runs[0].active and not runs[0].pid and time.monotonic() < deadline:
                    time.sleep(0.1)
                    runs = store.list_runs()
                assert runs[0].status == "running" and runs[0].pid, runs
    finally:  # the default recipe would train for minutes: end the worker the server started, by its pid
        with RunStore() as store:
            for run in store.list_runs(["running"]):
                if run.pid and jobs.pid_alive(run.pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(run.pid, signal.SIGKILL)
