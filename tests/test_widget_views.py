"""The widget's HTTP side: the loader, the frame's headers and the demo page."""

from __future__ import annotations

import re

from support.services import settings


def test_loader_is_served_as_javascript_that_defines_only_support_widget(client):
    answer = client.get("/widget.js")
    assert answer.status_code == 200
    assert answer.mimetype == "application/javascript"
    source = answer.get_data(as_text=True).replace(" ", "")  # served minified
    assert "window.SupportWidget={" in source
    assert "localStorage.setItem" in source  # only in the frame-asked fallback, see README


def test_frame_may_be_embedded_anywhere_by_default(client):
    answer = client.get("/widget/frame?origin=http://localhost:8000")
    assert answer.status_code == 200
    assert "frame-ancestors 'self' *" in answer.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in answer.headers


def test_frame_ancestors_follow_the_allowed_origins(client, ctx):
    settings.save_widget_settings(
        {"allowed_origins": ["https://news.example", "https://shop.example/"]}
    )
    policy = client.get("/widget/frame").headers["Content-Security-Policy"]
    directive = re.search(r"frame-ancestors ([^;]+)", policy).group(1)
    assert directive.split() == ["'self'", "https://news.example", "https://shop.example"]
    assert "object-src 'none'" in policy


def test_frame_page_has_no_inline_script_and_every_hook(client):
    html = client.get("/widget/frame").get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert " style=" not in html and "<style" not in html
    for hook in ("contact-phone", "start-chat", "chat-input", "chat-send", "widget-close"):
        assert f'data-testid="{hook}"' in html
    assert re.search(r"/static/vendor/socket\.io/socket\.io\.esm\.min\.[0-9a-f]{12}\.js", html)


def test_demo_page_embeds_the_widget(client):
    html = client.get("/demo").get_data(as_text=True)
    assert '<script src="/widget.js" async></script>' in html
    assert "<article" in html or "<main" in html
