"""Coming back from Stripe, and Stripe's webhook."""

import logging

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .. import stripe_api
from ..booking import remember_order, reservation_remember
from ..models import Order, Reservation
from ..services import (
    Actor,
    checkout_abandon,
    checkout_session_sync,
    stripe_event_process,
)
from ..services.errors import BookingError
from ..services.reservations import reservation_again
from .manage import order_for_link

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def payment_return(request, reference, secret):
    """Where Stripe sends the buyer after paying. If the webhook has not
    arrived yet, ask Stripe ourselves, so a buyer who has paid is never told
    otherwise."""
    order = order_for_link(reference, secret)
    if order.status == Order.Status.PENDING and order.stripe_session_id:
        try:
            session = stripe_api.checkout_session_retrieve(order.stripe_session_id)
        except stripe_api.StripeError as exc:
            logger.warning("Could not fetch %s: %s", order.stripe_session_id, exc)
        else:
            checkout_session_sync(
                order_id=order.pk, session=session, actor=Actor.stripe()
            )
        order.refresh_from_db()
    remember_order(request.session, order.reference)
    if order.status == Order.Status.CONFIRMED:
        return redirect("tickets:confirmation", reference=order.reference)
    if order.payment_status == Order.PaymentStatus.PAID:
        # Paid after the hold ended and the places had gone: being refunded.
        return redirect("tickets:confirmation", reference=order.reference)
    return render(
        request,
        "tickets/payment_waiting.html",
        {
            "order": order,
            "event": order.event,
            "pending": order.status == Order.Status.PENDING,
            "check_url": request.get_full_path(),
            "choose_url": reverse("tickets:choose", args=[order.event.slug]),
        },
    )


@never_cache
@require_GET
def payment_cancel(request, reference, secret):
    """The buyer left Stripe's page without paying: let the places go and
    take them back to check their answers (their details are kept)."""
    order = order_for_link(reference, secret)
    if checkout_abandon(order_id=order.pk):
        messages.info(
            request,
            _(
                "You have not paid, so your places have not been booked. "
                "You can try again or choose another way to pay."
            ),
        )
    order.refresh_from_db()
    if order.status == Order.Status.PENDING:
        # Stripe could not be reached to close the payment page: the hold
        # simply runs out unless the buyer pays.
        return redirect("tickets:payment_return", reference=reference, secret=secret)
    return _book_again(request, order)


def _book_again(request, order):
    """Reserve the same places again with the answers given, so the buyer
    who left Stripe's page can pay another way without typing it all again;
    if the places have gone meanwhile, say so on the first step."""
    previous = Reservation.objects.filter(order=order).first()
    if previous is None:
        return redirect("tickets:choose", slug=order.event.slug)
    try:
        again = reservation_again(reservation=previous)
    except BookingError as exc:
        messages.error(request, exc.message)
        return redirect("tickets:choose", slug=order.event.slug)
    reservation_remember(request.session, again)
    return redirect("tickets:check", slug=order.event.slug)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe_api.webhook_event_construct(request.body, signature)
    except stripe_api.SignatureError:
        logger.warning("Stripe webhook refused: bad signature")
        return HttpResponseBadRequest("Bad signature")
    except ValueError as exc:
        logger.warning("Stripe webhook refused: signed, but %s", exc)
        return HttpResponseBadRequest("Not a Stripe event we understand")
    try:
        outcome = stripe_event_process(event=event)
    except stripe_api.StripeError:
        logger.warning("Stripe event %s failed; Stripe will retry", event.get("id"))
        return HttpResponse("Try again later", status=503)
    except (KeyError, TypeError):
        return HttpResponseBadRequest("Not a Stripe event we understand")
    return JsonResponse({"received": True, "outcome": str(outcome)})
