"""The published scoring formulas of an evaluation, as pure functions (hand-checked in tests/procurement/
test_scoring.py). Every score is in points of the call's 100: a criterion of weight 30 gives 0..30.

- Price: linear between the buyer's floor and the cap (not lowest-wins): a price at or under the floor gets
  the whole weight, a price at or over the cap gets none, and in between weight x (cap - price)/(cap - floor).
  Underbidding below the floor earns nothing more, so the formula gives no reason to cut the service.
- Quality: per sub-criterion, weight x the mean over the evaluators who scored it (the recused do not) of
  points / 5.
- Past performance: weight x the organisation's earlier contract rating (0..1); with none, neutral 0.5.
- Roadshow (contests): weight x the bid's votes / the most votes any bid of its lot got; no votes at all, 0.
"""
from dataclasses import dataclass, field

MAX_POINTS = 5
NEUTRAL_PAST_PERFORMANCE = 0.5


def price_score(price_minor: int, floor_minor: int, cap_minor: int, weight: float) -> float:
    if cap_minor <= floor_minor:
        raise ValueError("the cap must be above the floor")
    if price_minor <= floor_minor:
        return float(weight)
    if price_minor >= cap_minor:
        return 0.0
    return weight * (cap_minor - price_minor) / (cap_minor - floor_minor)


def quality_score(points: list[int], weight: float) -> float:
    """`points`: one 0..5 score per evaluator who scored this bid on this criterion (none: 0)."""
    if not points:
        return 0.0
    if any(p < 0 or p > MAX_POINTS for p in points):
        raise ValueError("points are 0 to 5")
    return weight * (sum(points) / len(points)) / MAX_POINTS


def past_performance_score(rating: float | None, weight: float) -> tuple[float, bool]:
    """(score, neutral): neutral is True when there is no earlier rating and half the weight is given."""
    if rating is None:
        return weight * NEUTRAL_PAST_PERFORMANCE, True
    return weight * min(max(rating, 0.0), 1.0), False


def roadshow_score(votes: int, max_votes: int, weight: float) -> float:
    if max_votes <= 0:
        return 0.0
    return weight * votes / max_votes


@dataclass
class Line:
    """One criterion of a bid's breakdown: what it weighs, what the bid got, and how (shown to people)."""
    criterion_id: int
    kind: str
    name: str
    weight: int
    score: float
    note: str = ""


@dataclass
class Breakdown:
    lines: list[Line] = field(default_factory=list)

    @property
    def total(self) -> float:
        return round(sum(line.score for line in self.lines), 2)
