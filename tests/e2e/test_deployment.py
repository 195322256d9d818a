"""The deployment exactly as ``docs/deploy.md`` documents it: Debian's nginx, run with the
configuration block read from that file (only its ports changed and a test certificate added), in
front of two ``support serve`` processes on PostgreSQL and Redis with
``SUPPORT_TRUSTED_PROXIES=1``. Clients connect from several loopback addresses (127.0.0.2,
127.0.0.3, ...), as different visitors would."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
import requests
import urllib3

from tests.helpers import ROOT, ServerPair, SocketClient, session_from, wait_until

pytestmark = pytest.mark.e2e

NGINX = Path(os.environ.get("SUPPORT_TEST_NGINX", "/usr/sbin/nginx"))
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
NEW_VISITORS_PER_ADDRESS = 3


def documented_nginx_block() -> str:
    """The one ```nginx block of docs/deploy.md."""
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY_DOC.read_text(), re.DOTALL)
    assert len(blocks) == 1, "docs/deploy.md should have exactly one nginx block"
    return blocks[0]


def site_config(listen: int, backends: list[int], cert: Path, key: Path) -> str:
    """The documented block with the test's ports and certificate, and nothing else changed."""
    lines, upstreams_written = [], False
    for line in documented_nginx_block().splitlines():
        if re.fullmatch(r"\s*server 127\.0\.0\.1:\d+ .*;", line):
            if not upstreams_written:
                lines += [
                    f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in backends
                ]
                upstreams_written = True
            continue
        if line.strip() == "listen 443 ssl http2;":
            line = f"    listen 127.0.0.1:{listen} ssl http2;"
        elif line.strip() == "# ssl_certificate ...;":
            line = f"    ssl_certificate {cert};\n    ssl_certificate_key {key};"
        lines.append(line)
    config = "\n".join(lines)
    assert upstreams_written and f":{listen} ssl" in config and "ssl_certificate_key" in config
    return config


def main_config(prefix: Path, site: Path) -> str:
    """An nginx of its own: its prefix, pid, logs and temporary files all under ``prefix``."""
    temp = "\n".join(
        f"    {name}_temp_path {prefix / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    access_log {prefix / 'access.log'};\n{temp}\n    include {site};\n}}\n"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "test.crt", folder / "test.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """``(base URL through nginx, the server pair)``."""
    if not NGINX.exists():
        pytest.skip(f"DEPLOYMENT TEST SKIPPED: no nginx at {NGINX} (apt-get install nginx)")
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    workdir = tmp_path_factory.mktemp("deployment")
    pair = ServerPair(
        workdir,
        {
            "SUPPORT_TRUSTED_PROXIES": "1",
            "SUPPORT_LIMIT_NEW_VISITORS": f"{NEW_VISITORS_PER_ADDRESS}/minute",
        },
    )
    prefix = workdir / "nginx"
    prefix.mkdir()
    cert, key = _test_certificate(prefix)
    port = free_port()
    site = prefix / "support.conf"
    site.write_text(
        site_config(port, [pair.a.url.rsplit(":", 1)[1], pair.b.url.rsplit(":", 1)[1]], cert, key)
    )
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    nginx = subprocess.Popen(
        [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=(prefix / "stderr.log").open("w"),
    )
    url = f"https://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url) or nginx.poll() is not None, what="nginx", timeout=15)
        assert nginx.poll() is None, (prefix / "stderr.log").read_text()
        yield url, pair
    finally:
        nginx.terminate()
        nginx.wait(10)
        pair.close()


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", verify=False, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _new_visitor(url: str, address: str, **headers) -> requests.Response:
    return session_from(address).post(
        url + "/api/widget/visitors", json={}, headers=headers, verify=False, timeout=10
    )


def test_visitors_from_different_addresses_are_limited_separately(deployment):
    url, _ = deployment
    # A forged X-Forwarded-For changes nothing: nginx appends the address it saw.
    first = [
        _new_visitor(url, "127.0.0.2", **{"X-Forwarded-For": f"198.51.100.{n}"}).status_code
        for n in range(NEW_VISITORS_PER_ADDRESS + 1)
    ]
    assert first == [201] * NEW_VISITORS_PER_ADDRESS + [429]
    assert _new_visitor(url, "127.0.0.3").status_code == 201


def _visitor_through(url: str, address: str, transport: str) -> SocketClient:
    token = _new_visitor(url, address).json()["token"]
    http = requests.Session()
    http.trust_env = False  # REQUESTS_CA_BUNDLE would turn verification back on
    return SocketClient(
        url,
        "/visitor",
        {"token": token},
        transports=(transport,),
        ssl_verify=False,
        http_session=http,
    )


@pytest.mark.parametrize(
    ("transport", "address"), [("websocket", "127.0.0.4"), ("polling", "127.0.0.5")]
)
def test_a_chat_through_nginx_crosses_the_two_processes(deployment, transport, address):
    url, pair = deployment
    # One agent on each process, directly: whichever process nginx picked for the visitor, the
    # chat reaches the other one through Redis.
    alice, bob = pair.a.agent("alice"), pair.b.agent("bob")
    visitor = _visitor_through(url, address, transport)
    try:
        assert visitor.sio.transport() == transport
        sent = visitor.ok("message:send", {"client_id": f"hello-{transport}", "body": "hello"})
        conversation = sent["conversation"]["id"]
        for agent in (alice, bob):
            agent.wait_for("message:new", lambda m: m["conversation_id"] == conversation)
        for agent, name in ((alice, "alice"), (bob, "bob")):  # sending does not claim
            reply = {"conversation_id": conversation, "client_id": f"{name}-{transport}"}
            agent.ok("message:send", reply | {"body": f"hi from {name}"})
        for name in ("alice", "bob"):
            visitor.wait_for("message:new", lambda m, name=name: m["body"] == f"hi from {name}")
    finally:
        for client in (visitor, alice, bob):
            client.close()


def test_tls_terminated_at_nginx_gives_secure_cookies(deployment):
    url, _ = deployment
    page = session_from("127.0.0.6").get(url + "/login", verify=False, timeout=10)
    assert page.status_code == 200
    assert "; secure" in page.headers["Set-Cookie"].lower()


def test_the_audit_log_records_each_clients_own_address(deployment):
    url, pair = deployment
    browser = session_from("127.0.0.7")
    form = browser.get(url + "/login", verify=False, timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    answer = browser.post(
        url + "/login",
        data={"csrf_token": token, "email": "nobody@example.com", "password": "guess"},
        headers={"Referer": url + "/login"},  # Flask-WTF checks it over HTTPS
        verify=False,
        timeout=10,
    )
    assert answer.status_code == 401, answer.text
    audit = pair.a.api("GET", "/api/v1/audit?action=login_failed", who="admin").json()
    assert [e["ip_address"] for e in audit["items"]] == ["127.0.0.7"]
