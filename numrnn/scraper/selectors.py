"""Where a review site keeps its reviews: CSS selectors, configurable per layout.

Rules the scraper follows (docs/api/scraper.md shows them with an example file):

- ``review`` is searched in the whole page; every other per-review selector (``rating``,
  ``text``, ``more``, ``date``, ``title``, ``user``) is searched *inside* each review element,
  and the first match counts.
- ``next_page`` and ``consent`` are searched in the whole page; the first *displayed* match
  counts. A next link is disabled when it has the ``disabled`` attribute,
  ``aria-disabled="true"`` or the class ``disabled``.
- An empty string switches an optional selector off (``more``, ``date``, ``title``, ``user``,
  ``consent``, ``next_page``, ``ellipsis``, ``id_attribute``).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from importlib import resources
from pathlib import Path

REQUIRED = ("review", "rating", "text")


@dataclass(frozen=True)
class SiteSelectors:
    """CSS selectors of one review-site layout. The defaults match TripAdvisor's 2018 markup
    (the preset ``tripadvisor-2018``).

    review:        one element per review (the container), searched in the whole page
    id_attribute:  attribute of the review element holding the site's review id
    rating:        inside a review, the element whose class carries the score
    rating_prefix: the class prefix before the score: ``bubble_50`` -> 50
    text:          inside a review, the element with the review text (first match)
    more:          inside a review, the link that expands a truncated text ("더보기"/"More")
    ellipsis:      how the site ends a cut text; a text still ending so is flagged truncated
    date, title, user: inside a review, optional extra columns ('' = not collected)
    next_page:     the link or button to the next page of reviews
    consent:       a cookie-consent button clicked once if present ('' = none)
    """

    review: str = "div.review-container"
    id_attribute: str = "data-reviewid"
    rating: str = "span.ui_bubble_rating"
    rating_prefix: str = "bubble_"
    text: str = "p.partial_entry"
    more: str = "span.taLnk.ulBlueLinks"
    ellipsis: str = "…"
    date: str = "span.ratingDate"
    title: str = "span.noQuotes"
    user: str = "div.info_text > div"
    next_page: str = "a.nav.next"
    consent: str = ""

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, str):
                raise TypeError(f"selector {f.name!r} is {value!r} ({type(value).__name__}); "
                                "accepted: a string")
            if f.name in REQUIRED + ("rating_prefix",) and not value.strip():
                raise ValueError(f"selector {f.name!r} must be a non-empty string")

    @classmethod
    def from_dict(cls, data: dict, source: str = "selectors") -> SiteSelectors:
        """Selectors from a mapping of field names; fields not given keep their defaults."""
        if not isinstance(data, dict):
            raise TypeError(f"{source}: accepted a JSON object / dict of selectors, "
                            f"got {type(data).__name__}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ValueError(f"{source}: unknown selector(s) {unknown}; accepted: "
                             f"{', '.join(known)}")
        try:
            return cls(**data)
        except (TypeError, ValueError) as err:
            raise type(err)(f"{source}: {err}") from None

    @classmethod
    def from_json(cls, path: str | os.PathLike) -> SiteSelectors:
        """Read selectors from a JSON object; keys not given keep their defaults."""
        with open(path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}: not valid JSON ({err})") from None
        return cls.from_dict(data, source=str(path))

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def preset_names() -> list[str]:
    """Names of the selector presets shipped with numrnn (``numrnn/scraper/presets/*.json``)."""
    folder = resources.files(__package__) / "presets"
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))


def preset(name: str) -> SiteSelectors:
    """A shipped selector preset by name, e.g. ``'tripadvisor-2018'``."""
    names = preset_names()
    if name not in names:
        raise ValueError(f"unknown selector preset {name!r}; accepted: {', '.join(names)}")
    text = (resources.files(__package__) / "presets" / f"{name}.json").read_text("utf-8")
    data = {k: v for k, v in json.loads(text).items() if not k.startswith("_")}
    return SiteSelectors.from_dict(data, source=f"preset {name!r}")


def as_selectors(selectors) -> SiteSelectors:
    """``None`` (the default layout), a `SiteSelectors`, a dict, a preset name or a JSON file.

    A string is a preset name when it is one, otherwise the path of a JSON file.
    """
    if selectors is None:
        return SiteSelectors()
    if isinstance(selectors, SiteSelectors):
        return selectors
    if isinstance(selectors, dict):
        return SiteSelectors.from_dict(selectors)
    if isinstance(selectors, (str, os.PathLike)):
        if isinstance(selectors, str) and selectors in preset_names():
            return preset(selectors)
        if not Path(selectors).is_file():
            raise ValueError(f"selectors={str(selectors)!r} is neither a preset "
                             f"({', '.join(preset_names())}) nor an existing JSON file")
        return SiteSelectors.from_json(selectors)
    raise TypeError(f"selectors has type {type(selectors).__name__}; accepted: SiteSelectors, "
                    "dict, a preset name or the path of a JSON file")


TRIPADVISOR_2018 = SiteSelectors()
