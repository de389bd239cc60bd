"""CSV and XLSX exports of the public tables: exact amounts, formula injection defused, XLSX read back."""
import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.opendata import exports
from tests.opendata.world import SEALED_PRICE, OpenDataWorld


@pytest.fixture
def world(app):
    return OpenDataWorld()


def _csv(client, table):
    response = client.get(f"/opendata/{table}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _xlsx(client, table):
    response = client.get(f"/opendata/{table}.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()))[table]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("table", exports.TABLES)
def test_each_table_reads_back_from_xlsx_as_from_csv(client, world, table):
    from_csv, from_xlsx = _csv(client, table), _xlsx(client, table)
    assert from_csv[0] == list(exports.COLUMNS[table]) == from_xlsx[0]
    assert len(from_csv) == len(from_xlsx) > 1
    as_text = [["" if cell is None else str(cell) for cell in row] for row in from_xlsx]
    numeric = {i for i, name in enumerate(exports.COLUMNS[table]) if name in (
        "budget_cap", "amount", "original_value", "value", "paid", "total_score", "lot_number",
        "number_of_tenderers")}
    for csv_row, xlsx_row in zip(from_csv[1:], as_text[1:], strict=True):
        for i, (a, b) in enumerate(zip(csv_row, xlsx_row, strict=True)):
            assert (Decimal(a) == Decimal(b)) if i in numeric and a else a == b, (table, i, a, b)


def test_money_is_exported_in_yuan_exactly(client, world):
    header, *rows = _csv(client, "awards")
    row = dict(zip(header, rows[0], strict=True))
    assert row["amount"] == "200000.05" and row["currency"] == "CNY"
    header, *rows = _xlsx(client, "payments")
    assert dict(zip(header, rows[0], strict=True))["amount"] == 60000.01


def test_a_sealed_price_is_in_no_table(client, world):
    for table in exports.TABLES:
        text = client.get(f"/opendata/{table}.csv").get_data(as_text=True)
        assert str(SEALED_PRICE) not in text and "123456.79" not in text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_run_as_a_formula_is_quoted(client, world, start):
    world.done.title = f"{start}HYPERLINK(\"http://evil.example\",\"x\")"
    world.sealed.title = "=1+1"
    header, *rows = _csv(client, "calls")
    titles = [dict(zip(header, row, strict=True))["title"] for row in rows]
    assert f"'{start}HYPERLINK(\"http://evil.example\",\"x\")" in titles and "'=1+1" in titles
    header, *rows = _xlsx(client, "calls")
    titles = [dict(zip(header, row, strict=True))["title"] for row in rows]
    assert "'=1+1" in titles


def test_an_unknown_table_is_not_found(client, world):
    assert client.get("/opendata/bids.csv").status_code == 404
    assert client.get("/opendata/users.xlsx").status_code == 404
