"""What the request-driven sensors share: one run per queued request, keyed by its id."""

from dagster import Config, RunConfig, RunRequest, SensorResult


def one_run_per_request(kind: str, op_name: str, config: type[Config], ids: list[int]):
    """`<kind>:<id>` run keys (a replayed tick re-offers the same keys and Dagster drops them),
    a `folio/<kind>` tag, and the request id in the op's config; cursor = the last id."""
    requests = [
        RunRequest(
            run_key=f"{kind}:{i}",
            tags={f"folio/{kind}": str(i)},
            run_config=RunConfig(ops={op_name: config(request_id=i)}),
        )
        for i in ids
    ]
    return SensorResult(run_requests=requests, cursor=str(ids[-1]))
