"""Named counters whose numbers are taken in commit order (`listing_seq` rows: `listings`,
`criteria`).

Taking numbers is an UPDATE of the counter's row, which holds the row's lock until the
transaction ends: a later writer's numbers are higher *and* commit later, so a sensor can
keep a plain cursor on them without skipping a slow commit.
"""

from __future__ import annotations

from sqlalchemy import Connection, update

from pipelines.db.schema import listing_seq


def take(conn: Connection, name: str, n: int = 1) -> range:
    """Take `n` numbers from counter `name`."""
    top = conn.execute(
        update(listing_seq)
        .where(listing_seq.c.name == name)
        .values(value=listing_seq.c.value + n)
        .returning(listing_seq.c.value)
    ).scalar_one()
    return range(top - n + 1, top + 1)


def hold(conn: Connection, name: str) -> None:
    """Hold counter `name`'s row lock until this transaction ends (a no-op update)."""
    conn.execute(
        update(listing_seq).where(listing_seq.c.name == name).values(value=listing_seq.c.value)
    )
