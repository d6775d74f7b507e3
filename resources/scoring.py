"""The listing scorer as a resource: rules by default, Anthropic Claude when chosen
(FOLIO_LISTING_SCORER=ai) or, with the default `auto`, when ANTHROPIC_API_KEY is set. Both
answer through the same interface (pipelines.listings.scoring.Scorer)."""

from __future__ import annotations

from typing import Literal

from dagster import ConfigurableResource

from pipelines.listings.scoring import RuleScorer, Scorer
from pipelines.settings import SettingsError, get_settings


class ListingScorerResource(ConfigurableResource):
    """`kind`: empty (FOLIO_LISTING_SCORER), auto (AI when the key is set), rules, or ai. The
    key never enters config: it comes from the settings (ANTHROPIC_API_KEY)."""

    kind: Literal["", "auto", "rules", "ai"] = ""

    def scorer(self) -> Scorer:
        settings = get_settings()
        kind = self.kind or settings.listing_scorer
        if kind == "auto":
            kind = settings.resolved_listing_scorer
        if kind == "rules":
            return RuleScorer()
        if not settings.anthropic_api_key.get_secret_value():
            raise SettingsError("the AI listing scorer needs ANTHROPIC_API_KEY (not set)")
        from pipelines.listings.ai import AnthropicScorer

        return AnthropicScorer(settings)
