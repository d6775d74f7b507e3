"""The listing scorer as a resource: rules by default, Anthropic Claude when ANTHROPIC_API_KEY
is set. Both answer through the same interface (pipelines.listings.scoring.Scorer)."""

from __future__ import annotations

import os

from dagster import ConfigurableResource

from pipelines.listings.scoring import RuleScorer, Scorer
from pipelines.settings import get_settings


class ListingScorerResource(ConfigurableResource):
    """`kind`: auto (AI when the key is set), rules, or ai. The key never enters config."""

    kind: str = "auto"

    def scorer(self) -> Scorer:
        use_ai = self.kind == "ai" or (self.kind == "auto" and os.environ.get("ANTHROPIC_API_KEY"))
        if not use_ai:
            return RuleScorer()
        from pipelines.listings.ai import AnthropicScorer

        return AnthropicScorer(get_settings())
