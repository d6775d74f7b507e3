"""One admin alert for the messages a delivery run could not deliver (failed after their
budget, or unknown). Keyed by those messages, so a replayed run never alerts twice, and a
message that ended failed is never sent again (it is no longer queued)."""

from __future__ import annotations

from pathlib import Path

from pipelines.upkeep.admin_alerts import send_admin_alert


def alert_undelivered(channel: str, problems: dict[int, str]) -> Path | None:
    if not problems:
        return None
    ids = sorted(problems)
    lines = [f"notification {nid}: {problems[nid]}" for nid in ids[:50]]
    more = f"\n… and {len(ids) - 50} more" if len(ids) > 50 else ""
    return send_admin_alert(
        f"{channel} delivery: {len(ids)} message(s) not delivered",
        "\n".join(lines) + more + "\n\nsee: folio outbox list --state failed (or --state unknown)",
        key=f"{channel}-undelivered-{ids[0]}-{ids[-1]}-{len(ids)}",
    )
