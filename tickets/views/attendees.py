"""Who's coming: the attendee list, for people with a place at the event.

Reached only through a manage-my-booking link whose booking still holds a
confirmed place; it shows the name and organisation of each attendee who
agreed to be listed (tickets.consents.ATTENDEE_LIST), and nothing else."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..consents import ATTENDEE_LIST
from ..selectors import event_attendee_list
from .manage import order_for_link, order_holds_a_place


@never_cache
@require_GET
def attendee_list(request, reference, secret):
    order = order_for_link(reference, secret)
    if not order_holds_a_place(order):
        # The link is right, so say why rather than pretend it is wrong.
        messages.error(
            request,
            _("The attendee list is only for people with a place at this event."),
        )
        return redirect(order)
    attendees = event_attendee_list(event=order.event)
    return render(
        request,
        "tickets/attendee_list.html",
        {
            "order": order,
            "event": order.event,
            "attendees": attendees,
            "consent_wording": ATTENDEE_LIST.wording,
            "can_change": order.event.allows_changes(),
            "back_url": order.get_absolute_url(),
        },
    )
