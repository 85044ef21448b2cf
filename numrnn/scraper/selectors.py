"""Where a review site keeps its reviews: CSS selectors, configurable per layout."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class SiteSelectors:
    """CSS selectors of one review-site layout. The defaults match TripAdvisor's 2018 markup.

    review:        one element per review (the container)
    rating:        inside a review, the element whose class carries the score
    rating_prefix: the class prefix before the score: ``bubble_50`` -> 50
    text:          inside a review, the element with the review text
    more:          inside a review, the link that expands a truncated text ("더보기"/"More")
    next_page:     the link to the next page of reviews
    """

    review: str = "div.review-container"
    rating: str = "span.ui_bubble_rating"
    rating_prefix: str = "bubble_"
    text: str = "p.partial_entry"
    more: str = "span.taLnk.ulBlueLinks"
    next_page: str = "a.nav.next"

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> SiteSelectors:
        """Read selectors from a JSON object; keys not given keep their defaults."""
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError(
                f"{path}: accepted a JSON object of selectors, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown selector(s) {sorted(unknown)}; accepted: "
                             f"{', '.join(sorted(known))}")
        for key, value in data.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"{path}: selector {key!r} must be a non-empty string")
        return cls(**data)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


TRIPADVISOR_2018 = SiteSelectors()
