"""The review's browser attack (issue 10, item 1): an agent signed in on
``support.example.test`` opens a page on ``evil.example.test`` (a sibling subdomain, so the
same site: the SameSite=Lax cookie goes along). The page tries every way it has to drive the
agent's ``/agent`` socket: JSONP polling with the cookie, then the connect packet posted from
its own origin, and socket.io-client over polling and WebSocket. It must read nothing.

Chromium resolves both names to loopback (``--host-resolver-rules``)."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.helpers import AGENTS, PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SECRET_NAME = "Sally Secretvisitor"

EVIL_SCRIPT = """
var S = %(support)s;
var BASE = S + "/socket.io/?EIO=4&transport=polling";
window.loot = {jsonp: [], io: [], done: false};
window.___eio = [];

function jsonp(url, index) {
  return new Promise(function (resolve) {
    window.___eio[index] = function (data) {
      window.loot.jsonp.push(String(data));
      resolve(String(data));
    };
    var script = document.createElement("script");
    script.src = url + "&j=" + index;
    script.onerror = function () { window.loot.jsonp.push("refused"); resolve(null); };
    document.head.appendChild(script);
  });
}

function post(sid, packet) {
  return fetch(BASE + "&sid=" + sid, {method: "POST", mode: "no-cors", credentials: "include",
                                       body: packet}).catch(function () {});
}

function pause(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

async function viaJsonp() {
  var first = await jsonp(BASE, 0);
  if (!first || first.indexOf('"sid"') < 0) return;
  var sid = JSON.parse(first.slice(first.indexOf("{"))).sid;
  await post(sid, "40/agent,{}");
  await pause(300);
  await post(sid, '42/agent,1["inbox:list",{"view":"open"}]');
  await pause(300);
  await jsonp(BASE + "&sid=" + sid, 1);
  await jsonp(BASE + "&sid=" + sid, 2);
}

function viaClient(transports) {
  return new Promise(function (resolve) {
    var socket = io(S + "/agent", {withCredentials: true, transports: transports,
                                   reconnection: false, timeout: 5000});
    socket.on("connect", function () {
      socket.emit("inbox:list", {view: "open"}, function (ack) {
        window.loot.io.push(JSON.stringify(ack)); socket.close(); resolve();
      });
    });
    socket.on("connect_error", function (err) {
      window.loot.io.push("connect_error " + JSON.stringify(err && err.data)); resolve();
    });
    setTimeout(resolve, 6000);
  });
}

(async function () {
  try { await viaJsonp(); } catch (e) { window.loot.jsonp.push("error " + e); }
  await viaClient(["polling"]);
  await viaClient(["websocket"]);
  window.loot.done = true;
})();
"""


@pytest.fixture
def sibling_browser(playwright_instance):
    rules = "MAP support.example.test 127.0.0.1, MAP evil.example.test 127.0.0.1"
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"],
    )
    yield browser
    browser.close()


def test_a_page_on_a_sibling_subdomain_cannot_read_the_inbox(server, host_site, sibling_browser):
    visitor = server.visitor(name=SECRET_NAME, email="sally@secret.example")
    visitor.ok("message:send", {"client_id": "secret-1", "body": "my account number is 42"})
    visitor.close()
    support = server.url.replace("127.0.0.1", "support.example.test")
    evil_url = host_site.add(
        "/evil.html",
        "<!doctype html><html><head><title>Win a prize</title>"
        # The attacker reuses the client the support server ships (static files allow any
        # origin, as WhiteNoise's do), imported as the ES module it is.
        "<script type='module'>"
        f"import {{ io }} from '{support}/static/vendor/socket.io/socket.io.esm.min.js';"
        f"{EVIL_SCRIPT % {'support': json.dumps(support)}}</script>"
        "</head><body>Win a prize</body></html>",
    ).replace("localhost", "evil.example.test")

    context = sibling_browser.new_context()
    try:
        agent = context.new_page()
        agent.goto(support + "/login")
        agent.fill("input[name=email]", AGENTS["alice"]["email"])
        agent.fill("input[name=password]", PASSWORD)
        agent.click("[data-testid=login-submit]")
        # The dashboard itself connects with the page's token and sees the conversation.
        agent.wait_for_selector(f"[data-testid=inbox-item]:has-text('{SECRET_NAME}')")

        evil = context.new_page()
        evil.goto(evil_url)
        evil.wait_for_function("window.loot && window.loot.done", timeout=30_000)
        loot = evil.evaluate("window.loot")
    finally:
        context.close()
    everything = json.dumps(loot)
    assert SECRET_NAME not in everything and "sally@secret.example" not in everything, loot
    assert "___eio" not in everything and '"sid"' not in everything, loot
    assert len(loot["io"]) == 2 and all("connect_error" in entry for entry in loot["io"]), loot
