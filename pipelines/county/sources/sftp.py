"""SFTP source (paramiko): key or password auth, host key checked against known_hosts.

The password and key passphrase come from the settings only (FOLIO_SFTP_PASSWORD,
FOLIO_SFTP_KEY_PASSPHRASE: environment or `.env`); `describe()` and file URIs never carry
them. What the server says (paramiko quotes its banner in errors and logs) is redacted:
errors are ours, chained to nothing, and paramiko's loggers pass through `redact`.
"""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path, PurePosixPath

import paramiko

from pipelines.county.sources.base import (
    SourceError,
    SourceFile,
    SourceFileMissing,
    TransientSourceError,
    partition_folder,
    with_retries,
)
from pipelines.redaction import redact, redact_logs_of
from pipelines.settings import get_settings

_TRANSIENT = (EOFError, socket.error, paramiko.SSHException)
redact_logs_of("paramiko", "paramiko.transport", "paramiko.transport.sftp")


class SftpSource:
    def __init__(
        self,
        host: str,
        port: int = 22,
        username: str = "",
        root: str = "/",
        key_file: str | None = None,
        known_hosts: str | None = None,
        check_host_key: bool = True,
        timeout: float = 30.0,
        attempts: int = 3,
        retry_delay: float = 1.0,
    ):
        self.host, self.port, self.username, self.root = host, port, username, root
        self.key_file = key_file
        self.known_hosts = known_hosts or os.path.expanduser("~/.ssh/known_hosts")
        self.check_host_key = (
            check_host_key  # False is for tests only: documented, never the default
        )
        self.timeout, self.attempts, self.retry_delay = timeout, attempts, retry_delay
        self._client: paramiko.SSHClient | None = None

    def describe(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}{self.root}"

    # --- connection ---------------------------------------------------------------------------
    def _connect(self) -> paramiko.SFTPClient:
        if self._client is not None:
            transport = self._client.get_transport()
            if transport is not None and transport.is_active():
                return self._client.open_sftp()
        client = paramiko.SSHClient()
        if self.check_host_key:
            if os.path.exists(self.known_hosts):
                client.load_host_keys(self.known_hosts)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        else:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        settings = get_settings()
        try:
            client.connect(
                self.host,
                port=self.port,
                username=self.username,
                key_filename=self.key_file,
                password=settings.sftp_password.get_secret_value() or None,
                passphrase=settings.sftp_key_passphrase.get_secret_value() or None,
                look_for_keys=False,
                allow_agent=False,
                timeout=self.timeout,
                banner_timeout=self.timeout,
                auth_timeout=self.timeout,
            )
        except paramiko.BadHostKeyException:
            raise SourceError(
                f"{self.describe()}: host key does not match {self.known_hosts} — refusing"
            ) from None
        except paramiko.AuthenticationException:
            raise SourceError(
                f"{self.describe()}: authentication refused for user {self.username!r}"
            ) from None
        except paramiko.SSHException as exc:
            if "not found in known_hosts" in str(exc):
                raise SourceError(
                    f"{self.describe()}: host key unknown (not in {self.known_hosts}) — refusing"
                ) from None
            raise TransientSourceError(redact(f"{self.describe()}: {exc}")) from None
        except (OSError, EOFError) as exc:
            raise TransientSourceError(
                redact(f"{self.describe()}: cannot connect: {exc}")
            ) from None
        self._client = client
        return client.open_sftp()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _remote(self, relative: str) -> str:
        return str(PurePosixPath(self.root) / relative)

    # --- FileSource ---------------------------------------------------------------------------
    def list_files(self, cadence: str, partition_key: str) -> list[SourceFile]:
        rel = partition_folder(cadence, partition_key)

        def once() -> list[SourceFile]:
            try:
                sftp = self._connect()
                try:
                    entries = sftp.listdir_attr(self._remote(rel))
                finally:
                    sftp.close()
            except FileNotFoundError:
                return []
            except _TRANSIENT as exc:
                self.close()
                raise TransientSourceError(
                    redact(f"{self.describe()}: listing {rel}: {exc}")
                ) from None
            return [
                SourceFile(
                    e.filename,
                    f"{rel}/{e.filename}",
                    f"{self.describe().rstrip('/')}/{rel}/{e.filename}",
                    e.st_size,
                )
                for e in sorted(entries, key=lambda e: e.filename)
                if stat.S_ISREG(e.st_mode or 0)
            ]

        return with_retries(once, self.attempts, self.retry_delay)

    def fetch(self, file: SourceFile, dest: Path) -> Path:
        def once() -> Path:
            try:
                sftp = self._connect()
                try:
                    sftp.get(self._remote(file.relative_path), str(dest))
                finally:
                    sftp.close()
            except FileNotFoundError:
                raise SourceFileMissing(
                    f"{file.relative_path} vanished from {self.describe()}"
                ) from None
            except _TRANSIENT as exc:
                self.close()
                raise TransientSourceError(
                    redact(f"{self.describe()}: fetching {file.relative_path}: {exc}")
                ) from None
            got = dest.stat().st_size
            if file.size is not None and got != file.size:
                raise TransientSourceError(
                    f"{file.relative_path}: got {got} bytes, the server listed {file.size}"
                )
            return dest

        return with_retries(once, self.attempts, self.retry_delay)
