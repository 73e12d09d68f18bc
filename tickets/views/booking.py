"""The booking flow: choose places, your details, attendees, check, confirm."""

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from events.selectors import event_get_published

from ..booking import BookingDraft, may_see_order, remember_order
from ..forms import (
    AttendeeForm,
    BuyerForm,
    ChoosePlacesForm,
    CodeForm,
    InvoiceDetailsForm,
    PaymentMethodForm,
)
from ..models import Order
from ..selectors import event_availability, order_with_tickets, ticket_types_by_id
from ..services import (
    BookingBusy,
    BookingError,
    SoldOut,
    checkout_start,
    order_create,
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
from ..services.waitlist import offer_find, offer_reserved_places
from ..stripe_api import card_payments_available


@require_GET
def availability_json(request, slug):
    event = event_get_published(slug=slug)
    response = JsonResponse(event_availability(event=event).as_json())
    response["Cache-Control"] = "no-store"
    return response


def _posted(request):
    """Form data to bind, even when a POST arrives empty (so errors show)."""
    return request.POST if request.method == "POST" else None


def _step_url(name, event, **kwargs):
    return reverse(f"tickets:{name}", kwargs={"slug": event.slug, **kwargs})


def _offer_places(request, event, draft) -> int:
    """The places a waiting-list offer in the draft keeps for this person
    (1 or 0); an offer that has ended is dropped from the draft."""
    if not draft.offer:
        return 0
    places = offer_reserved_places(token=draft.offer, event_id=event.pk)
    if not places:
        draft.offer = ""
        draft.save(request.session, event.pk)
    return places


def _places_gone(request, event, draft):
    """Return a 'places have gone' page if the pool can no longer take the
    places chosen, so nobody fills in forms for places already booked.

    Reads the pool's counter from the event row just loaded (and, only if
    that says no, counts again without holds that have run out); the booking
    service still makes the final decision under the pool's lock.
    """
    wanted = sum(draft.quantities.values())
    mine = _offer_places(request, event, draft)
    if event.capacity - event.places_taken + mine >= wanted:
        return None
    left = event_availability(event=event, offer_places=mine).remaining
    if left >= wanted:
        return None
    return render(
        request,
        "tickets/places_gone.html",
        {"event": event, "left": left, "choose_url": _step_url("choose", event)},
        status=409,
    )


def _total_pence(draft, ticket_types) -> int:
    return _quote(draft, ticket_types).total_pence


def _quote(draft, ticket_types):
    """Price the draft's places from our ticket types, with its code while
    the code can still be used (order_create checks it again)."""
    code = None
    if draft.code and ticket_types:
        event = next(iter(ticket_types.values())).event
        code, _problem = code_for_draft(event=event, text=draft.code)
    return booking_quote(
        ticket_types=ticket_types, quantities=draft.quantities, code=code
    )


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


def _code_context(draft, code, problem, code_form) -> dict:
    return {
        "code": code,
        "code_problem": problem,
        "code_summary": code_describe(code) if code else "",
        "code_form": code_form if code_form is not None else CodeForm(),
        "code_open": code_form is not None or bool(draft.code),
        "draft_code": draft.code,
    }


def _after_step(request, event, draft, default_url):
    """Go back to check-your-answers when changing an answer, else onward."""
    needs_payment = _total_pence(draft, ticket_types_by_id(event=event)) > 0
    if request.GET.get("change") and draft.is_complete(needs_payment=needs_payment):
        return redirect(_step_url("check", event))
    return redirect(default_url)


@never_cache
@require_http_methods(["GET", "POST"])
def choose_places(request, slug, code_form=None):
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    mine = _offer_places(request, event, draft)
    availability = event_availability(event=event, offer_places=mine)
    code, code_problem = code_for_draft(event=event, text=draft.code)
    availability = code_availability(event=event, availability=availability, code=code)
    initial = {f"qty_{pk}": qty for pk, qty in draft.quantities.items()}
    form = ChoosePlacesForm(
        # Shown again after a code was refused (code_apply): not a choice.
        None if code_form is not None else _posted(request),
        availability=availability,
        initial=initial,
        prices=_code_prices(availability, code),
    )
    if request.method == "POST" and code is not None and form.is_valid():
        try:
            code_check_places(code=code, quantities=form.quantities())
        except CodeError as exc:
            form.add_error(None, exc.message)
    if (
        request.method == "POST"
        and form.is_valid()
        and mine
        and sum(form.quantities().values()) != 1
    ):
        form.add_error(None, _("Your waiting list offer is for one place"))
    if request.method == "POST" and form.is_valid():
        draft.set_quantities(form.quantities())
        draft.save(request.session, event.pk)
        return _after_step(request, event, draft, _step_url("buyer", event))
    return render(
        request,
        "tickets/choose_places.html",
        {
            **_code_context(draft, code, code_problem, code_form),
            "event": event,
            "availability": availability,
            "form": form,
            "offer": offer_find(token=draft.offer) if mine else None,
            "waitlist_url": reverse("tickets:waitlist_join", args=[event.slug]),
        },
    )


@never_cache
@require_POST
def code_apply(request, slug):
    """Use a code for this booking, or take it off ("remove"). A code that
    works is kept in the draft; one that does not is explained on the
    choose-places page and changes nothing."""
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    if request.POST.get("remove"):
        draft.code = ""
        visible = {
            pk for pk, tt in ticket_types_by_id(event=event).items() if tt.is_visible
        }
        draft.set_quantities(
            {pk: qty for pk, qty in draft.quantities.items() if pk in visible}
        )
        draft.save(request.session, event.pk)
        return redirect(_step_url("choose", event))
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            code = code_find(event=event, text=form.cleaned_data["code"])
        except CodeError as exc:
            form.add_error("code", exc.message)
        else:
            draft.code = code.code
            draft.save(request.session, event.pk)
            return redirect(_step_url("choose", event))
    return choose_places(request, slug, code_form=form)


@never_cache
@require_http_methods(["GET", "POST"])
def buyer_details(request, slug):
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    if not draft.quantities:
        return redirect(_step_url("choose", event))
    if gone := _places_gone(request, event, draft):
        return gone
    form = BuyerForm(_posted(request), initial=draft.buyer)
    if request.method == "POST" and form.is_valid():
        draft.buyer = form.cleaned_data
        draft.save(request.session, event.pk)
        return _after_step(
            request, event, draft, _step_url("attendee", event, number=1)
        )
    return render(
        request,
        "tickets/buyer_details.html",
        {"event": event, "form": form, "back_url": _step_url("choose", event)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def attendee_details(request, slug, number):
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    slots = draft.slots()
    if not draft.quantities or not draft.buyer:
        return redirect(_step_url("choose", event))
    if not 1 <= number <= len(slots):
        raise Http404
    if gone := _places_gone(request, event, draft):
        return gone
    missing = draft.first_missing_attendee()
    if missing is not None and number > missing:
        return redirect(_step_url("attendee", event, number=missing))
    saved = draft.attendees[number - 1] if number <= len(draft.attendees) else {}
    initial = saved or (
        {"email": draft.buyer.get("buyer_email")} if number == 1 else {}
    )
    form = AttendeeForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        draft.set_attendee(
            number,
            {
                **{k: form.cleaned_data[k] for k in form.Meta.fields},
                **form.consent_values(),
            },
        )
        draft.save(request.session, event.pk)
        if number < len(slots):
            next_url = _step_url("attendee", event, number=number + 1)
        elif _total_pence(draft, ticket_types_by_id(event=event)):
            next_url = _step_url("payment", event)
        else:
            next_url = _step_url("check", event)
        return _after_step(request, event, draft, next_url)
    back_url = (
        _step_url("attendee", event, number=number - 1)
        if number > 1
        else _step_url("buyer", event)
    )
    ticket_types = ticket_types_by_id(event=event)
    return render(
        request,
        "tickets/attendee_details.html",
        {
            "event": event,
            "form": form,
            "number": number,
            "count": len(slots),
            "ticket_type": ticket_types.get(slots[number - 1]),
            "back_url": back_url,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def payment_method(request, slug):
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    if not draft.attendees_complete():
        return redirect(_step_url("choose", event))
    if not _total_pence(draft, ticket_types_by_id(event=event)):
        return redirect(_step_url("check", event))
    if gone := _places_gone(request, event, draft):
        return gone
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
        else:
            draft.billing = {}
            next_url = _step_url("check", event)
        draft.save(request.session, event.pk)
        return _after_step(request, event, draft, next_url)
    return render(
        request,
        "tickets/payment_method.html",
        {
            "event": event,
            "form": form,
            "back_url": _step_url("attendee", event, number=len(draft.slots())),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invoice_details(request, slug):
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    if not draft.attendees_complete() or draft.payment != Order.PaymentMethod.INVOICE:
        return redirect(_step_url("choose", event))
    if gone := _places_gone(request, event, draft):
        return gone
    form = InvoiceDetailsForm(_posted(request), initial=draft.billing)
    if request.method == "POST" and form.is_valid():
        draft.billing = {
            key: form.cleaned_data[key] for key in InvoiceDetailsForm.base_fields
        }
        draft.save(request.session, event.pk)
        return redirect(_step_url("check", event))
    return render(
        request,
        "tickets/invoice_details.html",
        {"event": event, "form": form, "back_url": _step_url("payment", event)},
    )


def _book(request, event, draft, needs_payment):
    """Make the order; for card payment, send the buyer on to Stripe."""
    order = order_create(
        event_id=event.pk,
        buyer_name=draft.buyer["buyer_name"],
        buyer_email=draft.buyer["buyer_email"],
        lines=draft.order_lines(),
        code=draft.code or None,
        payment_method=draft.payment if needs_payment else None,
        billing=draft.billing_details() if needs_payment else None,
        offer=draft.offer or None,
    )
    remember_order(request.session, order.reference)
    if order.payment_method != Order.PaymentMethod.CARD:
        BookingDraft.clear(request.session, event.pk)
        return redirect("tickets:confirmation", reference=order.reference)
    manage = order.get_absolute_url()
    checkout_url = checkout_start(
        order_id=order.pk,
        success_url=request.build_absolute_uri(f"{manage}payment/return/")
        + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=request.build_absolute_uri(f"{manage}payment/cancel/"),
    )
    # The draft stays until the payment is confirmed, so the buyer who
    # comes back from Stripe without paying need not type it all again.
    return redirect(checkout_url)


@never_cache
@require_http_methods(["GET", "POST"])
def check_answers(request, slug):
    event = event_get_published(slug=slug)
    draft = BookingDraft.load(request.session, event.pk)
    ticket_types = ticket_types_by_id(event=event)
    total = _total_pence(draft, ticket_types)
    if not draft.attendees_complete():
        return redirect(_step_url("choose", event))
    if not draft.is_complete(needs_payment=total > 0):
        return redirect(_step_url("payment", event))
    if gone := _places_gone(request, event, draft):
        return gone
    error = None
    if request.method == "POST":
        try:
            return _book(request, event, draft, needs_payment=total > 0)
        except BookingError as exc:
            error = exc
    attendees = [
        {"number": n, "ticket_type": ticket_types.get(pk), **details}
        for n, (pk, details) in enumerate(
            zip(draft.slots(), draft.attendees, strict=True), start=1
        )
    ]
    quote = _quote(draft, ticket_types)
    priced = {line.ticket_type.pk: line for line in quote.lines}
    lines = [
        {
            "ticket_type": ticket_types.get(pk),
            "quantity": qty,
            "unit": priced[pk].price_pence if pk in priced else 0,
            "was": priced[pk].unit_pence if pk in priced else None,
            "discounted": pk in priced and priced[pk].discount_pence > 0,
            "amount": priced[pk].amount_pence if pk in priced else 0,
        }
        for pk, qty in sorted(draft.quantities.items())
    ]
    code_problem = ""
    if draft.code:
        _code, code_problem = code_for_draft(event=event, text=draft.code)
        if code_problem and error is None:
            error = CodeError(code_problem)
    if total:
        back_url = _step_url(
            "invoice" if draft.payment == Order.PaymentMethod.INVOICE else "payment",
            event,
        )
    else:
        back_url = _step_url("attendee", event, number=len(attendees))
    # Too busy to take the pool's lock in time: 503 and try again, never 500.
    busy = isinstance(error, BookingBusy)
    response = render(
        request,
        "tickets/check_answers.html",
        {
            "event": event,
            "draft": draft,
            "lines": lines,
            "total": total,
            "attendees": attendees,
            "error": error,
            "sold_out": isinstance(error, SoldOut),
            "quote": quote,
            "code_problem": code_problem,
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
    if not may_see_order(request.session, reference):
        raise Http404
    order = order_with_tickets(reference=reference)
    if order is None:
        raise Http404
    return render(
        request, "tickets/confirmation.html", {"order": order, "event": order.event}
    )
