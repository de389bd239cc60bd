"""portal.needs.similarity: character bigrams and Jaccard overlap for Chinese (and English) titles."""
import pytest

from portal.needs.similarity import Candidate, bigrams, jaccard, rank_similar


def test_bigrams_of_chinese_text_without_spaces():
    assert bigrams("楼道灯坏了") == {"楼道", "道灯", "灯坏", "坏了"}


def test_punctuation_and_case_split_segments():
    assert bigrams("楼道，灯") == {"楼道", "灯"}
    assert bigrams("No Lights") == {"no", "li", "ig", "gh", "ht", "ts"}
    assert bigrams("") == set()


def test_jaccard():
    assert jaccard({"a", "b"}, {"b", "c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), {"a"}) == 0.0


def test_rank_puts_the_closest_first_and_drops_unrelated():
    candidates = [Candidate(1, "独居老人吃饭难，希望有老年食堂", 20), Candidate(2, "楼道灯坏了，晚上看不见", 9),
                  Candidate(3, "老人吃饭不方便，能不能送餐上门", 3), Candidate(4, "小区停车难", 30)]
    ranked = rank_similar("老人吃饭难", candidates)
    assert [candidate.id for candidate, _score in ranked] == [1, 3]
    assert ranked[0][1] > ranked[1][1] > 0


def test_rank_keeps_at_most_the_limit_and_breaks_ties_by_backing():
    candidates = [Candidate(n, "楼道灯坏了", backing_count=n) for n in range(1, 9)]
    ranked = rank_similar("楼道灯坏了", candidates, limit=5)
    assert [candidate.id for candidate, _score in ranked] == [8, 7, 6, 5, 4]


def test_empty_query_suggests_nothing():
    assert rank_similar("  ，", [Candidate(1, "楼道灯坏了")]) == []


def test_a_short_title_being_typed_still_finds_a_long_one_sharing_its_words():
    candidates = [Candidate(1, "老年人不会用智能手机，看病挂号难"), Candidate(2, "孩子沉迷手机，家长很焦虑")]
    assert [candidate.id for candidate, _score in rank_similar("老人用手机挂号", candidates)] == [1]
