"""The AI scorer: Anthropic's Messages API with a tool for structured output
(docs/domain.md#listing-scores).

Used when FOLIO_LISTING_SCORER=ai, or (`auto`) when ANTHROPIC_API_KEY is set; the key comes
from the settings given (environment or `.env`), never from config.
Each call: timeout from settings (30 s), up to 3 attempts with exponential backoff on
transient failures (timeouts, connection errors, 429, 5xx including 529 overloaded).
The tool input is validated strictly (types, 0–100 range); invalid output or a final
failure falls back to the rule scorer and the row says why. The row records the model
id and the sha256 of the prompt (system text + tool schema) that produced it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tenacity import retry_if_exception

from pipelines.listings.model import LISTING_FIELDS
from pipelines.listings.rules import WEIGHTS, ScoreResult
from pipelines.redaction import redact
from pipelines.retries import retrying
from pipelines.settings import RETRY_BUDGETS, Settings, SettingsError

TOOL_NAME = "record_listing_score"
SYSTEM = (
    "You are a real-estate investment analyst. Score the listing from 0 to 100 for a buy-and-hold "
    "investor. Weigh cap rate (40%), price per square foot against the zip median (30%), age and "
    "condition (20%) and listing type (auction/foreclosure, 10%). A rule-based score is given as a "
    "reference. Answer only by calling the tool."
)
TOOL = {
    "name": TOOL_NAME,
    "description": "Record the investment score of one listing.",
    "input_schema": {
        "type": "object",
        "properties": {
            "score": {"type": "integer", "minimum": 0, "maximum": 100},
            "roi": {"type": "number", "description": "annual return in percent"},
            "cap_rate": {"type": "number", "description": "fraction, e.g. 0.07"},
            "reasoning": {"type": "string"},
            "breakdown": {
                "type": "object",
                "properties": {k: {"type": "number"} for k in WEIGHTS},
                "required": list(WEIGHTS),
            },
        },
        "required": ["score", "roi", "cap_rate", "reasoning", "breakdown"],
    },
}
PROMPT_SHA256 = hashlib.sha256((SYSTEM + json.dumps(TOOL, sort_keys=True)).encode()).hexdigest()


# The model sees what the listing says about the property; the folio would tell it nothing.
AI_FIELDS = tuple(f for f in LISTING_FIELDS if f != "folio")


class Breakdown(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    cap_rate: float = Field(ge=0, le=WEIGHTS["cap_rate"])
    price_per_sqft: float = Field(ge=0, le=WEIGHTS["price_per_sqft"])
    age_condition: float = Field(ge=0, le=WEIGHTS["age_condition"])
    listing_type: float = Field(ge=0, le=WEIGHTS["listing_type"])


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    score: int = Field(ge=0, le=100)
    roi: float = Field(ge=-100, le=1000)
    cap_rate: float = Field(ge=-1, le=10)
    reasoning: str = Field(min_length=1, max_length=4000)
    breakdown: Breakdown


class InvalidAnswer(ValueError):
    pass


def parse_answer(message, key: str = "") -> Answer:
    """The tool call's input, validated; anything else is an InvalidAnswer saying why (the
    model's text redacted, `key` too: the settings given may hold a key the environment
    does not)."""
    blocks = [
        b for b in message.content if getattr(b, "type", None) == "tool_use" and b.name == TOOL_NAME
    ]
    if not blocks:
        # redacted whole, then cut: a cut through a key would escape its mask
        text = redact(" ".join(getattr(b, "text", "") for b in message.content), extra=[key])
        text = text[:120]
        raise InvalidAnswer(f"no {TOOL_NAME} tool call in the answer (text: {text!r})")
    try:
        return Answer.model_validate(blocks[0].input)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidAnswer(
            f"invalid tool input: {'.'.join(map(str, first['loc']))}: {first['msg']}"
        ) from None


class AnthropicScorer:
    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep):
        import anthropic

        key = settings.anthropic_api_key.get_secret_value()
        if not key:
            raise SettingsError("the AI listing scorer needs ANTHROPIC_API_KEY (not set)")
        self.settings, self.sleep, self._key = settings, sleep, key
        self.model = self.name = settings.ai_model
        # Our own retries (the budget table, pipelines/retries.py), not the SDK's: max_retries=0.
        self.client = anthropic.Anthropic(
            api_key=key,
            base_url=settings.anthropic_base_url or None,
            timeout=settings.ai_timeout_seconds,
            max_retries=0,
        )
        self._errors = anthropic

    def _transient(self, exc: Exception) -> bool:
        a = self._errors
        if isinstance(exc, a.APIConnectionError):  # includes APITimeoutError
            return True
        return isinstance(exc, a.APIStatusError) and (
            exc.status_code in (408, 409, 429) or exc.status_code >= 500
        )

    def score(
        self, listing: dict, zip_median_ppsf: float | None, reference: ScoreResult
    ) -> ScoreResult:
        payload = {
            k: (str(v) if v is not None else None) for k, v in listing.items() if k in AI_FIELDS
        }
        payload["zip_median_price_per_sqft"] = zip_median_ppsf
        payload["rule_score"] = {"score": reference.score, "breakdown": reference.breakdown}
        budget = RETRY_BUDGETS["ai_scorer"]
        attempts = retrying(
            budget,
            retry=retry_if_exception(self._transient),
            sleep=self.sleep,
            scale=self.settings.retry_delay_scale,
        )
        try:
            message = attempts(
                self.client.messages.create,
                model=self.model,
                max_tokens=1024,
                system=SYSTEM,
                tools=[TOOL],
                tool_choice={"type": "tool", "name": TOOL_NAME},
                messages=[{"role": "user", "content": json.dumps(payload, sort_keys=True)}],
            )
        except Exception as exc:  # noqa: BLE001 - classified here; never raised to the batch
            if self._transient(exc):  # the budget is spent
                reason = f"{type(exc).__name__} after {budget.max_attempts} attempts"
            else:
                reason = f"{type(exc).__name__} (status {getattr(exc, 'status_code', '?')})"
        else:
            try:
                answer = parse_answer(message, self._key)
            except InvalidAnswer as exc:
                reason = str(exc)
            else:
                return ScoreResult(
                    score=answer.score,
                    roi=round(answer.roi, 2),
                    cap_rate=round(answer.cap_rate, 4),
                    breakdown=answer.breakdown.model_dump(),
                    reasoning=answer.reasoning,
                    scorer=self.model,
                    prompt_sha256=PROMPT_SHA256,
                )
        return replace(
            reference,
            prompt_sha256=PROMPT_SHA256,
            fallback_reason=redact(f"{self.model}: {reason}; rules used", extra=[self._key]),
        )
