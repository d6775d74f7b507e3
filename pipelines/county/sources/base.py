"""The interface every file source implements, and the errors it raises."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from tenacity import retry_if_exception_type

from pipelines.retries import retrying
from pipelines.settings import RetryPolicySpec

T = TypeVar("T")


class SourceError(RuntimeError):
    """A source problem retrying will not fix (auth refused, host key mismatch...)."""


class TransientSourceError(SourceError):
    """A network hiccup (connection dropped, 5xx, truncated body): worth another attempt."""


class SourceFileMissing(SourceError):
    """The source does not have the file (404, vanished between listing and fetching)."""


class PathRefused(SourceError):
    """A path that would leave the source's root (a symbolic link, `..`): never followed."""


@dataclass(frozen=True)
class SourceFile:
    name: str  # as found at the source, e.g. "officialrecords.EXP"
    relative_path: str  # "daily/2026-01-05/officialrecords.EXP": lineage in staged rows
    uri: str  # where it was found, for metadata (never carries a secret)
    size: int | None = None  # as the source reports it, when it does


class FileSource(Protocol):
    def describe(self) -> str: ...

    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]: ...

    def fetch(self, file: SourceFile, dest: Path) -> Path: ...


def partition_folder(cadence: str, partition_key: str) -> str:
    return f"{cadence}/{partition_key}"


def find(files: list[SourceFile], file_name: str) -> SourceFile | None:
    wanted = file_name.lower()
    return next((f for f in files if f.name.lower() == wanted), None)


def with_retries(
    fn: Callable[[], T],
    attempts: int = 3,
    first_delay: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call `fn`, retrying TransientSourceError with exponential backoff (1 s, 2 s, ...)."""
    policy = RetryPolicySpec(attempts, first_delay, "exponential")
    return retrying(policy, retry=retry_if_exception_type(TransientSourceError), sleep=sleep)(fn)
