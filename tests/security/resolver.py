"""Every URL pattern the site answers, from Django's resolver, and how to
turn one into a path to request with the objects of tests/security/world.py."""

import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django_otp.plugins.otp_totp.models import TOTPDevice

from events.models import Event
from tickets.models import BadgeSheet

from .world import MEDIA_FILE, World

# The admin's app index lists the apps by name in its pattern.
APP_LIST = re.compile(r"\(\?P<app_label>[^)]*\)")


@dataclass
class Pattern:
    route: str
    name: str | None
    callback: object
    default_args: dict = field(default_factory=dict)


def url_patterns() -> list[Pattern]:
    """Every URL pattern the site answers, with its route joined up."""
    found = []

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = (
                        f"{namespace}:{entry.namespace}"
                        if namespace
                        else entry.namespace
                    )
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                name = entry.name and (
                    f"{namespace}:{entry.name}" if namespace else entry.name
                )
                route = APP_LIST.sub("(?P<app_label>...)", prefix + str(entry.pattern))
                found.append(Pattern(route, name, entry.callback, entry.default_args))

    walk(get_resolver(), "", None)
    return found


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _object_id(world: World, route: str) -> int:
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    if match is None:  # the admin's view-on-site shortcut
        return world.event.pk
    app_label, model_name = match.groups()
    if (app_label, model_name) == ("tickets", "order"):
        return world.order.pk
    model = ContentType.objects.get_by_natural_key(app_label, model_name).model_class()
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"tests/security/world.py makes no {model_name}"
    return obj.pk


def fill(world: World, route: str, role: str) -> str:
    """The route as a path, its parameters taken from the world."""
    link = world.link(role)
    values = {
        "slug": world.event.slug,
        "speaker": "ada",
        "number": 1,
        "reference": link["reference"],
        "secret": link["secret"],
        "token": link["token"],
        "ticket_id": world.ticket.pk,
        "sheet_id": BadgeSheet.objects.get().pk,
        "content_type_id": ContentType.objects.get_for_model(Event).pk,
        "id": world.users["user"].pk,
        "pk": TOTPDevice.objects.order_by("pk").first().pk,
        "app_label": "tickets",
        "url": "no-such-page/",
        "path": MEDIA_FILE,
    }

    def value(match):
        name = match.group(1) or match.group(2)
        if name == "object_id":
            return str(_object_id(world, route))
        return str(values[name])

    return "/" + _PARAM.sub(value, route).replace("^", "").replace("$", "")
