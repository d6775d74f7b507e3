"""Pick a file source from FOLIO_SOURCE_URL-style configuration."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from pipelines.county.sources.base import FileSource
from pipelines.county.sources.local import LocalFolderSource
from pipelines.settings import get_settings


def open_source(url: str) -> FileSource:
    """A folder path (or file://), `sftp://user@host:port/root`, or an https URL template."""
    if url.startswith(("https://", "http://")):
        from pipelines.county.sources.https import HttpsSource

        return HttpsSource(url, auth_param=get_settings().source_auth_param)
    if url.startswith("sftp://"):
        from pipelines.county.sources.sftp import SftpSource

        u = urlparse(url)
        if u.password:
            raise ValueError("put the SFTP password in FOLIO_SFTP_PASSWORD, not in the URL")
        return SftpSource(
            host=u.hostname or "",
            port=u.port or 22,
            username=unquote(u.username or ""),
            root=u.path or "/",
            key_file=get_settings().sftp_key_file or None,
            known_hosts=get_settings().sftp_known_hosts or None,
        )
    if "://" in url and not url.startswith("file://"):
        raise ValueError(
            f"unsupported file source {url.split('://')[0]}://; use a folder, sftp:// or https://"
        )
    return LocalFolderSource(url.removeprefix("file://"))
