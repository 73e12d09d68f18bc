"""The "Move to another ticket type" action on the list of places: choose a
type of the same event on a confirmation page, then each place moves
through `tickets.services.moves.ticket_move`."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..models import Ticket, TicketType
from ..money import format_pence
from ..services import Actor, BookingError
from ..services.moves import ticket_move
from .common import _confirmed


def _room(ticket_type: TicketType) -> str:
    if ticket_type.quota is None:
        return gettext("shares the event's places")
    left = max(ticket_type.quota - ticket_type.places_taken, 0)
    if not left:
        return gettext("full (%(quota)d places)") % {"quota": ticket_type.quota}
    return ngettext(
        "%(left)d of %(quota)d place left",
        "%(left)d of %(quota)d places left",
        left,
    ) % {"left": left, "quota": ticket_type.quota}


class MoveTicketTypeAction:
    @admin.action(
        description=_("Move the selected places to another ticket type"),
        permissions=["change_order"],
    )
    def move_places(self, request, queryset):
        places = list(
            queryset.select_related("order", "ticket_type").order_by(
                "last_name", "first_name", "pk"
            )
        )
        if len({place.event_id for place in places}) != 1:
            self.message_user(
                request,
                gettext("Choose places of one event only."),
                messages.ERROR,
            )
            return None
        chosen = request.POST.get("ticket_type", "")
        if _confirmed(request) and chosen.isdigit():
            self._move(request, places, int(chosen))
            return None
        return self._move_page(
            request,
            places,
            error=gettext("Choose a ticket type.")
            if chosen or _confirmed(request)
            else "",
        )

    def _move(self, request, places: list[Ticket], ticket_type_id: int) -> None:
        actor = Actor.user(request.user)
        moved, refused = [], []
        for place in places:
            try:
                ticket_move(
                    ticket_id=place.pk, ticket_type_id=ticket_type_id, actor=actor
                )
            except BookingError as exc:
                refused.append(f"{place.full_name}: {exc.message}")
            else:
                moved.append(place.full_name)
        if moved:
            target = TicketType.objects.get(pk=ticket_type_id)
            self.message_user(
                request,
                ngettext(
                    "Moved %(count)d place to %(type)s: %(names)s.",
                    "Moved %(count)d places to %(type)s: %(names)s.",
                    len(moved),
                )
                % {"count": len(moved), "type": target.name, "names": ", ".join(moved)},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(count)d place was not moved: %(reasons)s",
                    "%(count)d places were not moved: %(reasons)s",
                    len(refused),
                )
                % {"count": len(refused), "reasons": " ".join(refused)},
                messages.WARNING,
            )

    def _move_page(self, request, places: list[Ticket], error: str = ""):
        for place in places:
            place.price = format_pence(place.price_pence, place.order.currency)
            place.warning = (
                ""
                if place.status == Ticket.Status.CONFIRMED
                else gettext("Not confirmed, so it will not move.")
            )
        choices = list(TicketType.objects.filter(event_id=places[0].event_id))
        for choice in choices:
            choice.price = format_pence(choice.price_pence, choice.currency)
            choice.room = _room(choice)
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/tickets/ticket/move.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Move places to another ticket type"),
                "places": places,
                "choices": choices,
                "selected": [str(place.pk) for place in places],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "back_url": request.get_full_path(),
                "error": error,
            },
        )
