"""Choosing the SMS/voice sender: Twilio when its credentials are set (or
FOLIO_OUTREACH_PROVIDER=twilio), else the file outbox, which writes each SMS or call as a
JSON file under data/outbox/<channel>/ (the embedded default: no account, nothing leaves the
machine)."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.notify.twilio import PhoneMessage, TwilioSender
from pipelines.settings import Settings, get_settings


class FilePhoneOutbox:
    name = "file"
    settles_at_once = True  # a written call is a completed call: no callback will come

    def __init__(self, folder: Path):
        self.folder = folder

    def _path(self, channel: str, key: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)
        return self.folder / channel / f"{safe}.json"

    def send(self, msg: PhoneMessage) -> str:
        path = self._path(msg.channel, msg.idempotency_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "to": msg.to,
            "channel": msg.channel,
            "template": msg.template,
            "body": msg.body,
            "status": "delivered" if msg.channel == "sms" else "completed",
        }
        tmp = path.with_suffix(".part")
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(path)
        return f"file:{path.name}"

    def lookup(self, channel: str, sid: str | None, to: str, since_iso: str) -> dict | None:
        """A written file is a delivered message (its name is the sid)."""
        if not sid:
            return None
        path = self.folder / channel / sid.removeprefix("file:")
        if not path.exists():
            return None
        record = json.loads(path.read_text())
        return {"sid": sid, "status": record["status"], "duration": 0}


def open_phone_sender(settings: Settings | None = None):
    settings = settings or get_settings()
    provider = settings.resolved_outreach_provider
    if provider == "twilio":
        return TwilioSender(
            settings.twilio_base_url,
            settings.twilio_from,
            settings.twilio_timeout_seconds,
            settings.voice_max_seconds,
        )
    if provider == "file":
        return FilePhoneOutbox((settings.data_dir / "outbox").resolve())
    raise ValueError(f"FOLIO_OUTREACH_PROVIDER={provider!r}: must be twilio or file")
