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
