"""Sliding-window rate limits and their Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkplus.remote.limits import Limit, judge, judge_all

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=60)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def test_under_the_limit_is_allowed() -> None:
    limit = Limit("vehicle", 3, MINUTE)
    assert judge(limit, [ago(10), ago(20)], now=NOW).allowed


def test_at_the_limit_waits_for_the_oldest_to_leave() -> None:
    limit = Limit("vehicle", 3, MINUTE)
    verdict = judge(limit, [ago(10), ago(20), ago(45)], now=NOW)
    assert not verdict.allowed
    assert verdict.scope == "vehicle"
    assert verdict.retry_after == 15


def test_old_commands_do_not_count() -> None:
    limit = Limit("vehicle", 2, MINUTE)
    assert judge(limit, [ago(60), ago(61), ago(3600), ago(5)], now=NOW).allowed


def test_retry_after_is_whole_seconds_and_at_least_one() -> None:
    limit = Limit("vehicle", 1, MINUTE)
    assert judge(limit, [ago(59.9)], now=NOW).retry_after == 1
    assert judge(limit, [ago(30.5)], now=NOW).retry_after == 30


def test_over_the_limit_waits_until_enough_have_left() -> None:
    limit = Limit("account", 2, MINUTE)
    verdict = judge(limit, [ago(1), ago(2), ago(50)], now=NOW)
    assert verdict.retry_after == 58  # the 2 s old one must leave, not the 50 s old one


def test_the_strictest_of_several_limits_wins() -> None:
    vehicle = Limit("vehicle", 1, MINUTE)
    account = Limit("account", 1, MINUTE)
    verdict = judge_all([(vehicle, [ago(50)]), (account, [ago(5)])], now=NOW)
    assert verdict.scope == "account"
    assert verdict.retry_after == 55
    assert judge_all([(vehicle, []), (account, [])], now=NOW).allowed
