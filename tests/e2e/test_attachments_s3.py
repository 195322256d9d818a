"""``SUPPORT_STORAGE_URL=s3://bucket/prefix`` against an S3-compatible server (moto's server
mode, started here): files land in the bucket, are served through our signed links, and go
when the visitor is erased."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.attachment_files import png_bytes
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port())
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    import boto3

    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    name = "support-" + uuid.uuid4().hex[:8]
    client.create_bucket(Bucket=name)
    return client, name


def test_files_live_in_s3_and_go_with_the_visitor(server_factory, s3_endpoint, bucket):
    client, name = bucket
    server = server_factory(
        SUPPORT_STORAGE_URL=f"s3://{name}/chat-files",
        AWS_ENDPOINT_URL=s3_endpoint,
        **S3_ENV,
    )
    visitor = server.new_visitor(name="Stella")
    answer = requests.post(
        server.url + "/api/widget/attachments",
        files={"file": ("shot.png", png_bytes(), "image/png")},
        headers={"Authorization": f"Bearer {visitor['token']}"},
        timeout=15,
    )
    assert answer.status_code == 201, answer.text
    attachment = answer.json()["attachment"]
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith("chat-files/")
    served = requests.get(attachment["url"], timeout=10)
    assert served.status_code == 200 and served.content[:8] == b"\x89PNG\r\n\x1a\n"

    socket = server.visitor(token=visitor["token"])
    socket.ok("message:send", {"client_id": "c1", "body": "", "attachment_ids": [attachment["id"]]})
    socket.close()
    erased = server.api("DELETE", f"/api/v1/visitors/{visitor['visitor_id']}", "admin")
    assert erased.status_code == 204
    assert client.list_objects_v2(Bucket=name).get("Contents", []) == []
    assert requests.get(attachment["url"], timeout=10).status_code == 404
