"""The per-item deadline: from a Lambda context's remaining time, the earliest of several, checks that
raise the typed ``ItemTimeoutError`` naming the limit."""

from __future__ import annotations

import pytest
from receiptflow.deadline import Deadline, current_deadline, deadline_scope, earliest, lambda_deadline
from receiptflow.errors import ItemTimeoutError
from receiptflow.settings import Settings


class Remaining:
    """The one method of a Lambda context the deadline reads."""

    def __init__(self, millis: int) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


def test_a_lambda_deadline_is_the_remaining_time_less_the_margin() -> None:
    deadline = lambda_deadline(Remaining(60_000), margin_seconds=5)
    assert 54 < deadline.remaining() <= 55
    assert "remaining 60 s less a 5 s margin" in deadline.limit
    deadline.check("decoding")  # time is left: no error


def test_less_time_than_the_margin_has_already_run_out() -> None:
    deadline = lambda_deadline(Remaining(4_000), margin_seconds=Settings().lambda_deadline_margin_seconds)
    assert deadline.expired()
    with pytest.raises(ItemTimeoutError, match=r"^time limit: .* before page 2 was rendered$") as raised:
        deadline.check("page 2 was rendered")
    assert raised.value.code == "resource_limit" and not raised.value.retryable


def test_the_earliest_deadline_wins_and_the_scope_sets_the_current_one() -> None:
    soon, later = Deadline.after(1), Deadline.after(100)
    assert earliest(None, later, soon) is soon and earliest(None, None) is None
    assert soon.limit == "time limit 1 s"
    assert current_deadline() is None
    with deadline_scope(later):
        assert current_deadline() is later
        with deadline_scope(soon):
            assert current_deadline() is soon
        assert current_deadline() is later
    assert current_deadline() is None
