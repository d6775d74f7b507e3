"""`folio lookup`: a property from our data when fresh, else from the county's records API."""

from __future__ import annotations

import json

import click

from pipelines.cli.common import console, fail, migrated_engine, tenant_or_fail
from pipelines.workqueue import RequestState


@click.command("lookup")
@click.argument("folio", required=False)
@click.option("--cfn", help="A recorded document, YYYY-NNNNNNN (e.g. 2026-0012345).")
@click.option("--book", help="Official Records book (with --page).")
@click.option("--page", help="Official Records page (with --book).")
@click.option("--tenant", "slug", required=True, help="The tenant asking (and paying in units).")
@click.option(
    "--wait", is_flag=True, help="Run the lookup now, in this process, and print the answer."
)
@click.option("--id", "request_id", type=int, help="Show an earlier lookup request instead.")
def lookup(folio, cfn, book, page, slug, wait, request_id) -> None:
    """Look a property up by FOLIO (13 digits, dashes allowed), --cfn, or --book and --page.
    Fresh data (updated within 30 days) answers at once; otherwise the records API is asked,
    within today's unit cap, by the lookups job (the daemon runs it; --wait runs it here)."""
    from pydantic import ValidationError

    from pipelines.lookups.query import LookupQuery
    from pipelines.lookups.requests import request_lookup, request_view
    from pipelines.settings import get_settings

    engine = migrated_engine()
    tenant = tenant_or_fail(engine, slug)
    if request_id is not None:
        view = request_view(engine, tenant["id"], request_id)
        if view is None:
            fail(f"no lookup {request_id} for tenant {slug}")
        console.print_json(json.dumps(view))
        return
    try:
        query = LookupQuery(folio=folio, cfn=cfn, book=book, page=page)
    except ValidationError as exc:
        fail(f"lookup refused: {_reasons(exc)}")
    answer = request_lookup(engine, tenant["id"], query, get_settings())
    if answer.outcome == "cache":
        console.print("from Folio's data (updated within the cache window; no units spent):")
        console.print_json(json.dumps(answer.property))
        return
    rid = answer.request_id
    if answer.outcome == "unavailable":
        fail(f"cannot look {query.kind} {query.value} up: {answer.reason}")
    if answer.outcome == "refused":
        fail(f"lookup {rid} refused: {answer.reason}; resets at {answer.resets_at.isoformat()}")
    if not wait:
        console.print(
            f"lookup {rid} queued: the daemon's lookups job asks the records API; "
            f"see `folio lookup --id {rid} --tenant {slug}` or GET /lookups/{rid}"
        )
        return
    _run_now(answer.request_id)
    view = request_view(engine, tenant["id"], answer.request_id)
    if view["state"] != RequestState.DONE:
        fail(f"lookup {answer.request_id} {view['state']}: {view['error']}")
    if view["result"] is None:
        fail(f"lookup {answer.request_id}: {view['error']}")
    console.print(f"lookup {answer.request_id}: from the county's records API")
    console.print_json(json.dumps(view["result"]))


def _reasons(exc) -> str:
    """The query's own messages (`folio '…' is not a 13-digit folio …`), each field named
    when pydantic's check (not ours) refused it."""
    parts = []
    for err in exc.errors():
        if err["type"] == "value_error" and "error" in err.get("ctx", {}):
            parts.append(str(err["ctx"]["error"]))
        else:
            parts.append(f"{'.'.join(map(str, err['loc'])) or 'query'}: {err['msg']}")
    return "; ".join(parts)


def _run_now(request_id: int) -> None:
    """The lookups job for this request, in this process, recorded in the Dagster instance."""
    from pipelines.control.instance import get_instance
    from pipelines.control.runner import run_job

    config = {"ops": {"perform_records_lookup": {"config": {"request_id": request_id}}}}
    with console.status(f"asking the records API (lookup {request_id})"):
        run_job(get_instance(), "lookups", run_config=config)
