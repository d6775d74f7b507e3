"""The AI scorer through the real `anthropic` SDK against a local fake Messages API: a good
answer, malformed output, an out-of-range score, timeouts, and 529 overloaded then success."""

import pytest

from pipelines.listings.ai import PROMPT_SHA256, TOOL_NAME, AnthropicScorer
from pipelines.listings.rules import rule_score
from pipelines.settings import load_settings
from tests.fake_providers import FakeAnthropic

LISTING = {
    "price": 200000,
    "estimated_rent": 2000,
    "sqft": 1000,
    "year_built": 2016,
    "listing_type": "sale",
    "address": "1 MAIN ST",
    "city": "MIAMI",
    "zip": "33125",
}


def _score(monkeypatch, script, timeout="5"):
    sleeps = []
    with FakeAnthropic(script) as api:
        api.hang_seconds = 1.5
        # load_settings(mapping) reads that mapping alone: the key and URL are in it
        settings = load_settings(
            {
                "ANTHROPIC_API_KEY": "sk-ant-test-secret",
                "ANTHROPIC_BASE_URL": api.url,
                "FOLIO_AI_TIMEOUT_SECONDS": timeout,
                "FOLIO_AI_MODEL": "claude-test-1",
            }
        )
        scorer = AnthropicScorer(settings, sleep=sleeps.append)
        reference = rule_score(LISTING, 250.0, 2026, settings)
        result = scorer.score(LISTING, 250.0, reference)
    return result, api.requests, sleeps, reference


def test_good_answer_is_used_with_model_and_prompt_hash(monkeypatch):
    result, requests, sleeps, _ = _score(monkeypatch, ["ok"])
    assert (result.score, result.roi, result.cap_rate, result.scorer) == (
        82,
        7.8,
        0.078,
        "claude-test-1",
    )
    assert result.breakdown == {
        "cap_rate": 31.2,
        "price_per_sqft": 30.0,
        "age_condition": 15.0,
        "listing_type": 0.0,
    }
    assert result.prompt_sha256 == PROMPT_SHA256 and result.fallback_reason is None
    [req] = requests
    assert req["body"]["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    assert req["body"]["model"] == "claude-test-1"
    assert "sk-ant-test-secret" in (
        req["headers"].get("x-api-key", "") + req["headers"].get("Authorization", "")
    )
    assert sleeps == []


@pytest.mark.parametrize(
    "script, reason",
    [
        (["malformed"], "no record_listing_score tool call in the answer"),
        (["score140"], "invalid tool input: score: Input should be less than or equal to 100"),
    ],
)
def test_invalid_output_falls_back_to_rules_without_retrying(monkeypatch, script, reason):
    result, requests, _, reference = _score(monkeypatch, script)
    assert len(requests) == 1
    assert (result.score, result.breakdown, result.scorer) == (
        reference.score,
        reference.breakdown,
        "rules",
    )
    assert result.fallback_reason.startswith(f"claude-test-1: {reason}")
    assert result.fallback_reason.endswith("; rules used")
    assert result.prompt_sha256 == PROMPT_SHA256


def test_an_answer_repeating_the_key_falls_back_with_the_key_redacted(monkeypatch):
    """The reason quotes the model's text, cut at 120 characters: redacted before the cut,
    so not even the start of the key survives."""
    result, requests, _, _ = _score(monkeypatch, ["echo"])
    assert len(requests) == 1 and result.scorer == "rules"
    assert "sk-ant" not in result.fallback_reason
    assert result.fallback_reason == (
        "claude-test-1: no record_listing_score tool call in the answer (text: '"
        + "y" * 100
        + " your key [redacted]'); rules used"
    )


def test_timeouts_retry_three_times_with_backoff_then_fall_back(monkeypatch):
    result, requests, sleeps, reference = _score(
        monkeypatch, ["hang", "hang", "hang"], timeout="0.3"
    )
    assert len(requests) == 3
    assert sleeps == [2, 4]  # exponential from 2 s between the three attempts
    assert result.scorer == "rules" and result.score == reference.score
    assert result.fallback_reason == "claude-test-1: APITimeoutError after 3 attempts; rules used"


def test_overloaded_then_success(monkeypatch):
    result, requests, sleeps, _ = _score(monkeypatch, ["529", "ok"])
    assert [r["action"] for r in requests] == ["529", "ok"]
    assert sleeps == [2]
    assert (result.score, result.scorer, result.fallback_reason) == (82, "claude-test-1", None)


def test_listing_scores_asset_uses_the_ai_scorer_when_the_key_is_set(sqlite_url, monkeypatch):
    """The same asset, the same resource interface: with ANTHROPIC_API_KEY set, rows carry the
    model id and prompt hash; a failing answer falls back per listing and says so."""
    from dagster import DagsterInstance
    from sqlalchemy import select

    from pipelines.control.runner import tick_sensor
    from pipelines.db.engine import get_engine
    from pipelines.db.schema import listing_scores
    from tests.listing_helpers import add_listings, listing, tenant_with_subscribers

    monkeypatch.setenv("FOLIO_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-secret")
    monkeypatch.setenv("FOLIO_AI_MODEL", "claude-test-1")
    monkeypatch.setenv("FOLIO_AI_CONCURRENCY", "1")  # the script is consumed in listing order
    monkeypatch.setenv("FOLIO_RETRY_DELAY_SCALE", "0")
    tenant, _, _ = tenant_with_subscribers(sqlite_url, "acme", [])
    add_listings(sqlite_url, tenant, [listing("A1"), listing("A2"), listing("A3")])
    with FakeAnthropic(["ok", "score140", "529", "ok"]) as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        outcome = tick_sensor(DagsterInstance.get(), "new_listings_sensor", None)
    assert [r.success for r in outcome.runs] == [True]
    with get_engine(sqlite_url).connect() as conn:
        rows = conn.execute(
            select(
                listing_scores.c.listing_id,
                listing_scores.c.score,
                listing_scores.c.scorer,
                listing_scores.c.prompt_sha256,
                listing_scores.c.fallback_reason,
            ).order_by(listing_scores.c.listing_id)
        ).all()
    assert [(r.listing_id, r.score, r.scorer) for r in rows] == [
        (1, 82, "claude-test-1"),
        (2, 51, "rules"),
        (3, 82, "claude-test-1"),
    ]
    assert all(r.prompt_sha256 == PROMPT_SHA256 for r in rows)
    assert rows[1].fallback_reason.startswith("claude-test-1: invalid tool input: score")
    assert len(api.requests) == 4
