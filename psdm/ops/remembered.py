"""Answers remembered for a short while in the default cache, where a cache
outage must never stop the site: without a working cache the answer is
worked out every time, and forgetting fails quietly (the answer then runs
out by itself). Each user says what it remembers for how long, and which
change forgets it."""

import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

log = logging.getLogger(__name__)


def remembered(
    key: str,
    seconds: int,
    compute: Callable[[], Any],
    *,
    keep: Callable[[Any], bool] = lambda value: value is not None,
    what: str = "cache",
) -> Any:
    """The answer kept under `key`, or compute()'s, then kept for `seconds`
    if keep(answer). `what` names the user in the log."""
    try:
        value = cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not stop anything
        log.exception("%s: cache unavailable", what)
        return compute()
    if value is None:
        value = compute()
        if keep(value):
            try:
                cache.set(key, value, seconds)
            except Exception:  # noqa: BLE001
                log.exception("%s: cache unavailable", what)
    return value


def forget(keys: list[str], *, what: str = "cache") -> None:
    """Forget the answers kept under `keys`."""
    try:
        cache.delete_many(keys)
    except Exception:  # noqa: BLE001 - then they run out by themselves
        log.exception("%s: cache unavailable", what)
