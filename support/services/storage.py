"""Where attachment bytes live, behind one small interface: a folder (the default, in the
instance folder, or ``file:///path``) or any S3-compatible store (``s3://bucket/prefix``, via
boto3, with endpoint and credentials from the usual ``AWS_*`` variables), which several
machines can share. Keys are ours (random ids), never a visitor's file name."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app

KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


class Storage(Protocol):
    """Put, get and delete whole files by key."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


def _checked(key: str) -> str:
    """Keys are our own hex ids: nothing that could climb out of a folder."""
    if not KEY_PATTERN.fullmatch(key):
        raise ValueError("not a storage key")
    return key


class FolderStorage:
    """Files in one folder, two levels of fan-out so no directory grows huge."""

    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """Objects under ``prefix/`` of one bucket. boto3 reads ``AWS_ENDPOINT_URL``,
    ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` and ``AWS_DEFAULT_REGION`` itself."""

    def __init__(self, bucket: str, prefix: str):
        import boto3

        self.client = boto3.client("s3")
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def _key(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def storage_from_url(url: str | None, instance_path: str) -> Storage:
    """The storage a ``SUPPORT_STORAGE_URL`` names; unset means ``instance/attachments``."""
    if not url:
        return FolderStorage(Path(instance_path) / "attachments")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FolderStorage(Path(unquote(parts.path)))
    if parts.scheme == "s3" and parts.netloc:
        return S3Storage(parts.netloc, parts.path)
    raise ValueError("SUPPORT_STORAGE_URL must be file:///path or s3://bucket/prefix")


def init_app(app: Flask) -> None:
    """Check a configured storage URL at start, so a typo fails loudly, and keep the client."""
    if app.config.get("STORAGE_URL"):
        app.extensions["support_storage"] = storage_from_url(
            app.config["STORAGE_URL"], app.instance_path
        )


def storage() -> Storage:
    """The current application's storage (the instance folder's is looked up each time, as
    tests move the instance folder after the app is made)."""
    configured = current_app.extensions.get("support_storage")
    return configured or storage_from_url(None, current_app.instance_path)
