"""Every way a PostgreSQL user writes the URL works for Folio's own tables: `postgresql://`
(psycopg 3), `postgresql+psycopg://` and `postgresql+psycopg2://`, bulk COPY included."""

import pytest
from sqlalchemy import func, select

from pipelines.county.merge import merge_properties
from pipelines.db.engine import driver_url, get_engine
from pipelines.db.migrate import current, upgrade
from pipelines.db.schema import STAGED_TABLES, properties
from tests.builders import doc, write_partition
from tests.flow import stage


@pytest.mark.parametrize(
    "scheme, driver",
    [
        ("postgresql", "psycopg"),
        ("postgresql+psycopg", "psycopg"),
        ("postgresql+psycopg2", "psycopg2"),
    ],
)
def test_each_url_form_migrates_copies_and_merges(pg_database, tmp_path, scheme, driver):
    url = scheme + "://" + pg_database().split("://", 1)[1]
    upgrade(url)
    assert current(url) is not None
    engine = get_engine(url)
    assert engine.dialect.driver == driver
    deed = doc(1, "20260105", "WD", "3040120010010", grantee="ANA TORRES", consideration_1="1")
    write_partition(tmp_path / "src", "2026-01-05", {"OfficialRecords.exp": deed})
    stage(url, tmp_path / "src", ["2026-01-05"], tmp_path / "landing")  # the COPY path
    with engine.begin() as conn:
        merge_properties(conn, ["2026-01-05"])
        staged = conn.execute(
            select(func.count()).select_from(STAGED_TABLES["official_records"])
        ).scalar()
        owner = conn.execute(select(properties.c.owner_name)).scalar_one()
    assert (staged, owner) == (2, "ANA TORRES")
    engine.dispose()


def test_driver_url_keeps_the_password_and_chooses_psycopg_3_for_a_bare_scheme():
    assert (
        driver_url("postgresql://u:p%40ss@h:5432/db") == "postgresql+psycopg://u:p%40ss@h:5432/db"
    )
    assert driver_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert driver_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
