"""The public directory of verified organisations: search, filters, place subtrees, planned queries."""
import re

import pytest

from portal.extensions import db
from portal.orgs.models import (
    FOUNDATION,
    PENDING,
    PRIVATE_NON_ENTERPRISE,
    REJECTED,
    SOCIAL_GROUP,
    SUSPENDED,
    VERIFIED,
    OrganisationServiceArea,
)
from tests.factories.accounts import UserFactory
from tests.factories.orgs import credit_code, make_organisation


def _listed(client, query: str = "") -> set[int]:
    html = client.get(f"/organisations/{query}").get_data(as_text=True)
    return {int(org_id) for org_id in re.findall(r'<h2 class="item-title"><a href="/organisations/(\d+)"', html)}


def _org(places, place_key, areas=("elderly_care",), status=VERIFIED, **fields):
    organisation = make_organisation(UserFactory(), places[place_key], status=status, **fields)
    organisation.service_areas = [OrganisationServiceArea(area=area) for area in areas]
    db.session.flush()
    return organisation


@pytest.fixture
def listed(places):
    return {
        "elderly": _org(places, "community", ("elderly_care", "mutual_aid"), name="夕阳红为老服务中心",
                        description="上门助餐、助浴"),
        "youth": _org(places, "street", ("children_youth",), name="阳光青少年社工站", legal_form=SOCIAL_GROUP,
                      credit_code=credit_code("1"), description="四点半课堂"),
        "green": _org(places, "other_community", ("environment",), name="绿色家园基金会", legal_form=FOUNDATION,
                      credit_code=credit_code("3"), description="垃圾分类 100% 宣传"),
    }


def test_only_verified_organisations_are_listed(client, places, listed):
    hidden = [_org(places, "community", status=status) for status in (PENDING, REJECTED, SUSPENDED)]
    shown = _listed(client)
    assert shown == {o.id for o in listed.values()}
    assert not shown & {o.id for o in hidden}


def test_search_matches_name_and_description(client, listed):
    assert _listed(client, "?q=阳光") == {listed["youth"].id}
    assert _listed(client, "?q=助浴") == {listed["elderly"].id}
    assert _listed(client, "?q=nothing-like-this") == set()


def test_search_treats_wildcards_literally(client, listed):
    assert _listed(client, "?q=100%25") == {listed["green"].id}
    assert _listed(client, "?q=%25%25") == set()


def test_filter_by_legal_form_and_service_area(client, listed):
    assert _listed(client, f"?legal_form={FOUNDATION}") == {listed["green"].id}
    assert _listed(client, f"?legal_form={PRIVATE_NON_ENTERPRISE}") == {listed["elderly"].id}
    assert _listed(client, "?area=mutual_aid") == {listed["elderly"].id}
    assert _listed(client, f"?area=elderly_care&legal_form={SOCIAL_GROUP}") == set()


def test_place_filter_includes_the_whole_subtree(client, places, listed):
    in_grid = _org(places, "grid", name="网格互助队")  # a grid row made directly: the subtree still finds it
    street = places["street"]
    assert _listed(client, f"?place={street.id}") == {listed["elderly"].id, listed["youth"].id, in_grid.id}
    assert _listed(client, f"?place={places['community'].id}") == {listed["elderly"].id, in_grid.id}
    assert _listed(client, f"?place={places['district'].id}") == {o.id for o in listed.values()} | {in_grid.id}


def test_unknown_filters_are_ignored(client, listed):
    assert _listed(client, "?place=99999&legal_form=company&area=astrology") == {o.id for o in listed.values()}


def test_directory_is_paginated(client, places):
    for n in range(23):
        _org(places, "community", name=f"组织{n:02d}")
    first, second = _listed(client), _listed(client, "?page=2")
    assert len(first) == 20 and len(second) == 3 and not first & second


def test_empty_directory_says_so(client):
    html = client.get("/organisations/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No organisation has been verified yet." in html


def _queries_for(client, count_queries, query="") -> int:
    with count_queries() as statements:
        response = client.get(f"/organisations/{query}")
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("query", ["", "?area=elderly_care&q=组织", "?place={street}&legal_form="
                                   + PRIVATE_NON_ENTERPRISE])
def test_query_count_does_not_grow_with_rows(client, count_queries, places, query):
    query = query.format(street=places["street"].id)
    for n in range(3):
        _org(places, "community", ("elderly_care", "mutual_aid"), name=f"组织{n:02d}")
    few = _queries_for(client, count_queries, query)
    for n in range(3, 15):
        _org(places, ("community", "street", "grid")[n % 3], ("elderly_care", "disability", "other"),
             name=f"组织{n:02d}")
    many = _queries_for(client, count_queries, query)
    assert len(_listed(client, query)) >= 10
    assert many == few
    assert few <= 5  # places for the filter, count, page, service areas (+ the place filter's subquery inline)
