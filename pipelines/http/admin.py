"""The operator's queue dashboard and job API (what BullMQ + Bull Board users expect), behind
the admin key (pipelines/http/auth.py):

- `GET /queues`: per job waiting, active, delayed, completed and failed (1 h / 24 h), failed
  rate and p50/p95 (the numbers `folio metrics` prints);
- `GET /jobs/{run_id}` (an id or a unique prefix): state, progress, attempts of max attempts,
  why it failed; `POST /jobs/{run_id}/retry`; `DELETE /jobs/{run_id}` cancels;
- `GET /dlq`, `POST /dlq/{id}/retry`, `POST /dlq/{id}/discard`;
- `GET /scheduled`, `DELETE /scheduled/{id}`;
- `GET /admin`: the same on one server-rendered page (no JavaScript).
Retries answer 202 at once: the retry is submitted to the run queue (the web server never
executes a run) and a dagster-daemon starts it; it shows in /queues as it goes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.control.instance import get_instance
from pipelines.control.jobs_api import job_view, queues, recent_jobs
from pipelines.control.runs import cancel_run, resolve_run_id
from pipelines.http.auth import Admin, engine
from pipelines.http.schemas import (
    ADMIN_KEY,
    INVALID,
    TOO_LARGE,
    DeadLetterRetryQueued,
    DeadLetters,
    Discarded,
    Job,
    JobCanceled,
    Problem,
    Queues,
    RetryQueued,
    Scheduled,
    ScheduledCanceled,
)
from pipelines.upkeep.dead_letters import discard, get_failed, list_failed
from pipelines.upkeep.delayed_jobs import cancel_scheduled, list_scheduled

router = APIRouter(tags=["admin"], responses=ADMIN_KEY)
NO_JOB = {404: {"model": Problem, "description": "no run with this id or prefix"}}
NOT_OPEN = {
    404: {"model": Problem, "description": "no such dead-letter entry"},
    409: {"model": Problem, "description": "the entry is not open (resolved or discarded)"},
}
PROBLEM_REF = "#/components/schemas/Problem"
CONFLICT = {409: {"model": Problem, "description": "the run cannot be retried or canceled"}}
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


def _run_id(given: str) -> str:
    try:
        return resolve_run_id(get_instance(), given)
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


@router.get("/queues", response_model=Queues)
def get_queues(_: Admin) -> dict:
    return {"queues": queues(get_instance(), engine())}


@router.get("/jobs/{run_id}", response_model=Job, responses=NO_JOB)
def get_job(run_id: str, _: Admin) -> dict:
    return job_view(get_instance(), engine(), _run_id(run_id))


def _queued_retry(run_id: str) -> dict:
    """Submit a retry of `run_id` to the run queue: the web server never executes a run."""
    from pipelines.control.runner import submit_retry
    from pipelines.control.submit import daemon_serves

    instance = get_instance()
    try:
        retry = submit_retry(instance, run_id)
    except (LookupError, RuntimeError) as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    view = {"retry_of": run_id, "run_id": retry, "state": "queued"}
    if not daemon_serves(instance):
        view["waiting"] = "no dagster-daemon serves this instance: it starts when one does"
    return view


@router.post(
    "/jobs/{run_id}/retry",
    status_code=202,
    response_model=RetryQueued,
    response_model_exclude_unset=True,  # `waiting` only when no daemon serves the instance
    responses={**NO_JOB, **CONFLICT},
)
def retry_job(run_id: str, _: Admin) -> dict:
    return _queued_retry(_run_id(run_id))


@router.delete("/jobs/{run_id}", response_model=JobCanceled, responses={**NO_JOB, **CONFLICT})
def delete_job(run_id: str, _: Admin) -> dict:
    run_id = _run_id(run_id)
    try:
        return {"run_id": run_id, "state": cancel_run(get_instance(), run_id)}
    except (LookupError, ValueError) as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None


@router.get("/dlq", response_model=DeadLetters)
def get_dlq(_: Admin, all: bool = False) -> dict:
    return {"entries": list_failed(engine(), None if all else "open")}


def _open_entry(dlq_id: int) -> dict:
    row = get_failed(engine(), dlq_id)
    if row is None:
        raise HTTPException(status_code=404, detail=f"no dead-letter entry {dlq_id}")
    if row["status"] != "open":
        raise HTTPException(status_code=409, detail=f"entry {dlq_id} is {row['status']}")
    return row


@router.post(
    "/dlq/{dlq_id}/retry",
    status_code=202,
    response_model=DeadLetterRetryQueued,
    response_model_exclude_unset=True,  # `waiting` only when no daemon serves the instance
    responses={
        **NOT_OPEN,
        409: {
            "model": Problem,
            "description": "the entry is not open, or its run cannot be retried",
        },
        **INVALID,
    },
)
def retry_dead_letter(dlq_id: Id, _: Admin) -> dict:
    """The retry is linked to the entry's run (`folio/retry_of`): its success resolves the
    entry and its failure re-opens it, by the daemon's sensors."""
    row = _open_entry(dlq_id)
    return {"id": dlq_id, **_queued_retry(row["run_id"])}


@router.post(
    "/dlq/{dlq_id}/discard",
    response_model=Discarded,
    responses={**NOT_OPEN, **TOO_LARGE, **INVALID},
)
def discard_dead_letter(
    dlq_id: Id, _: Admin, why: Annotated[str, Body(embed=True, min_length=1, max_length=500)]
) -> dict:
    _open_entry(dlq_id)
    discard(engine(), dlq_id, why)
    return {"id": dlq_id, "status": "discarded", "why": why}


@router.get("/scheduled", response_model=Scheduled)
def get_scheduled(_: Admin) -> dict:
    return {"scheduled": list_scheduled(engine())}


@router.delete(
    "/scheduled/{job_id}",
    response_model=ScheduledCanceled,
    responses={
        404: {"model": Problem, "description": "no pending scheduled job with this id"},
        **INVALID,
    },
)
def delete_scheduled(job_id: Id, _: Admin) -> dict:
    if not cancel_scheduled(engine(), job_id):
        raise HTTPException(status_code=404, detail=f"no pending scheduled job {job_id}")
    return {"id": job_id, "status": "canceled"}


@cache
def _template():
    env = Environment(
        loader=FileSystemLoader(Path(__file__).with_name("templates")),
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
    )
    return env.get_template("admin.html.j2")


@router.get(
    "/admin",
    response_class=HTMLResponse,
    responses={
        200: {"description": "the dashboard page (HTML, no JavaScript)"},
        # as JSON, like every refusal (a "model" here would be documented as text/html)
        **{
            code: {
                "description": answer["description"],
                "content": {"application/json": {"schema": {"$ref": PROBLEM_REF}}},
            }
            for code, answer in ADMIN_KEY.items()
        },
    },
)
def admin_page(_: Admin) -> HTMLResponse:
    instance, db = get_instance(), engine()
    html = _template().render(
        queues=queues(instance, db),
        jobs=recent_jobs(instance, db),
        dead=list_failed(db),
        scheduled=list_scheduled(db),
    )
    return HTMLResponse(html)
