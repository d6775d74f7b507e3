"""1,000 concurrent POST /listings against a real `folio serve` on PostgreSQL (loopback, 50
at a time): 500 listings, each sent twice in random order. No 5xx, no duplicate listing, one
201 per listing, and the latency percentiles printed (run with -s to see them)."""

import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text

from pipelines.db.engine import get_engine
from tests.listing_helpers import listing, tenant_with_subscribers
from tests.servers import folio_serve


def test_1000_concurrent_posts(pg_url, tmp_path):
    _, _, key = tenant_with_subscribers(pg_url, "acme", [])
    ids = [f"L{n:04d}" for n in range(500)] * 2
    random.Random(7).shuffle(ids)

    def post(http, external_id):
        t0 = time.perf_counter()
        answer = http.post("/listings", json=listing(external_id), headers={"X-API-Key": key})
        return answer.status_code, answer.json().get("status"), time.perf_counter() - t0

    with folio_serve(pg_url, tmp_path) as url, httpx.Client(base_url=url, timeout=60) as http:
        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(lambda i: post(http, i), ids))
    codes = [c for c, _, _ in results]
    assert (codes.count(201), codes.count(200), len(codes)) == (500, 500, 1000), sorted(set(codes))
    assert sorted(s for _, s, _ in results if s != "created") == ["unchanged"] * 500
    with get_engine(pg_url).connect() as conn:
        assert conn.execute(
            text("SELECT count(*), count(DISTINCT external_id), max(change_seq) FROM listings")
        ).one() == (500, 500, 500)
    times = sorted(t for _, _, t in results)
    p50, p95 = statistics.median(times), times[int(0.95 * (len(times) - 1))]
    print(f"\n1000 POST /listings, 50 at a time: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
