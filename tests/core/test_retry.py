"""portal.core.retry: a unit of work is run again on a deadlock or serialization failure, and only then."""
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.core import retry


class _DriverError(Exception):
    """What psycopg raises, as far as the helper looks at it: an exception with a SQLSTATE."""

    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failing(times: int, sqlstate: str, calls: list, error_class=OperationalError):
    def work(value):
        calls.append(value)
        if len(calls) <= times:
            raise error_class("UPDATE funds ...", {}, _DriverError(sqlstate))
        return value * 2

    return work


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_or_serialization_failure_is_retried_until_it_succeeds(sqlstate):
    calls = []
    assert retry.run_with_retry(_failing(2, sqlstate, calls), 21, base_delay=0) == 42
    assert calls == [21, 21, 21]


def test_retries_are_bounded_and_the_last_error_is_raised():
    calls = []
    with pytest.raises(OperationalError):
        retry.run_with_retry(_failing(10, "40P01", calls), 1, attempts=3, base_delay=0)
    assert len(calls) == 3


def test_other_database_errors_are_not_retried():
    calls = []
    with pytest.raises(IntegrityError):
        retry.run_with_retry(_failing(1, "23505", calls, IntegrityError), 1, base_delay=0)
    assert calls == [1]


def test_the_decorator_keeps_the_name_and_retries():
    calls = []

    @retry.retrying(base_delay=0)
    def pay(value):
        return _failing(1, "40P01", calls)(value)

    assert pay.__name__ == "pay"
    assert pay(5) == 10 and calls == [5, 5]
