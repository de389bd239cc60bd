"""analytics.metrics on small hand-made frames whose answers are known."""
import math

import pandas as pd
import pytest

from analytics import metrics


@pytest.fixture
def tree():
    """1 district > 2 streets (10, 11); street 10 > community 20 > grids 30, 31; street 11 > community 21."""
    return pd.DataFrame({
        "id": [1, 10, 11, 20, 21, 30, 31],
        "parent_id": pd.array([None, 1, 1, 10, 11, 20, 20], dtype="Int64"),
        "kind": ["district", "street", "street", "community", "community", "grid", "grid"],
        "name": ["区", "甲街道", "乙街道", "一社区", "二社区", "1格", "2格"],
        "code": ["D", "SA", "SB", "C1", "C2", "G1", "G2"],
        "organisations": [0, 1, 0, 2, 4, 3, 5],
        "population": pd.array([None, None, 9000, None, 2000, 400, 600], dtype="Int64"),
    })


def _by_id(frame, series):
    return dict(zip(frame["id"], series, strict=True))


def test_depth_counts_ancestors(tree):
    assert _by_id(tree, metrics.depth_of(tree)) == {1: 0, 10: 1, 11: 1, 20: 2, 21: 2, 30: 3, 31: 3}


def test_rollup_adds_each_place_and_everything_below(tree):
    rolled = metrics.rollup_to_ancestors(tree, "organisations")
    assert _by_id(tree, rolled) == {1: 15, 10: 11, 11: 4, 20: 10, 21: 4, 30: 3, 31: 5}
    assert rolled.dtype == "int64"
    assert list(rolled.index) == list(tree.index)


def test_rollup_of_a_subtree_frame_ignores_parents_outside_it(tree):
    subtree = tree[tree["id"].isin([10, 20, 30, 31])].reset_index(drop=True)
    assert _by_id(subtree, metrics.rollup_to_ancestors(subtree, "organisations")) == {10: 11, 20: 10, 30: 3, 31: 5}


def test_rollup_survives_a_cycle_in_bad_data():
    frame = pd.DataFrame({"id": [1, 2], "parent_id": pd.array([2, 1], dtype="Int64"), "n": [1, 1]})
    assert len(metrics.rollup_to_ancestors(frame, "n")) == 2


def test_fill_from_children_keeps_own_figures_and_sums_missing_ones(tree):
    filled = _by_id(tree, metrics.fill_from_children(tree, "population"))
    assert filled[30] == 400 and filled[31] == 600
    assert filled[20] == 1000          # no figure of its own: its grids
    assert filled[11] == 9000          # its own figure wins over its community's 2000
    assert filled[10] == 1000          # from community 20, itself filled from grids
    assert filled[1] == 10000          # 1000 + 9000


def test_fill_from_children_leaves_unknown_when_nothing_below_is_known():
    frame = pd.DataFrame({"id": [1, 2], "parent_id": pd.array([None, 1], dtype="Int64"),
                          "population": pd.array([None, None], dtype="Int64")})
    assert metrics.fill_from_children(frame, "population").isna().all()


def test_share_of_total_within_a_kind(tree):
    share = _by_id(tree, metrics.share_of_total(tree, "organisations", kind="grid"))
    assert share[30] == pytest.approx(3 / 8) and share[31] == pytest.approx(5 / 8)
    assert math.isnan(share[1])


def test_share_of_total_is_nan_when_the_total_is_zero(tree):
    zero = tree.assign(organisations=0)
    assert metrics.share_of_total(zero, "organisations").isna().all()


def test_share_of_parent_on_rolled_up_counts(tree):
    rolled = tree.assign(organisations=metrics.rollup_to_ancestors(tree, "organisations"))
    share = _by_id(rolled, metrics.share_of_parent(rolled, "organisations"))
    assert share[10] == pytest.approx(11 / 15) and share[11] == pytest.approx(4 / 15)
    assert math.isnan(share[1])


def test_per_10k_residents(tree):
    per = _by_id(tree, metrics.per_10k_residents(tree, "organisations"))
    assert per[21] == pytest.approx(20.0)  # 4 organisations for 2,000 people
    assert math.isnan(per[1])              # no population known


def test_with_ancestor_name_names_the_district_of_each_place(tree):
    named = metrics.with_ancestor_name(tree, "district")
    assert dict(zip(named["id"], named["district"], strict=True)) == {
        1: "区", 10: "区", 11: "区", 20: "区", 21: "区", 30: "区", 31: "区"}
    streets = metrics.with_ancestor_name(tree, "street", label="street_name")
    assert streets.set_index("id").loc[31, "street_name"] == "甲街道"
    assert pd.isna(streets.set_index("id").loc[1, "street_name"])


def test_rows_of_kind_sorted_by_a_column(tree):
    grids = metrics.rows_of_kind(tree, "grid", sort_by="organisations")
    assert grids["code"].tolist() == ["G2", "G1"]
