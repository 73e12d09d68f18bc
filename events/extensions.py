"""Let other apps add to the event page without events importing them.

tickets and sponsors depend on events, never the reverse, so they register
a context provider here from their AppConfig.ready().
"""

from collections.abc import Callable

_providers: list[Callable] = []


def register_event_context(provider: Callable) -> None:
    """Add a function (event) -> dict whose result joins the page's context."""
    if provider not in _providers:
        _providers.append(provider)


def event_context(event) -> dict:
    """Return the context every registered app adds to the event page."""
    context: dict = {}
    for provider in _providers:
        context.update(provider(event))
    return context


_places_added: list[Callable] = []


def register_places_added(callback: Callable) -> None:
    """Add a function (*, event_id) called when an event may have places
    free that nobody has been offered (its capacity or booking dates were
    changed). tickets uses it to offer them to the waiting list."""
    if callback not in _places_added:
        _places_added.append(callback)


def places_added(*, event_id: int) -> None:
    """Run every registered callback, in the caller's transaction."""
    for callback in _places_added:
        callback(event_id=event_id)
