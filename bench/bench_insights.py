#!/usr/bin/env python3
"""The dashboards at scale (issue 14, item 8): seed the PostgreSQL database `bench` (never `test`), then time
every insights snapshot's cold computation and every dashboard page through gunicorn against a bare Flask
endpoint of the same shape. Figures go to BENCHMARKS.md ("Dashboards at scale").

    .venv/bin/python bench/bench_insights.py --seed-only          # seed (idempotent: a stage runs once)
    .venv/bin/python bench/bench_insights.py --cold               # time compute_and_store per snapshot
    .venv/bin/python bench/bench_insights.py --pages --rounds 3   # gunicorn + wrk, portal then bare, interleaved

The seed, each stage one transaction of INSERT ... SELECT generate_series, recorded in the marker table
`bench_insights_seed` (a stage found there is skipped, so a second run adds nothing):

1. gifts: bench/bench_payments.py's hot campaign with 1,000,000 succeeded gifts (reused when present);
2. demo: the demo city (`portal demo`: Yichang's places, accounts, organisations, funds, projects, calls,
   contracts, grid cases), whose places, departments, catalogue and case categories the bulk rows use;
3. organisations: 300 verified bench organisations homed on the demo's grids;
4. projects: 4,000 service projects on the demo's grids (a fifth also on a second grid), 5,000 indicators
   and 100,000 indicator reports (20 monthly reports each: 85% approved, 10% awaiting review, 5% returned);
5. procurement: 2,000 calls (70% open tenders, then direct grants, application calls, contests) with one lot,
   a catalogue line and price / quality / past-performance criteria; 10,000 bids, opened as the opening
   leaves them (status valid, the price copied out into opened_price_minor; every fifth call's fifth bid
   disqualified, some winners flagged abnormally low), three evaluators' quality scores per bid; awards for
   90% of the calls (the lowest valid price), contracts for 85% (active, completed, closed), each with one or
   two lines, three milestones, delivery reports with their lines (verified, a few awaiting verification),
   approved payments (a few before their delivery was verified), amendments on a fifth, scope requests (15%
   citing no line) and final evaluations of finished contracts;
6. cases: 100,000 grid cases over every demo grid in the last two years, through every status of the loop,
   on bench categories copied from the demo street's onto each district, with one timeline event per step
   taken (about 640,000 events).
"""
import argparse
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
os.environ.setdefault("PORTAL_INSTANCE_DIR", "/tmp/portal-bench-instance")

import bench_payments  # noqa: E402
from sqlalchemy import text  # noqa: E402

MARKER = "bench_insights_seed"
SERVICE_AREAS = ("elderly_care", "children_youth", "disability", "social_assistance", "mental_health",
                 "community_safety", "environment", "culture_sports")


def _array(values) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]"


AREAS = _array(SERVICE_AREAS)

ORGANISATIONS = """
INSERT INTO organisations (name, legal_form, credit_code, home_place_id, description, contact_name, contact_phone,
    contact_email, status, created_by_id, created_at, verified_at)
SELECT '基准社会组织' || lpad(g::text, 4, '0'), 'private_non_enterprise', '52420500BN' || lpad(g::text, 8, '0'),
       (SELECT a[1 + g % array_length(a, 1)] FROM (SELECT array_agg(id ORDER BY id) a FROM places
                                                    WHERE kind = 'grid') grids),
       '', '负责人' || g, '1380000' || lpad(g::text, 4, '0'), 'bench-org' || g || '@example.org', 'verified',
       (SELECT min(id) FROM users), now() - interval '3 years', now() - interval '3 years'
FROM generate_series(1, 300) g
"""

PROJECTS = [
    f"""
    CREATE TEMP TABLE bench_orgs AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM organisations
        WHERE name LIKE '基准社会组织%';
    CREATE TEMP TABLE bench_grids AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM places WHERE kind = 'grid';
    INSERT INTO service_projects (organisation_id, title, summary, description_md, category, service_type,
        delivery_model, target_groups, starts_on, ends_on, budget_minor, currency, funding_sources,
        beneficiaries_target, status, created_by_id, created_at, published_at, rating_count, rating_sum,
        follower_count)
    SELECT (SELECT id FROM bench_orgs WHERE n = 1 + g % 300), '基准服务项目 ' || g, '基准测试的服务项目', '',
           ({AREAS})[1 + g % 8], (ARRAY['care', 'mutual_aid', 'capacity', 'technology'])[1 + (g / 8) % 4],
           (ARRAY['resident_self_help', 'professional_social_work', 'other'])[1 + g % 3], '',
           date '2024-01-01' + (g % 700), date '2024-01-01' + (g % 700) + 365, 5000000 + (g % 40) * 250000, 'CNY',
           '', 50 + g % 200,
           CASE WHEN g % 20 = 0 THEN 'draft' WHEN g % 3 = 0 THEN 'completed' WHEN g % 3 = 1 THEN 'in_progress'
                ELSE 'published' END,
           (SELECT min(id) FROM users), now() - interval '2 years', now() - interval '2 years', 0, 0, 0
    FROM generate_series(1, 4000) g;
    CREATE TEMP TABLE bench_projects AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM service_projects
        WHERE title LIKE '基准服务项目 %';
    INSERT INTO project_places (project_id, place_id)
    SELECT p.id, (SELECT id FROM bench_grids WHERE n = 1 + p.n % (SELECT count(*) FROM bench_grids))
    FROM bench_projects p
    UNION ALL
    SELECT p.id, (SELECT id FROM bench_grids WHERE n = 1 + (p.n * 7 + 3) % (SELECT count(*) FROM bench_grids))
    FROM bench_projects p WHERE p.n % 5 = 0
        AND (p.n * 7 + 3) % (SELECT count(*) FROM bench_grids) <> p.n % (SELECT count(*) FROM bench_grids);
    INSERT INTO indicators (project_id, name, unit, baseline, target, direction, position)
    SELECT p.id, '服务人次', (ARRAY['人次', '小时', '户', '%'])[1 + p.n % 4], 0, 100 + p.n % 400,
           CASE WHEN p.n % 10 = 0 THEN 'decrease' ELSE 'increase' END, 0 FROM bench_projects p
    UNION ALL
    SELECT p.id, '满意度', '%', 50, 90, 'increase', 1 FROM bench_projects p WHERE p.n % 4 = 0;
    CREATE TEMP TABLE bench_indicators AS SELECT row_number() OVER (ORDER BY i.id) AS n, i.id, i.target, i.direction
        FROM indicators i JOIN bench_projects p ON p.id = i.project_id;
    INSERT INTO indicator_reports (indicator_id, period_start, period_end, actual, narrative, status,
        submitted_by_id, submitted_at, reviewed_by_id, reviewed_at)
    SELECT i.id, (date '2024-06-01' + (m - 1) * interval '1 month')::date,
           (date '2024-06-01' + m * interval '1 month')::date - 1, round(i.target * (m + (i.n % 7)) / 24.0, 1), '',
           CASE WHEN (i.n + m) % 20 = 0 THEN 'returned' WHEN (i.n + m) % 10 = 1 THEN 'submitted'
                ELSE 'approved' END,
           (SELECT min(id) FROM users), date '2024-06-01' + (m * interval '1 month'),
           (SELECT min(id) FROM users), date '2024-06-01' + (m * interval '1 month') + interval '3 days'
    FROM bench_indicators i, generate_series(1, 20) m
    """,
]

PROCUREMENT = f"""
CREATE TEMP TABLE bench_orgs AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM organisations
    WHERE name LIKE '基准社会组织%';
CREATE TEMP TABLE bench_departments AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, place_id
    FROM departments;
CREATE TEMP TABLE bench_items AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, unit, unit_price_ceiling_minor,
    name, category FROM catalogue_items;
CREATE TEMP TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM users
    WHERE email LIKE 'bench%@example.org' ORDER BY id LIMIT 50;
CREATE TEMP TABLE bench_projects AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM service_projects
    WHERE title LIKE '基准服务项目 %';

-- calls: g-th call published (g % 700) days before 2026-11-30, bidding for 20 days (every 15th for 4)
INSERT INTO calls (reference, department_id, place_id, mode, category, title, description, eligibility, status,
    currency, budget_cap_minor, price_floor_minor, min_bids, questions_until, bids_until, publicity_days,
    roadshow_place, no_need_reason, consultation, revision, created_by_id, created_at, published_at, opened_at,
    evaluation_started_at, awarded_at, publicity_ends_at, confirmed_at)
SELECT 'BENCH-CALL-' || lpad(g::text, 5, '0'), d.id, d.place_id,
       CASE g % 10 WHEN 7 THEN 'direct_grant' WHEN 8 THEN 'application_call' WHEN 9 THEN 'contest'
            ELSE 'open_tender' END,
       ({AREAS})[1 + g % 8], '基准采购 ' || g, '', '',
       CASE WHEN g % 20 = 2 THEN 'unsuccessful' WHEN g % 20 = 3 THEN 'evaluation' WHEN g % 20 = 4 THEN 'awarded'
            ELSE 'contracted' END,
       'CNY', 20000000 + (g % 90) * 2000000, (20000000 + (g % 90) * 2000000) * 6 / 10, 1,
       s.published + interval '10 days', s.published + CASE WHEN g % 15 = 0 THEN interval '4 days'
                                                             ELSE interval '20 days' END,
       7, '', '', '', 1, (SELECT min(id) FROM users), s.published - interval '5 days', s.published,
       s.published + interval '20 days', s.published + interval '21 days',
       CASE WHEN g % 20 NOT IN (2, 3) THEN s.published + interval '30 days' END,
       CASE WHEN g % 20 NOT IN (2, 3) THEN s.published + interval '37 days' END,
       CASE WHEN g % 20 NOT IN (2, 3, 4) THEN s.published + interval '37 days' END
FROM generate_series(1, 2000) g
CROSS JOIN LATERAL (SELECT timestamptz '2026-11-30 02:00+00' - (g % 700) * interval '1 day' AS published) s
JOIN bench_departments d ON d.n = g % (SELECT count(*) FROM bench_departments);
CREATE TEMP TABLE bench_calls AS SELECT substr(reference, 12)::int AS g, id, status, budget_cap_minor AS cap,
    price_floor_minor AS floor, place_id, department_id, category, published_at, opened_at, awarded_at
    FROM calls WHERE reference LIKE 'BENCH-CALL-%';
INSERT INTO lots (call_id, number, title, budget_cap_minor, max_awards, unsuccessful)
SELECT id, 1, '第一包', cap, 1, status = 'unsuccessful' FROM bench_calls;
CREATE TEMP TABLE bench_lots AS SELECT c.*, l.id AS lot_id FROM bench_calls c JOIN lots l ON l.call_id = c.id;
INSERT INTO lot_lines (lot_id, catalogue_item_id, quantity)
SELECT lot_id, (SELECT id FROM bench_items WHERE n = g % (SELECT count(*) FROM bench_items)), 100 + g % 400
FROM bench_lots;
INSERT INTO award_criteria (call_id, position, kind, name, weight, rubric)
SELECT id, k.position, k.kind, k.name, k.weight, '' FROM bench_calls,
       (VALUES (1, 'price', '价格', 30), (2, 'quality', '服务方案', 50),
               (3, 'past_performance', '以往履约', 20)) k(position, kind, name, weight);

-- bids: five per call (every 20th call one, the next one nine), opened: price copied out, status valid
INSERT INTO bids (call_id, lot_id, organisation_id, status, version, sealed_content, receipt_sha256,
    submitted_by_id, submitted_at, opened_price_minor)
SELECT l.id, l.lot_id, o.id,
       CASE WHEN l.g % 5 = 0 AND k = 4 THEN 'disqualified' ELSE 'valid' END, 1, '\\x00'::bytea,
       md5(l.g || '-' || k) || md5(k || '-' || l.g), (SELECT id FROM bench_users WHERE n = (l.g + k) % 50),
       l.published_at + interval '3 days' + k * interval '1 hour',
       l.floor + (l.cap - l.floor) * (((l.g * 37 + k * 53) % 97) + 2) / 100
FROM bench_lots l
CROSS JOIN LATERAL generate_series(0, CASE l.g % 20 WHEN 0 THEN 0 WHEN 1 THEN 8 ELSE 4 END) k
JOIN bench_orgs o ON o.n = (l.g * 7 + k * 61) % 300;
CREATE TEMP TABLE bench_bids AS SELECT b.id, b.call_id, b.lot_id, b.organisation_id, b.status,
    b.opened_price_minor AS price, l.g, l.status AS call_status, l.awarded_at, l.department_id, l.place_id, l.category
    FROM bids b JOIN bench_lots l ON l.lot_id = b.lot_id;
INSERT INTO scores (call_id, bid_id, criterion_id, evaluator_id, points, comment, scored_at)
SELECT b.call_id, b.id, c.id, u.id, (b.id * 7 + u.n) % 4 + 2, '', b.awarded_at
FROM bench_bids b JOIN award_criteria c ON c.call_id = b.call_id AND c.kind = 'quality'
JOIN bench_users u ON u.n IN (b.g % 50, (b.g + 17) % 50, (b.g + 33) % 50)
WHERE b.status = 'valid' AND b.call_status NOT IN ('unsuccessful');

-- awards: the lowest valid price of each awarded or contracted call
CREATE TEMP TABLE bench_winners AS SELECT DISTINCT ON (call_id) * FROM bench_bids
    WHERE status = 'valid' AND call_status IN ('awarded', 'contracted') ORDER BY call_id, price, id;
INSERT INTO low_price_reviews (bid_id, reasons, status, explain_by, explanation, explained_at, decision_reason,
    decided_by_id, decided_at)
SELECT id, '["below_floor_share"]', 'accepted', awarded_at - interval '5 days', '成本说明',
       awarded_at - interval '6 days', '说明成立', (SELECT min(id) FROM users), awarded_at - interval '4 days'
FROM bench_winners WHERE g % 25 = 6;
INSERT INTO awards (call_id, lot_id, bid_id, total_score, amount_minor, reasons, decided_by_id, decided_at)
SELECT call_id, lot_id, id, 70 + g % 25, price, '综合得分最高', (SELECT min(id) FROM users), awarded_at
FROM bench_winners;

-- contracts of the contracted calls
INSERT INTO contracts (reference, call_id, award_id, department_id, organisation_id, place_id, project_id, title,
    status, currency, original_value_minor, value_minor, paid_minor, quality_factors, starts_on, ends_on,
    signed_by_id, signed_at, completed_at, closed_at)
SELECT 'BENCH-CT-' || lpad(w.g::text, 5, '0'), w.call_id, a.id, w.department_id, w.organisation_id, w.place_id,
       CASE WHEN w.g % 3 = 0 THEN (SELECT id FROM bench_projects WHERE n = w.g % 4000) END, '基准合同 ' || w.g,
       CASE WHEN w.awarded_at < now() - interval '400 days' THEN 'closed'
            WHEN w.awarded_at < now() - interval '200 days' THEN 'completed' ELSE 'active' END,
       'CNY', w.price, w.price, 0, '{{"5": 1000, "4": 1000, "3": 900, "2": 700, "1": 0}}',
       (w.awarded_at + interval '10 days')::date, (w.awarded_at + interval '375 days')::date,
       (SELECT min(id) FROM users), w.awarded_at + interval '8 days',
       CASE WHEN w.awarded_at < now() - interval '200 days' THEN w.awarded_at + interval '190 days' END,
       CASE WHEN w.awarded_at < now() - interval '400 days' THEN w.awarded_at + interval '390 days' END
FROM bench_winners w JOIN awards a ON a.bid_id = w.id WHERE w.call_status = 'contracted';
CREATE TEMP TABLE bench_contracts AS SELECT substr(c.reference, 10)::int AS g, c.id, c.status, c.value_minor,
    c.department_id, c.organisation_id, c.signed_at, c.starts_on FROM contracts c WHERE reference LIKE 'BENCH-CT-%';
INSERT INTO contract_lines (contract_id, catalogue_item_id, name, unit, unit_price_minor, quantity, quality_standard)
SELECT c.id, i.id, i.name, i.unit, greatest(1, c.value_minor / CASE WHEN c.g % 2 = 0 THEN 2 ELSE 1 END
       / (100 + c.g % 400)), 100 + c.g % 400, ''
FROM bench_contracts c JOIN bench_items i ON i.n = c.g % (SELECT count(*) FROM bench_items)
UNION ALL
SELECT c.id, i.id, i.name, i.unit, greatest(1, c.value_minor / 2 / (50 + c.g % 100)), 50 + c.g % 100, ''
FROM bench_contracts c JOIN bench_items i ON i.n = (c.g + 1) % (SELECT count(*) FROM bench_items)
WHERE c.g % 2 = 0;
INSERT INTO milestones (contract_id, number, title, share_bp, due_on, status, acceptance_rating, accepted_by_id,
    accepted_at)
SELECT c.id, m, '第' || m || '期', CASE m WHEN 3 THEN 4000 ELSE 3000 END, c.starts_on + m * 120,
       CASE WHEN c.starts_on + m * 120 < now()::date - 30 THEN 'paid' ELSE 'pending' END,
       CASE WHEN c.starts_on + m * 120 < now()::date - 30 THEN 3 + (c.g + m) % 3 END,
       CASE WHEN c.starts_on + m * 120 < now()::date - 30 THEN (SELECT min(id) FROM users) END,
       CASE WHEN c.starts_on + m * 120 < now()::date - 30 THEN c.starts_on + m * 120 + 5 END
FROM bench_contracts c, generate_series(1, 3) m;
CREATE TEMP TABLE bench_milestones AS SELECT m.id, m.contract_id, m.number, m.share_bp, m.due_on, m.status, c.g,
    c.value_minor FROM milestones m JOIN bench_contracts c ON c.id = m.contract_id;
-- a report for every milestone due within the next month: verified when its milestone was accepted
INSERT INTO delivery_reports (contract_id, milestone_id, period_start, period_end, narrative, status,
    submitted_by_id, submitted_at, verified_by_id, verified_at)
SELECT contract_id, id, due_on - 120, due_on, '本期服务按计划完成',
       CASE WHEN status = 'paid' THEN 'verified' ELSE 'submitted' END, (SELECT min(id) FROM users),
       due_on - 2 + CASE WHEN g % 11 = 0 THEN 9 ELSE 0 END,
       CASE WHEN status = 'paid' THEN (SELECT min(id) FROM users) END,
       CASE WHEN status = 'paid' THEN due_on + 3 END
FROM bench_milestones WHERE due_on < now()::date + 30;
INSERT INTO report_lines (report_id, contract_line_id, units)
SELECT r.id, l.id, l.quantity * m.share_bp / 10000
FROM delivery_reports r JOIN bench_milestones m ON m.id = r.milestone_id
JOIN contract_lines l ON l.contract_id = r.contract_id;
-- payments of accepted milestones, by their verified delivery (units x prices): approved; every 40th
-- contract's first milestone paid before its delivery was verified
INSERT INTO contract_payments (contract_id, milestone_id, amount_minor, basis, status, requested_by_id,
    requested_at, decided_by_id, decided_at)
SELECT m.contract_id, m.id, greatest(1, (SELECT sum(rl.units * cl.unit_price_minor) FROM delivery_reports r
           JOIN report_lines rl ON rl.report_id = r.id JOIN contract_lines cl ON cl.id = rl.contract_line_id
           WHERE r.milestone_id = m.id AND r.status = 'verified')), '{{}}', 'approved',
       (SELECT min(id) FROM users), m.due_on + 6, (SELECT min(id) FROM users),
       CASE WHEN m.g % 40 = 0 AND m.number = 1 THEN m.due_on - 10 ELSE m.due_on + 8 END
FROM bench_milestones m WHERE m.status = 'paid';
UPDATE contracts c SET paid_minor = p.paid FROM (SELECT contract_id, sum(amount_minor) AS paid
    FROM contract_payments GROUP BY contract_id) p WHERE p.contract_id = c.id AND c.reference LIKE 'BENCH-CT-%';
-- amendments on a fifth of the contracts (every 35th by more than 30%)
INSERT INTO contract_amendments (contract_id, number, rationale, value_change_minor, changes, status,
    proposed_by_id, proposed_at, approved_by_id, approved_at)
SELECT id, 1, '服务量增加', value_minor * CASE WHEN g % 35 = 0 THEN 40 ELSE 5 + g % 10 END / 100, '{{}}', 'in_force',
       (SELECT min(id) FROM users), signed_at + interval '60 days', (SELECT min(id) FROM users),
       signed_at + interval '62 days'
FROM bench_contracts WHERE g % 5 = 0;
UPDATE contracts c SET value_minor = c.original_value_minor + a.change FROM (SELECT contract_id,
    sum(value_change_minor) AS change FROM contract_amendments WHERE status = 'in_force' GROUP BY contract_id) a
    WHERE a.contract_id = c.id AND c.reference LIKE 'BENCH-CT-%';
-- scope requests: two per contract, three on every fourth; 15% cite no contract line
INSERT INTO scope_requests (contract_id, department_id, contract_line_id, requested_on, description, logged_by_side,
    logged_by_id, logged_at)
SELECT c.id, c.department_id,
       CASE WHEN (c.g + k) % 7 = 0 THEN NULL ELSE (SELECT min(l.id) FROM contract_lines l WHERE l.contract_id = c.id)
       END, c.starts_on + 30 * k, '社区临时请求', 'department', (SELECT min(id) FROM users),
       c.signed_at + k * interval '30 days'
FROM bench_contracts c CROSS JOIN LATERAL generate_series(1, CASE WHEN c.g % 4 = 0 THEN 3 ELSE 2 END) k;
-- final evaluations of finished contracts, by the buyer's official
INSERT INTO contract_evaluations (contract_id, organisation_id, evaluator_id, evaluator_role, ratings, submitted_at,
    rebuttal_until, overall, final_at)
SELECT id, organisation_id, (SELECT min(id) FROM users), 'official',
       json_build_object('quality', 3 + g % 3, 'schedule', 2 + g % 4, 'cost_control', 4, 'management', 3 + g % 2,
                         'resident_satisfaction', 3 + (g / 3) % 3),
       signed_at + interval '200 days', signed_at + interval '215 days',
       (3 + g % 3 + 2 + g % 4 + 4 + 3 + g % 2 + 3 + (g / 3) % 3) / 5.0, signed_at + interval '215 days'
FROM bench_contracts WHERE status IN ('completed', 'closed')
"""

CASES = """
CREATE TEMP TABLE bench_grids AS SELECT row_number() OVER (ORDER BY g.id) - 1 AS n, g.id, g.path,
    split_part(g.path, '/', 2)::int AS district_id FROM places g WHERE g.kind = 'grid';
-- the demo street's categories, copied onto each district (so every grid has them)
INSERT INTO case_categories (place_id, code, name, description, department_id, contract_id, accept_hours,
    handle_hours, feedback_hours, is_public, is_active)
SELECT d.id, 'bench-' || c.code, c.name, c.description, c.department_id, c.contract_id, c.accept_hours,
       c.handle_hours, c.feedback_hours, c.is_public, true
FROM case_categories c CROSS JOIN (SELECT DISTINCT district_id AS id FROM bench_grids) d
WHERE c.code NOT LIKE 'bench-%';
CREATE TEMP TABLE bench_categories AS SELECT row_number() OVER (PARTITION BY place_id ORDER BY id) - 1 AS n, id,
    place_id, department_id, contract_id, accept_hours, handle_hours, feedback_hours
    FROM case_categories WHERE code LIKE 'bench-%';
-- the g-th case: reported (g * 631) % 730 days and (g % 24) hours ago; how far it went by its age and g
CREATE TEMP TABLE bench_cases AS
SELECT g, gr.id AS place_id, c.id AS category_id, c.department_id, c.contract_id, c.accept_hours, c.handle_hours,
       c.feedback_hours,
       now() - ((g * 631) % 730) * interval '1 day' - (g % 24) * interval '1 hour' AS reported_at,
       -- steps taken: 0 reported, 1 filed, 2 dispatched, 3 handling, 4 handled, 5 told, 6 verified, 7 closed,
       -- 8 evaluated; -1 rejected. Old cases are finished; the last month's spread over the loop.
       CASE WHEN g % 50 = 0 THEN -1
            WHEN (g * 631) % 730 > 30 THEN CASE WHEN g % 3 = 0 THEN 7 ELSE 8 END
            ELSE g % 9 END AS steps,
       30.66 + ((g * 17) % 1000) / 50000.0 + (gr.n % 40) / 500.0 AS latitude,  -- inside CASE_CITY_BOUNDS
       111.24 + ((g * 29) % 1000) / 50000.0 + (gr.n % 37) / 370.0 AS longitude,
       g % 4 = 0 AS late
FROM generate_series(1, 100000) g
JOIN bench_grids gr ON gr.n = g % (SELECT count(*) FROM bench_grids)
JOIN bench_categories c ON c.place_id = gr.district_id
    AND c.n = g % (SELECT count(*) FROM bench_categories x WHERE x.place_id = gr.district_id);
INSERT INTO cases (reference, category_id, place_id, latitude, longitude, title, description, status, loop,
    reporter_id, reporter_name, reported_via, department_id, contract_id, reported_at, filed_at, dispatched_at,
    accepted_at, handled_at, feedback_at, verified_at, closed_at, evaluated_at, next_due_at, escalated_at,
    satisfaction, reopened_count)
SELECT 'BN-' || lpad(g::text, 7, '0'), category_id, place_id, latitude, longitude, '基准事件 ' || g, '',
       CASE steps WHEN -1 THEN 'rejected' WHEN 0 THEN 'reported' WHEN 1 THEN 'filed' WHEN 2 THEN 'dispatched'
            WHEN 3 THEN 'handling' WHEN 4 THEN 'handled' WHEN 5 THEN 'handled' WHEN 6 THEN 'verified'
            WHEN 7 THEN 'closed' ELSE 'evaluated' END,
       CASE WHEN late AND steps >= 2 THEN 'district' ELSE 'street' END, NULL, '居民', 'web', department_id,
       contract_id, reported_at,
       CASE WHEN steps >= 1 THEN reported_at + interval '1 hour' END,
       CASE WHEN steps >= 2 THEN reported_at + interval '2 hours' END,
       CASE WHEN steps >= 3 THEN reported_at + interval '2 hours'
            + (accept_hours * CASE WHEN late THEN 1.5 ELSE 0.5 END) * interval '1 hour' END,
       CASE WHEN steps >= 4 THEN reported_at + (accept_hours + handle_hours / 2) * interval '1 hour' END,
       CASE WHEN steps >= 5 THEN reported_at + (accept_hours + handle_hours / 2 + 4) * interval '1 hour' END,
       CASE WHEN steps >= 6 THEN reported_at + (accept_hours + handle_hours / 2 + 8) * interval '1 hour' END,
       CASE WHEN steps >= 7 THEN reported_at + (accept_hours + handle_hours / 2 + 12) * interval '1 hour' END,
       CASE WHEN steps >= 8 THEN reported_at + (accept_hours + handle_hours / 2 + 36) * interval '1 hour' END,
       CASE steps WHEN 0 THEN reported_at + accept_hours * interval '1 hour'
                  WHEN 1 THEN reported_at + (1 + accept_hours) * interval '1 hour'
                  WHEN 2 THEN reported_at + (2 + accept_hours) * interval '1 hour'
                  WHEN 3 THEN reported_at + (2 + accept_hours + handle_hours) * interval '1 hour'
                  WHEN 4 THEN reported_at + (2 + accept_hours + handle_hours + feedback_hours) * interval '1 hour'
                  WHEN 5 THEN reported_at + (2 + accept_hours + handle_hours + feedback_hours) * interval '1 hour'
                  WHEN 6 THEN reported_at + (2 + accept_hours + handle_hours + feedback_hours) * interval '1 hour'
       END,
       CASE WHEN late AND steps >= 3 THEN reported_at + (2 + accept_hours) * interval '1 hour' END,
       CASE WHEN steps = 8 THEN CASE WHEN g % 10 = 0 THEN 'unsatisfied' ELSE 'satisfied' END END, 0
FROM bench_cases;
UPDATE cases SET reference = 'BN-' || id WHERE reference LIKE 'BN-%';
-- the timeline: one event per step taken
INSERT INTO case_events (case_id, action, from_status, to_status, actor_id, note, at)
SELECT c.id, s.action, s.from_status, s.to_status, NULL::int, '',
       coalesce(CASE s.step WHEN 0 THEN c.reported_at WHEN 1 THEN c.filed_at WHEN 2 THEN c.dispatched_at
                    WHEN 3 THEN c.accepted_at WHEN 4 THEN c.handled_at WHEN 5 THEN c.feedback_at
                    WHEN 6 THEN c.verified_at WHEN 7 THEN c.closed_at WHEN 8 THEN c.evaluated_at END,
                c.reported_at + interval '1 hour')
FROM cases c
JOIN (VALUES (0, 'report', NULL::varchar, 'reported'), (1, 'file', 'reported', 'filed'),
             (2, 'dispatch', 'filed', 'dispatched'), (3, 'accept', 'dispatched', 'handling'),
             (4, 'handle', 'handling', 'handled'), (5, 'feedback', 'handled', 'handled'),
             (6, 'verify', 'handled', 'verified'), (7, 'close', 'verified', 'closed'),
             (8, 'evaluate', 'closed', 'evaluated')) s(step, action, from_status, to_status)
  ON s.step <= CASE c.status WHEN 'reported' THEN 0 WHEN 'filed' THEN 1 WHEN 'dispatched' THEN 2
                   WHEN 'handling' THEN 3 WHEN 'handled' THEN CASE WHEN c.feedback_at IS NULL THEN 4 ELSE 5 END
                   WHEN 'verified' THEN 6 WHEN 'closed' THEN 7 WHEN 'evaluated' THEN 8 ELSE 0 END
WHERE c.reference LIKE 'BN-%'
UNION ALL
SELECT c.id, 'reject', 'reported', 'rejected', NULL::int, '不属于受理范围', c.reported_at + interval '1 hour'
FROM cases c WHERE c.reference LIKE 'BN-%' AND c.status = 'rejected'
"""


def ensure_marker(sql) -> set[str]:
    sql(text(f"CREATE TABLE IF NOT EXISTS {MARKER} (stage varchar(40) PRIMARY KEY, seconds float NOT NULL, "
             "done_at timestamptz NOT NULL DEFAULT now())"))
    return set(sql(text(f"SELECT stage FROM {MARKER}")).scalars())


def run_stage(app, name: str, statements: str | list[str]) -> None:
    """One transaction: the stage's statements and its marker row (so a stage is all there or not at all)."""
    from portal.extensions import db

    with app.app_context():
        sql = db.session.execute
        if name in ensure_marker(sql):
            print(f"  {name:<14} (seeded before)", flush=True)
            db.session.commit()
            return
        started = time.perf_counter()
        cursor = db.session.connection().connection.driver_connection.cursor()  # no placeholders parsed
        for block in ([statements] if isinstance(statements, str) else statements):
            for statement in (part.strip() for part in block.split(";\n")):
                if statement and not all(line.strip().startswith("--") for line in statement.splitlines()):
                    # a stage's helper tables go with its transaction
                    cursor.execute(re.sub(r"^CREATE TEMP TABLE (\w+) AS", r"CREATE TEMP TABLE \1 ON COMMIT DROP AS",
                                          statement))
        seconds = time.perf_counter() - started
        sql(text(f"INSERT INTO {MARKER} (stage, seconds) VALUES (:stage, :seconds)"),
            {"stage": name, "seconds": seconds})
        db.session.commit()
        print(f"  {name:<14} {seconds:7.1f} s", flush=True)


def run_demo(app) -> None:
    from portal.extensions import db

    with app.app_context():
        if "demo" in ensure_marker(db.session.execute):
            db.session.commit()
            print("  demo           (seeded before)", flush=True)
            return
        db.session.commit()
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["demo"])
    if result.exit_code != 0:
        print(result.output[-3000:])
        raise SystemExit(f"the demo failed: {result.exception!r}")
    seconds = time.perf_counter() - started
    with app.app_context():
        db.session.execute(text(f"INSERT INTO {MARKER} (stage, seconds) VALUES ('demo', :seconds)"),
                           {"seconds": seconds})
        db.session.commit()
    print(f"  demo           {seconds:7.1f} s", flush=True)


def seed(app, gifts: int) -> None:
    from portal.extensions import db

    with app.app_context():
        before = len(ensure_marker(db.session.execute))
        db.session.commit()
    seeded = bench_payments.seed(app, gifts)
    print(f"  gifts          {seeded['seconds']:7.1f} s" + (" (seeded before)" if seeded["reused"] else ""),
          flush=True)
    run_demo(app)
    run_stage(app, "organisations", ORGANISATIONS)
    run_stage(app, "projects", PROJECTS)
    run_stage(app, "procurement", PROCUREMENT)
    run_stage(app, "cases", CASES)
    with app.app_context():
        if len(ensure_marker(db.session.execute)) > before or not seeded["reused"]:  # fresh rows: fresh statistics
            db.session.commit()
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                started = time.perf_counter()
                connection.execute(text("VACUUM ANALYZE"))
                print(f"  vacuum analyze {time.perf_counter() - started:7.1f} s", flush=True)
        counts = db.session.execute(text(
            "SELECT (SELECT count(*) FROM donations), (SELECT count(*) FROM indicator_reports), "
            "(SELECT count(*) FROM calls), (SELECT count(*) FROM bids), (SELECT count(*) FROM awards), "
            "(SELECT count(*) FROM contracts), (SELECT count(*) FROM cases), (SELECT count(*) FROM case_events)")).one()
    print("  rows: {:,} gifts, {:,} indicator reports, {:,} calls, {:,} bids, {:,} awards, {:,} contracts, "
          "{:,} cases, {:,} case events".format(*counts), flush=True)


def uptime() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def targets(app) -> dict:
    """The ids the pages are measured with: a district, a grid with cases, the organisation with the most
    contracts, the hot fund."""
    from portal.extensions import db

    with app.app_context():
        sql = db.session.execute
        return {
            "district": sql(text("SELECT id FROM places WHERE kind = 'district' ORDER BY code LIMIT 1")).scalar(),
            "grid": sql(text("SELECT place_id FROM cases GROUP BY place_id ORDER BY count(*) DESC, place_id "
                             "LIMIT 1")).scalar(),
            "organisation": sql(text("SELECT organisation_id FROM contracts GROUP BY organisation_id "
                                     "ORDER BY count(*) DESC, organisation_id LIMIT 1")).scalar(),
            "fund": sql(text("SELECT fund_id FROM donations GROUP BY fund_id ORDER BY count(*) DESC LIMIT 1")).scalar(),
        }


def snapshot_views(ids: dict) -> list[tuple[str, dict]]:
    """(registered name, params) of every stored view the measured pages read."""
    return [("outcomes.attainment", {}), ("outcomes.attainment", {"place": ids["district"]}),
            ("contractors.performance", {}), ("redflags.flags", {}), ("funds.transparency", {}),
            ("profile.place", {}), ("profile.place", {"place": ids["grid"]})]


def pages_of(ids: dict) -> list[tuple[str, str, str | None]]:
    """(label, portal path, the bare app's path of the same shape)."""
    def bare(name, params=None):
        from urllib.parse import quote

        from portal.insights.snapshots import canonical
        return f"/snapshot/{name}?params={quote(canonical(params))}"

    return [
        ("index", "/insights/", bare("funds.transparency")),
        ("outcomes", "/insights/outcomes", bare("outcomes.attainment")),
        ("outcomes district", f"/insights/outcomes?place={ids['district']}",
         bare("outcomes.attainment", {"place": ids["district"]})),
        ("contractors", "/insights/contractors", bare("contractors.performance")),
        ("contractor", f"/insights/contractors/{ids['organisation']}", bare("contractors.performance")),
        ("red flags", "/insights/red-flags", bare("redflags.flags")),
        ("funds", "/insights/funds", bare("funds.transparency")),
        ("fund", f"/insights/funds/{ids['fund']}", bare("funds.transparency")),
        ("profile grid", f"/insights/profile?place={ids['grid']}", bare("profile.place", {"place": ids["grid"]})),
        ("case board", "/cases/board", bare("profile.place")),
    ]


def cold(app, ids: dict, profile_name: str | None, only: set | None = None) -> None:
    """Each stored view computed from scratch in process (what the worker pays every refresh, and the first
    visitor of a view nobody asked for yet): seconds, SQL statements, payload size."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from portal.extensions import db
    from portal.insights import snapshots

    print(f"cold computation (load {uptime()}):", flush=True)
    for name, params in snapshot_views(ids):
        if only and name not in only:
            continue
        with app.test_request_context("/"):
            statements = []
            listener = lambda *args, found=statements: found.append(1)  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            profiler = cProfile.Profile() if name == profile_name else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            row = snapshots.compute_and_store(name, params)
            if profiler:
                profiler.disable()
            seconds = time.perf_counter() - started
            event.remove(db.engine, "before_cursor_execute", listener)
            size = len(json.dumps(row.payload, default=str))
            db.session.commit()
        print(f"  {name:<24} {snapshots.canonical(params):<16} {seconds:7.2f} s  {len(statements):6d} statements  "
              f"{size / 1024:8.0f} KiB stored  (load {uptime()})", flush=True)
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def latency(port: int, path: str, seconds: float) -> dict:
    """One visitor's requests, back to back on a keep-alive connection, for `seconds`: p50, p95, statuses."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    latencies, statuses, started = [], set(), time.perf_counter()
    while time.perf_counter() - started < seconds or len(latencies) < 5:
        begin = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Language": "zh-CN"})
        response = connection.getresponse()
        response.read()
        latencies.append(1000 * (time.perf_counter() - begin))
        statuses.add(response.status)
    connection.close()
    ordered = sorted(latencies)
    return {"p50": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "count": len(ordered), "statuses": sorted(statuses)}


def pages(app, ids: dict, args, database_url: str) -> None:
    """Every dashboard page over HTTP (gunicorn, as side_by_side.py starts it) from its stored snapshot, then the
    bare app's endpoint of the same shape, one after the other, each round."""
    import side_by_side

    from portal.extensions import db
    from portal.insights import snapshots

    with app.test_request_context("/"):  # every view fresh, so no page computes one
        for name, params in snapshot_views(ids):
            snapshots.read(name, params)
        db.session.commit()
    env = {"BENCH_DATABASE_URL": database_url, "BENCH_STRIPE_API": "http://127.0.0.1:9"}
    options = argparse.Namespace(workers=args.workers, threads=args.threads)
    portal = side_by_side.start("portal", "portal_wsgi:app", args.port, env, options)
    bare = side_by_side.start("bare app", "bare_app:app", args.port + 900, env, options)
    results: dict[str, list] = {}
    try:
        for _label, portal_path, bare_path in pages_of(ids):  # warm-up: templates compiled, pools filled
            latency(args.port, portal_path, 0.5)
            latency(args.port + 900, bare_path, 0.5)
        for round_number in range(1, args.rounds + 1):
            for label, portal_path, bare_path in pages_of(ids):
                mine = latency(args.port, portal_path, args.seconds)
                theirs = latency(args.port + 900, bare_path, args.seconds)
                results.setdefault(label, []).append((mine, theirs))
                print(f"round {round_number} {label:<18} portal p50 {mine['p50']:7.1f} ms p95 {mine['p95']:7.1f} ms "
                      f"({mine['count']} req, {mine['statuses']})  bare p50 {theirs['p50']:6.1f} ms p95 "
                      f"{theirs['p95']:6.1f} ms  ratio {mine['p50'] / theirs['p50']:5.1f}x  (load {uptime()})",
                      flush=True)
    finally:
        side_by_side.stop(portal)
        side_by_side.stop(bare)
    print("\nmedian of the rounds (portal p50 / p95, bare p50, portal/bare p50):")
    for label, runs in results.items():
        print(f"  {label:<18} {statistics.median(m['p50'] for m, _ in runs):7.1f} / "
              f"{statistics.median(m['p95'] for m, _ in runs):7.1f} ms   bare "
              f"{statistics.median(t['p50'] for _, t in runs):6.1f} ms   "
              f"{statistics.median(m['p50'] / t['p50'] for m, t in runs):5.1f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="bench")
    parser.add_argument("--gifts", type=int, default=1_000_000)
    parser.add_argument("--seed-only", action="store_true")
    parser.add_argument("--cold", action="store_true", help="time each stored view's computation")
    parser.add_argument("--profile", help="cProfile this snapshot name's cold computation")
    parser.add_argument("--only", help="comma-separated snapshot names to compute (with --cold)")
    parser.add_argument("--pages", action="store_true", help="time every page over HTTP against the bare app")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and server in each round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=5014, help="the portal's port; the bare app's is +900")
    args = parser.parse_args()
    if args.database == "test":
        sys.exit("the benchmark never touches the `test` database other engineers use")
    bench_payments.ensure_database(args.admin_url, args.database, reset=False)
    database_url = (args.admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/"
                    + args.database)
    app = bench_payments.make_app(database_url, "http://127.0.0.1:9")
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    print(f"seeding {args.database} (load {uptime()}):", flush=True)
    seed(app, args.gifts)
    if args.seed_only:
        return
    ids = targets(app)
    print(f"measured with {ids}", flush=True)
    if args.cold or args.profile:
        cold(app, ids, args.profile, set(args.only.split(",")) if args.only else None)
    if args.pages:
        pages(app, ids, args, database_url)


if __name__ == "__main__":
    main()
