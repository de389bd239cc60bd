"""Which needs say nearly the same thing: Jaccard similarity of character bigrams. Pure functions.

Chinese is written without spaces, so words cannot be split cheaply; overlapping pairs of characters
(楼道灯坏了 -> 楼道, 道灯, 灯坏, 坏了) capture most shared words in Chinese, and work for English too.
"""
import re
from collections.abc import Iterable
from dataclasses import dataclass

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Below this the shared pairs are chance (one common character pair in two long titles).
THRESHOLD = 0.12
# A title being typed is short, so Jaccard against a long title stays low even when every word matches:
# two or more shared pairs covering a good part of what was typed also count.
MIN_SHARED, MIN_COVERED = 2, 0.3


def bigrams(text: str | None) -> set[str]:
    """Character pairs inside each run of letters/digits/CJK; a lone character counts as itself."""
    grams: set[str] = set()
    for segment in _NOT_WORD.sub(" ", (text or "").lower()).split():
        if len(segment) == 1:
            grams.add(segment)
        else:
            grams.update(segment[index:index + 2] for index in range(len(segment) - 1))
    return grams


def jaccard(first: set[str], second: set[str]) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


@dataclass(frozen=True)
class Candidate:
    id: int
    title: str
    backing_count: int = 0
    status: str = "open"


def rank_similar(query: str, candidates: Iterable[Candidate], limit: int = 5,
                 threshold: float = THRESHOLD) -> list[tuple[Candidate, float]]:
    """The `limit` candidates most like `query` (best first by Jaccard; more backing breaks ties)."""
    wanted = bigrams(query)
    if not wanted:
        return []
    scored = []
    for candidate in candidates:
        grams = bigrams(candidate.title)
        score, shared = jaccard(wanted, grams), len(wanted & grams)
        if score >= threshold or (shared >= MIN_SHARED and shared / len(wanted) >= MIN_COVERED):
            scored.append((candidate, score))
    scored.sort(key=lambda pair: (-pair[1], -pair[0].backing_count, pair[0].id))
    return scored[:limit]
