"""Answers remembered in the cache: worked out once, kept only when asked,
and worked out every time (never an error) when the cache is down."""

import pytest
from django.core.cache import cache

from psdm.ops.remembered import forget, remembered


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def counting(answer):
    calls = []

    def compute():
        calls.append(1)
        return answer

    return compute, calls


def test_an_answer_is_worked_out_once_then_remembered():
    compute, calls = counting(42)
    assert remembered("k", 60, compute) == 42
    assert remembered("k", 60, compute) == 42
    assert len(calls) == 1
    forget(["k"])
    assert remembered("k", 60, compute) == 42
    assert len(calls) == 2


def test_only_answers_that_keep_are_remembered():
    compute, calls = counting(False)
    assert remembered("k", 60, compute, keep=bool) is False
    assert remembered("k", 60, compute, keep=bool) is False
    assert len(calls) == 2
    none, none_calls = counting(None)  # by default None is not kept
    remembered("n", 60, none)
    remembered("n", 60, none)
    assert len(none_calls) == 2


def test_a_cache_outage_works_it_out_every_time(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    for method in ("get", "set", "delete_many"):
        monkeypatch.setattr(cache, method, broken)
    compute, calls = counting("yes")
    assert remembered("k", 60, compute, what="door") == "yes"
    assert remembered("k", 60, compute, what="door") == "yes"
    assert len(calls) == 2
    forget(["k"], what="door")  # quietly
    assert "door: cache unavailable" in caplog.text


def test_a_cache_that_cannot_store_still_answers(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is read only")

    monkeypatch.setattr(cache, "set", broken)
    compute, calls = counting(7)
    assert remembered("k", 60, compute) == 7
    assert len(calls) == 1
    assert "cache: cache unavailable" in caplog.text
