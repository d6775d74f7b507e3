"""`folio outbox`: the notification outbox (list messages, settle the ones in `unknown`)."""

from __future__ import annotations

import click

from pipelines.cli.common import console, emit_json, fail, json_option, migrated_engine, table
from pipelines.notify.outbox import STATES


@click.group()
def outbox() -> None:
    """The notification outbox: list messages, settle the ones in `unknown`."""


@outbox.command("list")
@click.option(
    "--state",
    type=click.Choice(STATES),
    help="Only messages in this state.",
)
@click.option(
    "--limit", default=50, show_default=True, help="At most this many messages, newest first."
)
@json_option
def outbox_list(state: str | None, limit: int, as_json: bool) -> None:
    """Messages with their item, channel, state, attempts and last error."""
    from pipelines.notify.outbox import list_messages

    rows = list_messages(migrated_engine(), state, limit)
    if as_json:
        return emit_json(rows)
    t = table("id", "tenant", "subscriber", "item", "channel", "state", "attempts", "last error")
    for r in rows:
        t.add_row(
            str(r["id"]),
            str(r["tenant_id"]),
            str(r["subscriber_id"]),
            f"{r['item_kind']} {r['item_id']}",
            r["channel"],
            r["state"],
            str(r["attempts"]),
            (r["last_error"] or "")[:60],
        )
    console.print(t)


@outbox.command("resolve")
@click.argument("notification_id", type=int)
@click.option(
    "--as",
    "outcome",
    required=True,
    type=click.Choice(["sent", "failed", "requeue"]),
    help="sent/failed: what the provider says happened; requeue: send again (you checked it did "
    "not go).",
)
def outbox_resolve(notification_id: int, outcome: str) -> None:
    """Settle a message in `unknown` once you know what happened (never done automatically)."""
    from pipelines.notify.outbox import resolve_unknown

    state = resolve_unknown(migrated_engine(), notification_id, outcome)
    if state is None:
        fail(f"notification {notification_id} is not in state unknown")
    console.print(f"notification {notification_id}: unknown → {state}")
