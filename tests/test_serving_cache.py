"""Page views at scale (issue 9): what a visitor who never chats costs the server.

Static files are fingerprinted, precompressed and cached for a year; the loader, the frame and
the config revalidate with ETags (304); bodies are compressed per ``Accept-Encoding``; and no
public response touches the session (no cookie, no ``Vary: Cookie``), so caches may keep them.
Checked against the app and against a real ``support serve`` process."""

from __future__ import annotations

import gzip
import os
import re
import time
from pathlib import Path

import brotli
import pytest
import requests

from support import static_files
from support.services import settings
from tests.helpers import wait_until
from tests.test_dashboard_server import sign_in

IMMUTABLE = "public, max-age=31536000, immutable"
FINGERPRINTED = re.compile(r"""(?:href|src|data-[a-z]+)="(/static/[^"]+\.[0-9a-f]{12}\.[a-z]+)\"""")
STATIC_REFERENCE = re.compile(r"""(?:href|src|data-[a-z]+)="(/static/[^"]+)\"""")
PUBLIC_URLS = ("/widget.js", "/widget/frame?origin=https://news.example", "/api/widget/config")


def get_raw(url: str, **headers) -> requests.Response:
    """A GET whose body is left as it came over the wire (requests would undo gzip itself)."""
    answer = requests.get(url, headers=headers, stream=True, timeout=10)
    answer.wire = answer.raw.read(decode_content=False)
    return answer


def unpack(answer: requests.Response) -> bytes:
    encoding = answer.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(answer.wire)
    if encoding == "gzip":
        return gzip.decompress(answer.wire)
    assert encoding is None
    return answer.wire


def assert_revalidates(url: str, max_age: int) -> str:
    """200 with an ETag and a ``max-age`` of ``max_age``, then 304 with no body for it."""
    first = get_raw(url, **{"Accept-Encoding": "gzip, br"})
    assert first.status_code == 200
    assert f"max-age={max_age}" in first.headers["Cache-Control"]
    assert "public" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = get_raw(url, **{"If-None-Match": etag, "Accept-Encoding": "gzip, br"})
    assert again.status_code == 304 and again.wire == b""
    assert again.headers["ETag"] == etag
    return etag


# --- against a real `support serve` -------------------------------------------------------------


def test_loader_frame_and_config_answer_304_to_a_repeat_view(server):
    assert_revalidates(server.url + "/widget.js", 300)
    assert_revalidates(server.url + PUBLIC_URLS[1], 60)
    assert_revalidates(server.url + "/api/widget/config", 5)


@pytest.mark.parametrize("url", PUBLIC_URLS + ("/static/widget/frame.js",))
@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_bodies_are_compressed_as_the_browser_accepts(server, url, encoding):
    plain = get_raw(server.url + url, **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    packed = get_raw(server.url + url, **{"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.wire) < len(plain.wire) * 0.8
    assert unpack(packed) == plain.wire
    assert int(packed.headers["Content-Length"]) == len(packed.wire)


def test_brotli_is_preferred_when_both_are_accepted(server):
    for url in PUBLIC_URLS:
        answer = get_raw(server.url + url, **{"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert answer.headers["Content-Encoding"] == "br", url


def test_frame_and_pages_name_fingerprinted_files_cached_for_a_year(server):
    signed_in, _ = sign_in(server, "admin")
    pages = {
        "frame": requests.get(server.url + PUBLIC_URLS[1], timeout=10).text,
        "login": requests.get(server.url + "/login", timeout=10).text,
        "dashboard": signed_in.get(server.url + "/dashboard/", timeout=10).text,
        "admin": signed_in.get(server.url + "/admin/settings", timeout=10).text,
    }
    for name, html in pages.items():
        references = STATIC_REFERENCE.findall(html)
        assert references, name
        assert references == FINGERPRINTED.findall(html), f"{name}: {references}"
        for url in references:
            answer = get_raw(server.url + url, **{"Accept-Encoding": "br"})
            assert answer.status_code == 200, url
            assert answer.headers["Cache-Control"] == IMMUTABLE, url
            assert "Cookie" not in answer.headers.get("Vary", ""), url


def test_a_plain_static_name_is_still_served_with_a_short_cache(server):
    """What a relative ES module import asks for when it was not rewritten."""
    answer = get_raw(server.url + "/static/widget/i18n.js", **{"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=60"
    assert answer.headers["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("url", PUBLIC_URLS + ("/healthz", "/static/widget/frame.js", "/demo"))
def test_public_responses_never_touch_the_session_even_for_a_signed_in_agent(server, url):
    signed_in, _ = sign_in(server, "alice")
    assert signed_in.cookies.get("session")
    for client in (requests, signed_in):
        answer = client.get(server.url + url, timeout=10)
        assert answer.status_code == 200
        assert "Set-Cookie" not in answer.headers, url
        assert "Cookie" not in answer.headers.get("Vary", ""), url


def test_config_etag_changes_when_an_agent_comes_online(server_factory):
    server = server_factory()
    url = server.url + "/api/widget/config"
    offline = requests.get(url, timeout=10).headers["ETag"]
    agent = server.agent("alice")
    try:
        wait_until(lambda: requests.get(url, timeout=10).json()["chat"]["online"], what="online")
        online = requests.get(url, timeout=10)
        assert online.headers["ETag"] != offline
        repeat = requests.get(url, headers={"If-None-Match": offline}, timeout=10)
        assert repeat.status_code == 200 and repeat.json()["chat"]["online"] is True
    finally:
        agent.close()


def test_config_and_frame_etags_change_when_an_admin_changes_settings(server):
    config_url, frame_url = server.url + "/api/widget/config", server.url + PUBLIC_URLS[1]
    config_before = requests.get(config_url, timeout=10).headers["ETag"]
    frame_before = requests.get(frame_url, timeout=10).headers["ETag"]
    answer = server.api(
        "PATCH",
        "/api/v1/settings/widget",
        who="admin",
        json={"brand": {"name": "Cached Co", "tagline": "", "color": "#112233"}},
    )
    assert answer.status_code == 200, answer.text
    changed = requests.get(config_url, headers={"If-None-Match": config_before}, timeout=10)
    assert changed.status_code == 200 and changed.json()["brand"]["name"] == "Cached Co"
    assert requests.get(frame_url, timeout=10).headers["ETag"] == frame_before  # same page
    answer = server.api(
        "PATCH",
        "/api/v1/settings/widget",
        who="admin",
        json={"allowed_origins": ["https://a.example"]},
    )
    assert answer.status_code == 200, answer.text
    reframed = requests.get(frame_url, headers={"If-None-Match": frame_before}, timeout=10)
    assert reframed.status_code == 200
    assert "https://a.example" in reframed.headers["Content-Security-Policy"]
    server.api("PATCH", "/api/v1/settings/widget", who="admin", json={"allowed_origins": None})


# --- against the app ----------------------------------------------------------------------------


def test_config_etag_changes_when_settings_are_saved(client, ctx):
    before = client.get("/api/widget/config").headers["ETag"]
    assert client.get("/api/widget/config", headers={"If-None-Match": before}).status_code == 304
    settings.update_widget_settings({"chat": {"greeting": "Hello from the cache test"}})
    after = client.get("/api/widget/config", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before
    assert after.get_json()["chat"]["greeting"] == "Hello from the cache test"


def test_304_answers_carry_no_body_and_keep_the_caching_headers(client):
    first = client.get("/widget/frame")
    repeat = client.get("/widget/frame", headers={"If-None-Match": first.headers["ETag"]})
    assert repeat.status_code == 304 and repeat.data == b""
    assert repeat.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert repeat.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


# --- the build ----------------------------------------------------------------------------------


def write(folder: Path, name: str, text: str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_relative_module_imports_point_at_fingerprinted_names(tmp_path):
    source = tmp_path / "static"
    write(source, "app/main.js", 'import { q } from "./queue.js";\nimport("../shared/x.js");\n')
    write(source, "app/queue.js", 'export { x } from "../shared/x.js"; export const q = 1;\n')
    write(source, "shared/x.js", "export const x = 1;\n")
    build = static_files.build(source, tmp_path / "cache")
    main = (build.folder / build.fingerprinted["app/main.js"]).read_text()
    queue_name = build.fingerprinted["app/queue.js"].split("/")[-1]
    x_name = build.fingerprinted["shared/x.js"].split("/")[-1]
    bare = main.replace(" ", "")  # served minified
    assert f'from"./{queue_name}"' in bare and f'import("../shared/{x_name}")' in bare
    assert (build.folder / "app/main.js").read_text() == main  # the plain name serves the same

    write(source, "shared/x.js", "export const x = 2;\n")  # a change deep in the graph …
    rebuilt = static_files.build(source, tmp_path / "cache")
    assert rebuilt.folder != build.folder
    for name in ("app/main.js", "app/queue.js", "shared/x.js"):  # … renames every importer
        assert rebuilt.fingerprinted[name] != build.fingerprinted[name]


def test_module_graph_lists_every_static_import_once_nearest_first(tmp_path):
    source = tmp_path / "static"
    write(
        source, "app/main.js", 'import "./a.js";\nimport { b } from "./b.js";\nimport("./d.js");\n'
    )
    write(source, "app/a.js", 'import { c } from "../shared/c.js";\nimport "./b.js";\n')
    write(source, "app/b.js", 'import "./main.js";\nexport const b = 1;\n')  # a cycle
    write(source, "shared/c.js", "export const c = 1;\n")
    write(source, "app/d.js", "export const d = 1;\n")  # only computed: not preloaded
    build = static_files.build(source, tmp_path / "cache")
    assert build.module_graph("app/main.js") == ["app/a.js", "app/b.js", "shared/c.js"]
    assert build.module_graph("shared/c.js") == []


def test_the_frame_and_the_dashboard_preload_their_whole_module_graph(server):
    """Without the hints a first view fetches one level of imports per round trip
    (``bench/frame_load.py``)."""
    signed_in, _ = sign_in(server, "admin")
    pages = {
        "widget/frame.js": requests.get(server.url + PUBLIC_URLS[1], timeout=10).text,
        "dashboard/main.js": signed_in.get(server.url + "/dashboard/", timeout=10).text,
    }
    for entry, html in pages.items():
        preloaded = re.findall(r'<link rel="modulepreload" href="/static/([^"]+)">', html)
        plain = {re.sub(r"\.[0-9a-f]{12}\.js$", ".js", name) for name in preloaded}
        assert len(plain) == len(preloaded) > 5, entry
        assert "shared/client/outbox.js" in plain and entry not in plain, entry
        # The dashboard needs socket.io at once; the widget imports it only for a chat.
        socket_io = "vendor/socket.io/socket.io.esm.min.js"
        assert (socket_io in plain) == (entry == "dashboard/main.js"), entry


def test_a_build_is_reused_and_compressed_only_where_it_pays(tmp_path):
    source = tmp_path / "static"
    write(source, "big.css", "body { color: red; }\n" * 200)
    write(source, "tiny.txt", "x")
    first = static_files.build(source, tmp_path / "cache")
    assert (first.folder / "big.css.br").is_file() and (first.folder / "big.css.gz").is_file()
    assert not (first.folder / "tiny.txt.gz").exists()
    assert static_files.build(source, tmp_path / "cache") == first


def test_builds_of_earlier_releases_are_removed_after_a_week(tmp_path):
    source, cache = tmp_path / "static", tmp_path / "cache"
    write(source, "a.css", "a {}\n")
    old = static_files.build(source, cache).folder
    recent = cache / "recent-release"
    recent.mkdir()
    week_ago = time.time() - static_files.OLD_BUILD_SECONDS - 60
    os.utime(old, (week_ago, week_ago))
    write(source, "a.css", "b {}\n")
    static_files.build(source, cache)
    assert not old.exists() and recent.exists()


def test_our_scripts_and_styles_are_served_minified_and_vendored_ones_as_they_come(tmp_path):
    source = tmp_path / "static"
    write(source, "app/main.js", '/* why */\nimport { q } from "./q.js";\n\nexport const a = q;\n')
    write(source, "app/q.js", "// a comment\nexport const q = `a  //  b`;\n")
    write(source, "app/style.css", "/* why */\nbody {\n  color: red;\n}\n")
    write(source, "vendor/lib.min.js", "/*! licence */\nvar x = 1;\n")
    build = static_files.build(source, tmp_path / "cache")
    main = (build.folder / "app/main.js").read_text()
    assert "why" not in main and "\n\n" not in main
    assert f'from"./{build.fingerprinted["app/q.js"].split("/")[-1]}"' in main.replace(" ", "")
    assert (build.folder / "app/q.js").read_text().strip() == "export const q=`a  //  b`;"
    assert (build.folder / "app/style.css").read_text() == "body{color:red}"
    assert (build.folder / "vendor/lib.min.js").read_text() == "/*! licence */\nvar x = 1;\n"
