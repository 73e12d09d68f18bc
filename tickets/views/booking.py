"""The booking flow: choose places (they are reserved there), your details,
attendees, payment, check, confirm."""

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from events.selectors import event_get_published
from psdm.ops.remembered import remembered

from ..booking import (
    BookingDraft,
    browser_key,
    may_see_order,
    pending_code,
    pending_code_set,
    pending_offer,
    remember_order,
    reservation_for,
    reservation_forget,
    reservation_remember,
)
from ..forms import (
    AttendeeForm,
    BuyerForm,
    ChoosePlacesForm,
    CodeForm,
    InvoiceDetailsForm,
    PaymentMethodForm,
    SelfAttendeeForm,
)
from ..models import Order, Reservation
from ..selectors import (
    AVAILABILITY_CACHE_SECONDS,
    availability_cached,
    event_availability,
    order_with_tickets,
)
from ..services import (
    BookingBusy,
    BookingError,
    PaymentStartFailed,
    SoldOut,
    checkout_start,
)
from ..services.codes import (
    CodeError,
    booking_quote,
    code_availability,
    code_check_places,
    code_describe,
    code_find,
    code_for_draft,
)
from ..services.reservations import (
    reservation_again,
    reservation_answers_save,
    reservation_confirm,
    reservation_create,
    reservation_release,
)
from ..services.waitlist import offer_find, offer_reserved_places
from ..stripe_api import card_payments_available

SOMEONE_ELSE = "someone-else"
MYSELF = "me"


@require_GET
def availability_json(request, slug):
    """The places left, for the event page's counter. Polled by everyone
    with the page open, so served from the cache without touching the
    database; it is at most AVAILABILITY_CACHE_SECONDS old."""
    body = remembered(
        f"availability.json:{slug}",
        AVAILABILITY_CACHE_SECONDS,
        lambda: _availability_body(slug),
        what="availability.json",
    )
    if body is None:
        raise Http404
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = f"public, max-age={AVAILABILITY_CACHE_SECONDS}"
    return response


def _availability_body(slug) -> bytes | None:
    try:
        event = event_get_published(slug=slug)
    except Http404:
        return None
    return json.dumps(availability_cached(event).as_json()).encode()


def _posted(request):
    """Form data to bind, even when a POST arrives empty (so errors show)."""
    return request.POST if request.method == "POST" else None


def _step_url(name, event, **kwargs):
    return reverse(f"tickets:{name}", kwargs={"slug": event.slug, **kwargs})


def _code_prices(availability, code) -> dict[int, int]:
    """Return ticket type id -> price each with the code, where it applies."""
    if code is None:
        return {}
    types = {
        item.ticket_type.pk: item.ticket_type for item in availability.ticket_types
    }
    quote = booking_quote(
        ticket_types=types, quantities=dict.fromkeys(types, 1), code=code
    )
    return {
        line.ticket_type.pk: line.price_pence for line in quote.lines if line.with_code
    }


def _code_context(code_text, code, problem, code_form) -> dict:
    return {
        "code": code,
        "code_problem": problem,
        "code_summary": code_describe(code) if code else "",
        "code_form": code_form if code_form is not None else CodeForm(),
        "code_open": code_form is not None or bool(code_text),
        "draft_code": code_text,
    }


def _live(reservation, now=None) -> Reservation | None:
    return reservation if reservation and reservation.is_live(now) else None


# -- step 1: choose places, which reserves them ----------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def choose_places(request, slug, code_form=None):
    event = event_get_published(slug=slug)
    reservation = reservation_for(request.session, event)
    if code_form is None and _first_visit(request, event, reservation):
        if request.method == "GET":
            return _choose_page_for_everyone(request, event)
        # The rush is over: say so at once, as cheaply as can be. (The
        # counter counts places whose time ran out until they are tidied, so
        # only a full counter is worth counting again.)
        if event.places_taken >= event.capacity and availability_cached(event).sold_out:
            return _choose_page_for_everyone(request, event, status=409)
    live = _live(reservation)
    # What was typed for a reservation that ran out is kept for the next.
    ended = (
        reservation is not None and reservation.status != Reservation.Status.CONFIRMED
    )
    draft = BookingDraft.of(reservation if ended else None)
    code_text = pending_code(request.session, event.pk)
    if code_text is None:
        code_text = draft.code
    offer_token = pending_offer(request.session, event.pk)
    mine = offer_reserved_places(token=offer_token, event_id=event.pk)
    live_offer = live.offer if live and live.offer_id else None
    availability = event_availability(event=event, offer_places=mine, mine=live)
    code, code_problem = code_for_draft(event=event, text=code_text)
    availability = code_availability(event=event, availability=availability, code=code)
    form = ChoosePlacesForm(
        # Shown again after a code was refused (code_apply): not a choice.
        None if code_form is not None else _posted(request),
        availability=availability,
        initial={
            f"qty_{pk}": qty for pk, qty in (draft.quantities if live else {}).items()
        },
        prices=_code_prices(availability, code),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if code is not None:
                code_check_places(code=code, quantities=form.quantities())
            if (mine or live_offer) and sum(form.quantities().values()) != 1:
                raise CodeError(_("Your waiting list offer is for one place"))
            answers = draft.answers_for(form.quantities())
            if mine and not answers["buyer"]:
                entry = offer_find(token=offer_token).entry
                answers["buyer"] = {
                    "buyer_name": entry.name,
                    "buyer_email": entry.email,
                }
                answers["for_self"] = True  # one place: theirs, most likely
            new = reservation_create(
                event_id=event.pk,
                event=event,
                quantities=form.quantities(),
                code=code.code if code is not None else None,
                offer=offer_token if mine else None,
                replaces=reservation,
                answers=answers,
                browser=browser_key(request),
            )
        except CodeError as exc:
            form.add_error(None, exc.message)
        except BookingError as exc:
            form.add_error(None, exc.message)
            status = 503 if isinstance(exc, BookingBusy) else 409
            # Say at once how many are left, counted again.
            availability = code_availability(
                event=event,
                availability=event_availability(event=event, mine=live),
                code=code,
            )
        else:
            reservation_remember(request.session, new)
            if request.GET.get("change") and live is not None:
                return redirect(_step_url("check", event))
            return redirect(_step_url("buyer", event))
    if request.method == "POST" and status == 200 and availability.sold_out:
        status = 409  # the places went while the buyer was choosing
    response = render(
        request,
        "tickets/choose_places.html",
        {
            **_code_context(code_text, code, code_problem, code_form),
            "event": event,
            "availability": availability,
            "form": form,
            "reservation": live,
            "offer": offer_find(token=offer_token) if mine else live_offer,
            "waitlist_url": reverse("tickets:waitlist_join", args=[event.slug]),
        },
        status=status,
    )
    if status == 503:
        response["Retry-After"] = "5"
    return response


CSRF_PLACEHOLDER = "psdm-csrf-token-placeholder"


def _first_visit(request, event, reservation) -> bool:
    """Whether this browser sees the choose page as everybody does: no
    reservation, code or waiting-list offer of its own, nothing asked in the
    address, no messages waiting."""
    return (
        reservation is None
        and not request.GET
        and pending_code(request.session, event.pk) is None
        and not pending_offer(request.session, event.pk)
        and not len(messages.get_messages(request))
    )


def _choose_page_for_everyone(request, event, status=200):
    """The choose page as a first visitor sees it, drawn once for everyone
    and kept AVAILABILITY_CACHE_SECONDS (by event, its last change and the
    language), with this browser's CSRF token put in. In a rush it is most
    of the requests, and the answer of everyone who came too late. The
    places it shows are at most that old: choosing is decided by the pool
    itself."""
    stamp = event.updated_at.timestamp() if event.updated_at else ""
    key = f"choose-page:{event.pk}:{stamp}:{card_payments_available()}:{get_language()}"
    html = remembered(
        key,
        AVAILABILITY_CACHE_SECONDS,
        lambda: _choose_page_drawn(request, event),
        what="choose page",
    )
    response = HttpResponse(
        html.replace(CSRF_PLACEHOLDER, get_token(request)), status=status
    )
    if status == 409:
        response["Retry-After"] = "60"
    return response


def _choose_page_drawn(request, event) -> str:
    availability = code_availability(
        event=event, availability=availability_cached(event), code=None
    )
    return render(
        request,
        "tickets/choose_places.html",
        {
            **_code_context("", None, "", None),
            "event": event,
            "availability": availability,
            "form": ChoosePlacesForm(availability=availability),
            "reservation": None,
            "offer": None,
            "waitlist_url": reverse("tickets:waitlist_join", args=[event.slug]),
            "csrf_token": CSRF_PLACEHOLDER,
        },
    ).content.decode()


@never_cache
@require_POST
def code_apply(request, slug):
    """Use a code for this booking, or take it off ("remove"). A code that
    works is kept until places are chosen with it; one that does not is
    explained on the choose-places page and changes nothing."""
    event = event_get_published(slug=slug)
    if request.POST.get("remove"):
        # Places reserved with the code (such as hidden sponsor places, or
        # its price) go back: the buyer chooses again without it.
        reservation = _live(reservation_for(request.session, event))
        if reservation is not None and reservation.code_id:
            reservation_release(reservation_id=reservation.pk)
        pending_code_set(request.session, event.pk, "")
        return redirect(_step_url("choose", event))
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            code = code_find(event=event, text=form.cleaned_data["code"])
        except CodeError as exc:
            form.add_error("code", exc.message)
        else:
            pending_code_set(request.session, event.pk, code.code)
            return redirect(_step_url("choose", event))
    return choose_places(request, slug, code_form=form)


@never_cache
@require_POST
def reservation_cancel(request, slug):
    """ "Cancel and release these places", on every step."""
    event = event_get_published(slug=slug)
    reservation = reservation_for(request.session, event)
    if reservation is not None and reservation_release(reservation_id=reservation.pk):
        messages.success(
            request, _("We have released your places. Nothing has been booked.")
        )
    if reservation is not None and reservation.status != Reservation.Status.CONFIRMED:
        reservation_forget(request.session, event.pk)
    return redirect(event.get_absolute_url())


# -- the later steps work from the reservation -----------------------------


class _Stop(Exception):
    """A step cannot be shown: answer with `response` instead."""

    def __init__(self, response):
        self.response = response


def _step_reservation(request, event) -> Reservation:
    """This browser's live reservation, or raise _Stop with where to go."""
    reservation = reservation_for(request.session, event)
    if reservation is None:
        raise _Stop(redirect(_step_url("choose", event)))
    if reservation.status == Reservation.Status.CONFIRMED:
        remember_order(request.session, reservation.order.reference)
        raise _Stop(
            redirect("tickets:confirmation", reference=reservation.order.reference)
        )
    if not reservation.is_live():
        raise _Stop(_ended_page(request, event, reservation))
    return reservation


def _ended_page(request, event, reservation, status=410, problem=""):
    availability = event_availability(event=event)
    return render(
        request,
        "tickets/reservation_ended.html",
        {
            "event": event,
            "reservation": reservation,
            "released": reservation.status == Reservation.Status.RELEASED,
            "problem": problem,
            "quantities": BookingDraft.of(reservation).quantities,
            "availability": availability,
            "choose_url": _step_url("choose", event),
            "waitlist_url": reverse("tickets:waitlist_join", args=[event.slug]),
        },
        status=status,
    )


def _step(view):
    """Load the event and the live reservation for a later step."""

    def wrapped(request, slug, **kwargs):
        event = event_get_published(slug=slug)
        try:
            reservation = _step_reservation(request, event)
        except _Stop as stop:
            return stop.response
        return view(request, event, reservation, BookingDraft.of(reservation), **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(require_http_methods(["GET", "POST"])(wrapped))


def _render_step(request, template, event, reservation, context):
    return render(
        request,
        template,
        {"event": event, "reservation": reservation, **context},
    )


def _save(reservation, draft) -> None:
    reservation_answers_save(reservation=reservation, answers=draft.answers())


def _total(reservation, draft) -> int:
    types = {line.ticket_type_id: line.ticket_type for line in reservation.lines.all()}
    return booking_quote(
        ticket_types=types, quantities=draft.quantities, code=reservation.code
    ).total_pence


def _after_attendees(request, event, reservation, draft):
    """Where to go once every attendee is known."""
    if _total(reservation, draft) and not draft.is_complete(needs_payment=True):
        return redirect(_step_url("payment", event))
    if request.GET.get("change") or not _total(reservation, draft):
        return redirect(_step_url("check", event))
    return redirect(_step_url("payment", event))


@_step
def buyer_details(request, event, reservation, draft):
    """Who is booking. With one place, the buyer is its attendee unless they
    say they are booking for someone else: one page instead of two."""
    alone = reservation.places == 1
    asked = request.GET.get("for")
    someone_else = asked == SOMEONE_ELSE or (
        asked != MYSELF and bool(draft.buyer) and not draft.for_self
    )
    if alone and not someone_else:
        initial = draft.attendees[0] if draft.for_self and draft.attendees else {}
        if not initial and draft.buyer:  # such as a waiting list offer's
            initial = {"email": draft.buyer["buyer_email"]}
        form = SelfAttendeeForm(_posted(request), initial=initial)
        if request.method == "POST" and form.is_valid():
            draft.buyer = form.buyer()
            draft.for_self = True
            draft.set_attendee(1, _attendee_values(form))
            _save(reservation, draft)
            return _after_attendees(request, event, reservation, draft)
        return _render_step(
            request,
            "tickets/self_details.html",
            event,
            reservation,
            {
                "form": form,
                "someone_else_url": _step_url("buyer", event) + f"?for={SOMEONE_ELSE}",
                "back_url": _step_url("choose", event) + "?change=1",
            },
        )
    form = BuyerForm(_posted(request), initial=draft.buyer)
    if request.method == "POST" and form.is_valid():
        if draft.for_self:  # the one attendee was the buyer: ask again
            draft.attendees = []
        draft.buyer = form.cleaned_data
        draft.for_self = False
        _save(reservation, draft)
        if request.GET.get("change") and draft.attendees_complete():
            return _after_attendees(request, event, reservation, draft)
        return redirect(_step_url("attendee", event, number=1))
    return _render_step(
        request,
        "tickets/buyer_details.html",
        event,
        reservation,
        {
            "form": form,
            "back_url": _step_url("choose", event) + "?change=1",
            "myself_url": _step_url("buyer", event) + f"?for={MYSELF}" if alone else "",
        },
    )


def _attendee_values(form) -> dict:
    return {
        **{k: form.cleaned_data[k] for k in AttendeeForm.Meta.fields},
        **form.consent_values(),
    }


@_step
def attendee_details(request, event, reservation, draft, number):
    slots = draft.slots()
    if not draft.buyer:
        return redirect(_step_url("buyer", event))
    if not 1 <= number <= len(slots):
        raise Http404
    missing = draft.first_missing_attendee()
    if missing is not None and number > missing:
        return redirect(_step_url("attendee", event, number=missing))
    saved = draft.attendees[number - 1] if number <= len(draft.attendees) else {}
    if not saved and number == 1:
        saved = {"email": draft.buyer.get("buyer_email")}
    form = AttendeeForm(_posted(request), initial=saved)
    if request.method == "POST" and form.is_valid():
        draft.set_attendee(number, _attendee_values(form))
        if draft.for_self and number == 1:
            draft.buyer = {
                "buyer_name": f"{form.cleaned_data['first_name']} "
                f"{form.cleaned_data['last_name']}".strip()[:200],
                "buyer_email": form.cleaned_data["email"],
            }
        _save(reservation, draft)
        if number < len(slots):
            nxt = _step_url("attendee", event, number=number + 1)
            if request.GET.get("change") and draft.attendees_complete():
                return _after_attendees(request, event, reservation, draft)
            return redirect(nxt)
        return _after_attendees(request, event, reservation, draft)
    back_url = (
        _step_url("attendee", event, number=number - 1)
        if number > 1
        else _step_url("buyer", event)
    )
    types = {line.ticket_type_id: line.ticket_type for line in reservation.lines.all()}
    return _render_step(
        request,
        "tickets/attendee_details.html",
        event,
        reservation,
        {
            "form": form,
            "number": number,
            "count": len(slots),
            "ticket_type": types.get(slots[number - 1]),
            "back_url": back_url,
        },
    )


@_step
def payment_method(request, event, reservation, draft):
    if not draft.attendees_complete():
        return redirect(_step_url("buyer", event))
    if not _total(reservation, draft):
        return redirect(_step_url("check", event))
    form = PaymentMethodForm(
        _posted(request),
        initial={"method": draft.payment},
        card=card_payments_available(),
        invoice=event.offers_invoice_payment(),
    )
    if request.method == "POST" and form.is_valid():
        draft.payment = form.cleaned_data["method"]
        if draft.payment == Order.PaymentMethod.INVOICE:
            next_url = _step_url("invoice", event)
            if request.GET.get("change") and draft.billing:
                next_url = _step_url("check", event)
        else:
            draft.billing = {}
            next_url = _step_url("check", event)
        _save(reservation, draft)
        return redirect(next_url)
    return _render_step(
        request,
        "tickets/payment_method.html",
        event,
        reservation,
        {
            "form": form,
            "back_url": _step_url("attendee", event, number=len(draft.slots())),
        },
    )


@_step
def invoice_details(request, event, reservation, draft):
    if not draft.attendees_complete() or draft.payment != Order.PaymentMethod.INVOICE:
        return redirect(_step_url("payment", event))
    form = InvoiceDetailsForm(_posted(request), initial=draft.billing)
    if request.method == "POST" and form.is_valid():
        draft.billing = {
            key: form.cleaned_data[key] for key in InvoiceDetailsForm.base_fields
        }
        _save(reservation, draft)
        return redirect(_step_url("check", event))
    return _render_step(
        request,
        "tickets/invoice_details.html",
        event,
        reservation,
        {"form": form, "back_url": _step_url("payment", event)},
    )


# -- check your answers and confirm, once ----------------------------------


def _confirm(request, event, reservation, draft, needs_payment):
    """Turn the reservation into the order; for card payment, send the buyer
    on to Stripe. A second POST lands where the first did."""
    order, _created = reservation_confirm(
        reservation=reservation,
        buyer_name=draft.buyer["buyer_name"],
        buyer_email=draft.buyer["buyer_email"],
        lines=draft.order_lines(),
        payment_method=draft.payment if needs_payment else None,
        billing=draft.billing_details() if needs_payment else None,
    )
    try:
        return _to_order(request, order)
    except PaymentStartFailed:
        # The order's places went back; reserve them again with the same
        # answers, so trying again (or paying another way) is one click.
        try:
            reservation_remember(
                request.session, reservation_again(reservation=reservation)
            )
        except BookingError:
            pass
        raise


def _to_order(request, order):
    remember_order(request.session, order.reference)
    if order.payment_method != Order.PaymentMethod.CARD or not order.is_held:
        return redirect("tickets:confirmation", reference=order.reference)
    manage = order.get_absolute_url()
    # One Checkout Session per order (and so per reservation): asked again,
    # Stripe answers with the same one (the idempotency key is the order's).
    checkout_url = checkout_start(
        order_id=order.pk,
        success_url=request.build_absolute_uri(f"{manage}payment/return/")
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=request.build_absolute_uri(f"{manage}payment/cancel/"),
    )
    return redirect(checkout_url)


@never_cache
@require_http_methods(["GET", "POST"])
def check_answers(request, slug):
    event = event_get_published(slug=slug)
    reservation = reservation_for(request.session, event)
    if reservation is None:
        return redirect(_step_url("choose", event))
    if reservation.status == Reservation.Status.CONFIRMED:
        if request.method == "POST":  # a double click, a retry, another tab
            try:
                return _to_order(request, reservation.order)
            except BookingError as exc:
                messages.error(request, exc.message)
        remember_order(request.session, reservation.order.reference)
        return redirect("tickets:confirmation", reference=reservation.order.reference)
    draft = BookingDraft.of(reservation)
    # A confirm after the time ran out is tried: the places are taken again
    # if they are still free. Looking at the page then says what happened.
    if not reservation.is_live() and (
        request.method != "POST" or reservation.status == Reservation.Status.RELEASED
    ):
        return _ended_page(request, event, reservation)
    total = _total(reservation, draft)
    if not draft.attendees_complete():
        return redirect(_step_url("buyer", event))
    if not draft.is_complete(needs_payment=total > 0):
        return redirect(_step_url("payment", event))
    error = None
    if request.method == "POST":
        try:
            return _confirm(request, event, reservation, draft, needs_payment=total > 0)
        except BookingError as exc:
            error = exc
        if isinstance(error, PaymentStartFailed):
            # Show the answers again, with the places reserved once more.
            again = reservation_for(request.session, event)
            if again is not None and again.is_live():
                reservation, draft = again, BookingDraft.of(again)
        elif not reservation.is_live():
            return _ended_page(
                request, event, reservation, status=409, problem=error.message
            )
    return _check_page(request, event, reservation, draft, total, error)


def _check_page(request, event, reservation, draft, total, error):
    types = {line.ticket_type_id: line.ticket_type for line in reservation.lines.all()}
    attendees = [
        {"number": n, "ticket_type": types.get(pk), **details}
        for n, (pk, details) in enumerate(
            zip(draft.slots(), draft.attendees, strict=True), start=1
        )
    ]
    quote = booking_quote(
        ticket_types=types, quantities=draft.quantities, code=reservation.code
    )
    priced = {line.ticket_type.pk: line for line in quote.lines}
    lines = [
        {
            "ticket_type": types.get(pk),
            "quantity": qty,
            "unit": priced[pk].price_pence if pk in priced else 0,
            "was": priced[pk].unit_pence if pk in priced else None,
            "discounted": pk in priced and priced[pk].discount_pence > 0,
            "amount": priced[pk].amount_pence if pk in priced else 0,
        }
        for pk, qty in sorted(draft.quantities.items())
    ]
    if total:
        back_url = _step_url(
            "invoice" if draft.payment == Order.PaymentMethod.INVOICE else "payment",
            event,
        )
    elif draft.for_self:
        back_url = _step_url("buyer", event)
    else:
        back_url = _step_url("attendee", event, number=len(attendees))
    # Too busy to take the pool's lock in time: 503 and try again, never 500.
    busy = isinstance(error, BookingBusy)
    response = render(
        request,
        "tickets/check_answers.html",
        {
            "event": event,
            "reservation": reservation,
            "draft": draft,
            "lines": lines,
            "total": total,
            "attendees": attendees,
            "error": error,
            "sold_out": isinstance(error, SoldOut),
            "quote": quote,
            "back_url": back_url,
        },
        status=503 if busy else 409 if error else 200,
    )
    if busy:
        response["Retry-After"] = "5"
    return response


@never_cache
@require_GET
def confirmation(request, reference):
    """The confirmation page, for the browser that booked. Anyone else (a
    bookmark opened on another computer, a forwarded address) is told where
    the booking can be seen, without learning whether it exists."""
    order = None
    if may_see_order(request.session, reference):
        order = order_with_tickets(reference=reference)
    if order is None:
        return render(request, "tickets/confirmation_elsewhere.html", status=404)
    return render(
        request, "tickets/confirmation.html", {"order": order, "event": order.event}
    )
