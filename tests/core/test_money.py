"""Parsing amounts typed by people: yuan text to integer fen, refusing what makes no sense."""
import pytest

from portal.core.errors import ValidationFailed
from portal.core.money import check_amount_minor, check_currency, parse_amount


@pytest.mark.parametrize("text,fen", [("50", 5000), ("12.5", 1250), ("0.01", 1), ("1,000.10", 100010),
                                      (" ¥8 ", 800)])
def test_amounts_in_yuan_become_fen(text, fen):
    assert parse_amount(text) == fen


@pytest.mark.parametrize("text", ["", "0", "0.00", "-5", "1.234", "abc", "1e3", "99999999999"])
def test_bad_amounts_are_refused_with_the_field_named(text):
    with pytest.raises(ValidationFailed) as caught:
        parse_amount(text, field="gift")
    assert caught.value.field == "gift"


@pytest.mark.parametrize("value", [0, -1, 1.5, "100", True, 10**12])
def test_minor_amounts_must_be_positive_whole_fen(value):
    with pytest.raises(ValidationFailed):
        check_amount_minor(value)


def test_only_yuan_is_accepted():
    assert check_currency("cny") == "CNY"
    with pytest.raises(ValidationFailed):
        check_currency("USD")


def test_the_money_and_number_filters_group_thousands_as_babel_does_in_both_languages(app):
    from flask_babel import force_locale, format_decimal

    from portal.core.formatting import money, number

    with app.test_request_context():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                assert money(123456789) == f"¥{format_decimal(1234567, format='#,##0')}.89" == "¥1,234,567.89"
                assert money(-5) == "-¥0.05"
                assert number(1234567) == format_decimal(1234567) == "1,234,567"
                assert number(None) == "0"


def test_the_date_filter_formats_as_flask_babel_does_in_the_portals_time_zone(app):
    from datetime import UTC, date, datetime

    from flask_babel import force_locale, format_date

    from portal.core.formatting import local_date

    moments = [datetime(2026, 12, 6, 16, 30, tzinfo=UTC),  # already the 7th in Asia/Shanghai
               datetime(2026, 12, 6, 15, 59), date(2026, 1, 31), None]
    with app.test_request_context():
        for locale in ("zh_CN", "en"):
            with force_locale(locale):
                for moment in moments:
                    for style in ("medium", "short", "long"):
                        expected = "—" if moment is None else format_date(moment, style)
                        assert local_date(moment, style) == expected
        with force_locale("en"):
            assert local_date(datetime(2026, 12, 6, 16, 30, tzinfo=UTC)) == "Dec 7, 2026"
