"""The widget's config and frame answered in front of Flask (``http_cache.PublicAnswers``, issue
9): each answer must be the one Flask's view and hooks give to the same request, status, every
header in order and body, and requests it cannot answer exactly must still reach Flask."""

from __future__ import annotations

import flask
import pytest
from werkzeug.test import EnvironBuilder

from support.services import settings

CONFIG, FRAME = "/api/widget/config", "/widget/frame?origin=https://shop.example"
ENCODINGS = [None, "identity", "gzip", "br", "gzip, deflate, br, zstd", "br;q=0, gzip"]
ORIGINS = [None, "https://shop.example", "https://evil.example", "http://localhost"]


@pytest.fixture
def answers(app, monkeypatch):
    """The answers in front of Flask, once Flask rendered the frame (the first render also
    builds the static files). The settings' snapshot is kept longer than in production, so
    a slow machine cannot let it go stale between Flask's answer and the one compared."""
    monkeypatch.setattr(settings, "SNAPSHOT_SECONDS", 60.0)
    app.config["ALLOWED_ORIGINS"] = "https://shop.example"
    answers = app.extensions["support.public_answers"]
    call(answers.wsgi_app, FRAME)
    return answers


@pytest.fixture
def reaching_flask(app):
    """The paths of the requests that reached Flask (its own ``request_started`` signal)."""
    paths: list[str] = []

    def started(sender, **extra):
        paths.append(flask.request.path)

    flask.request_started.connect(started, app)
    yield paths
    flask.request_started.disconnect(started, app)


def call(wsgi_app, path: str, method: str = "GET", **headers) -> tuple:
    """A WSGI call of ``wsgi_app``: its status, header list and body."""
    environ = EnvironBuilder(path=path, method=method, headers=headers).get_environ()
    answer: dict = {}

    def start_response(status, header_list, exc_info=None):
        answer["status"], answer["headers"] = status, header_list

    body = b"".join(wsgi_app(environ, start_response))
    return answer["status"], list(answer["headers"]), body


def fast_and_flask(answers, path: str, **headers) -> tuple:
    """The same request answered by Flask's view (first: it reads the settings' snapshot that
    the answer in front of Flask then uses) and by the answer in front of Flask."""
    flask_answer = call(answers.wsgi_app, path, **headers)
    environ = EnvironBuilder(path=path, headers=headers).get_environ()
    fast = answers.answers[environ["PATH_INFO"]](environ)
    assert fast is not None, "not answered in front of Flask"
    return fast, flask_answer


def etag_of(answers, path: str) -> str:
    return dict(call(answers.wsgi_app, path)[1])["ETag"]


def request_headers(encoding, origin, etag=None) -> dict:
    headers = {"Accept-Encoding": encoding, "Origin": origin, "If-None-Match": etag}
    return {name: value for name, value in headers.items() if value is not None}


@pytest.mark.parametrize("path", [CONFIG, FRAME])
@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_first_view_answers_are_flasks_own(answers, path, origin, encoding):
    fast, flask_answer = fast_and_flask(answers, path, **request_headers(encoding, origin))
    assert fast[0] == "200 OK"
    assert fast == (flask_answer[0], flask_answer[1], flask_answer[2])


@pytest.mark.parametrize("path", [CONFIG, FRAME])
@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("encoding", [None, "gzip, deflate, br"])
def test_repeat_view_304s_are_flasks_own(answers, path, origin, encoding):
    etag = etag_of(answers, path)
    headers = request_headers(encoding, origin, etag)
    fast, flask_answer = fast_and_flask(answers, path, **headers)
    assert fast[0] == "304 NOT MODIFIED" and fast[2] == b""
    assert fast == flask_answer
    other = fast_and_flask(answers, path, **{**headers, "If-None-Match": f'"elsewhere", {etag}'})
    assert other[0] == other[1] and other[0][0].startswith("304")


def test_cors_and_vary_follow_the_origin(answers):
    allowed, _ = fast_and_flask(answers, CONFIG, Origin="https://shop.example")
    refused, _ = fast_and_flask(answers, CONFIG, Origin="https://evil.example")
    assert dict(allowed[1])["Access-Control-Allow-Origin"] == "https://shop.example"
    assert dict(allowed[1])["Vary"] == "Accept-Encoding, Origin"
    assert not any(name.startswith("Access-Control") for name, _ in refused[1])
    assert dict(refused[1])["Vary"] == "Accept-Encoding"
    for answer in (allowed, refused):
        assert "Set-Cookie" not in dict(answer[1])


def test_after_a_settings_change_the_etags_change_and_still_match_flask(answers, ctx):
    config_before, frame_before = etag_of(answers, CONFIG), etag_of(answers, FRAME)
    settings.update_widget_settings(
        {"chat": {"greeting": "Changed"}, "allowed_origins": ["https://a.example"]}
    )
    # The saving process dropped its snapshot: the next request goes to Flask, which reads it.
    environ = EnvironBuilder(path=CONFIG).get_environ()
    assert answers.answers[CONFIG](environ) is None
    for path, before in ((CONFIG, config_before), (FRAME, frame_before)):
        fast, flask_answer = fast_and_flask(answers, path, **{"If-None-Match": before})
        assert fast == flask_answer and fast[0] == "200 OK"
        assert dict(fast[1])["ETag"] != before
    fast, _ = fast_and_flask(answers, FRAME)
    assert "https://a.example" in dict(fast[1])["Content-Security-Policy"]


def test_page_views_do_not_reach_flask_once_it_has_answered(app, answers, reaching_flask):
    """Flask rendered the frame and read the settings (the fixture); page views now stop
    in front of it, through the whole middleware stack."""
    client = app.test_client()
    etags = {path: client.get(path).headers["ETag"] for path in (CONFIG, FRAME)}
    for path, etag in etags.items():
        assert client.get(path, headers={"Accept-Encoding": "br"}).status_code == 200
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        assert client.get(path, headers={"Origin": "https://shop.example"}).status_code == 200
    assert reaching_flask == []


@pytest.mark.parametrize(
    "method, headers",
    [
        ("HEAD", {}),
        ("OPTIONS", {"Origin": "https://shop.example"}),
        ("POST", {}),
        ("GET", {"Cookie": "session=x"}),
    ],
)
def test_what_it_cannot_answer_exactly_goes_to_flask(app, answers, reaching_flask, method, headers):
    for path in (CONFIG, FRAME):
        call(answers.wsgi_app, path)  # a fresh snapshot and a rendered frame
        reaching_flask.clear()
        call(app.wsgi_app, path, method=method, **headers)
        assert reaching_flask == [path.split("?")[0]], (path, method)


def test_nothing_is_answered_in_front_of_flask_while_trusted_hosts_are_set(app, reaching_flask):
    call(app.wsgi_app, CONFIG)
    app.config["TRUSTED_HOSTS"] = ["support.example"]
    assert call(app.wsgi_app, CONFIG)[0].startswith("400")  # Flask refuses the host
    assert reaching_flask == [CONFIG, CONFIG]


def test_a_failure_is_answered_by_flask_as_for_any_view(app, answers, reaching_flask):
    app.config["ALLOWED_ORIGINS"] = 5  # a broken setting: reading the list fails
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answered as in production, not raised
    status, headers, body = call(app.wsgi_app, CONFIG, Origin="https://shop.example")
    assert status.startswith("500") and reaching_flask == [CONFIG]
    assert (status, headers, body) == call(answers.wsgi_app, CONFIG, Origin="https://shop.example")
