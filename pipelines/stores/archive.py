"""The archive store: every landed file kept under `cadence/partition/sha256/name`.

Local folder by default; any S3-compatible bucket (`s3://bucket/prefix`, endpoint from
FOLIO_S3_ENDPOINT_URL, credentials from the standard AWS_* environment variables).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from pipelines.settings import get_settings


def archive_key(cadence: str, partition_key: str, sha256: str, name: str) -> str:
    return f"{cadence}/{partition_key}/{sha256}/{Path(name).name}"


class ArchiveStore(Protocol):
    def describe(self) -> str: ...

    def put(self, local: Path, key: str) -> str: ...

    def get(self, key: str, dest: Path) -> Path: ...

    def get_uri(self, uri: str, dest: Path) -> Path:
        """Copy the object `put` returned `uri` for to `dest`."""
        ...


class LocalArchive:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def describe(self) -> str:
        return f"local archive {self.root.resolve()}"

    def put(self, local: Path, key: str) -> str:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        shutil.copyfile(local, tmp)
        os.replace(tmp, target)
        return str(target.resolve())

    def get(self, key: str, dest: Path) -> Path:
        shutil.copyfile(self.root / key, dest)
        return dest

    def get_uri(self, uri: str, dest: Path) -> Path:
        shutil.copyfile(uri.removeprefix("file://"), dest)
        return dest


class S3Archive:
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None):
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def put(self, local: Path, key: str) -> str:
        self.client.upload_file(str(local), self.bucket, self._key(key))
        return f"s3://{self.bucket}/{self._key(key)}"

    def get(self, key: str, dest: Path) -> Path:
        self.client.download_file(self.bucket, self._key(key), str(dest))
        return dest

    def get_uri(self, uri: str, dest: Path) -> Path:
        u = urlparse(uri)
        if u.scheme != "s3":
            raise ValueError(f"{uri} is not in an S3 bucket")
        self.client.download_file(u.netloc, u.path.lstrip("/"), str(dest))
        return dest


def open_archive(url: str) -> ArchiveStore:
    if url.startswith("s3://"):
        u = urlparse(url)
        return S3Archive(u.netloc, u.path, endpoint_url=get_settings().s3_endpoint_url or None)
    if "://" in url and not url.startswith("file://"):
        raise ValueError(
            f"unsupported archive {url.split('://')[0]}://; use a folder or s3://bucket/prefix"
        )
    return LocalArchive(url.removeprefix("file://"))
