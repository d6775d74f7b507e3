"""The daily market report asset: a re-materialised partition stores the same bytes (the same
sha256) for the same data, and the metadata carries the summary the UI shows."""

from datetime import date

from dagster import DagsterInstance, materialize
from sqlalchemy import select

from assets.reports import daily_market_report
from pipelines.db.engine import get_engine
from pipelines.db.schema import reports
from resources.database import FolioDatabase
from tests.lead_helpers import add_leads, add_property, daily


def test_rematerialised_partition_has_the_same_hash(sqlite_url):
    day = date(2026, 11, 20)
    add_property(sqlite_url, "3040120010010")
    add_leads(sqlite_url, [("lien", 70, day, daily(day)), ("probate", 88, day, daily(day))])
    shas = []
    with DagsterInstance.ephemeral() as instance:
        for _ in range(2):
            result = materialize(
                [daily_market_report],
                partition_key="2026-11-20",
                resources={"database": FolioDatabase(url=sqlite_url)},
                instance=instance,
            )
            assert result.success
            [event] = result.asset_materializations_for_node("daily_market_report")
            md = event.metadata
            shas.append(md["sha256"].value)
            assert md["new_leads"].value == 2
            assert "| lien | 1 | 1 | 0 |" in md["summary"].value
    with get_engine(sqlite_url).connect() as conn:
        rows = conn.execute(select(reports.c.sha256, reports.c.period, reports.c.kind)).all()
    assert shas[0] == shas[1]
    assert rows == [(shas[0], "2026-11-20", "daily_market")] * 2
