"""The new-listings sensor's cursor relies on change_seq order being commit order. On
PostgreSQL a second writer blocks on the counter row until the first commits, so a
reader can never see a higher number while a lower one is still uncommitted."""

import threading
import time

from sqlalchemy import func, select

from pipelines.db.engine import get_engine
from pipelines.db.schema import listings
from pipelines.listings.model import validate
from pipelines.listings.store import save_listings
from tests.listing_helpers import listing, tenant_with_subscribers


def test_a_later_writer_gets_a_higher_seq_and_commits_after(pg_url):
    tenant, _, _ = tenant_with_subscribers(pg_url, "acme", [])
    engine = get_engine(pg_url)
    first_holds = threading.Event()
    release_first = threading.Event()
    order: list[str] = []

    def first():
        with engine.begin() as conn:
            save_listings(conn, tenant, [(1, validate(listing("A"))[0])], "http")
            first_holds.set()
            release_first.wait(10)
            order.append("first commits")

    def second():
        first_holds.wait(10)
        with engine.begin() as conn:
            save_listings(
                conn, tenant, [(1, validate(listing("B"))[0])], "http"
            )  # blocks on the counter row
            order.append("second took its seq")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_holds.wait(10)
    time.sleep(0.5)  # give the second writer time to reach the counter
    with engine.connect() as conn:
        visible = conn.execute(select(func.count()).select_from(listings)).scalar()
    assert visible == 0 and order == []  # the second writer is waiting, nothing is visible yet
    release_first.set()
    for t in threads:
        t.join(10)
    assert order == ["first commits", "second took its seq"]
    with engine.connect() as conn:
        rows = conn.execute(
            select(listings.c.external_id, listings.c.change_seq).order_by(listings.c.change_seq)
        ).all()
    assert [tuple(r) for r in rows] == [("A", 1), ("B", 2)]
