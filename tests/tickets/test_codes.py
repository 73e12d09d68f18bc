"""Codes in the booking service: finding them, prices, hidden ticket types,
the use limit and uses given back."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.conftest import billing, hold, lines, make_ticket_type
from tickets.models import BadgeRole, Code, Order, Ticket
from tickets.services import (
    Actor,
    BookingError,
    InvalidBooking,
    holds_expire,
    order_cancel,
    order_create,
)
from tickets.services.codes import CodeError, booking_quote, code_find


def make_code(event, text="SAVE10", **overrides) -> Code:
    values = {
        "discount_type": Code.DiscountType.PERCENT,
        "discount_percent": 10,
        "max_uses": 5,
    }
    types = overrides.pop("ticket_types", [])
    values.update(overrides)
    code = Code.objects.create(event=event, code=text, **values)
    code.ticket_types.set(types)
    return code


def book_with(event, ticket_type, count=1, code="SAVE10", **kwargs):
    return order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=lines(ticket_type, count),
        code=code,
        **kwargs,
    )


@pytest.fixture
def speaker_type(event):
    return make_ticket_type(
        event,
        name="Speaker",
        is_visible=False,
        badge_role=BadgeRole.SPEAKER,
        position=5,
    )


# -- finding a code ---------------------------------------------------------------


def test_a_code_is_found_whatever_its_case_and_spaces(event):
    """Buyers may type a code in lower case, with spaces around it."""
    code = make_code(event, "SPRING-24")
    assert code_find(event=event, text="  spring-24 ") == code
    assert code_find(event=event, text="Spring - 24") == code


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a code"),
        ("NOPE", "We do not recognise that code"),
        ("x" * 5000, "We do not recognise that code"),
        ("SAVE\x0010", "We do not recognise that code"),
    ],
)
def test_an_unknown_code_is_explained(event, text, message):
    make_code(event)
    with pytest.raises(CodeError, match=message):
        code_find(event=event, text=text)


def test_a_code_of_another_event_is_unknown(event):
    from tests.conftest import make_event

    other = make_event(slug="other", name="Other")
    make_code(other)
    with pytest.raises(CodeError, match="do not recognise"):
        code_find(event=event, text="SAVE10")


def test_a_switched_off_code_is_unknown(event):
    make_code(event, is_active=False)
    with pytest.raises(CodeError, match="do not recognise"):
        code_find(event=event, text="SAVE10")


def test_a_code_not_yet_valid_says_from_when(event):
    start = timezone.now() + timedelta(days=2)
    make_code(event, valid_from=start)
    local = timezone.localtime(start)
    with pytest.raises(CodeError, match=f"cannot be used until {local.day} "):
        code_find(event=event, text="SAVE10")


def test_an_expired_code_says_when_it_expired(event):
    make_code(event, valid_until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(CodeError, match="expired on"):
        code_find(event=event, text="SAVE10")


def test_a_used_up_code_says_so(event):
    make_code(event, max_uses=2, uses=2)
    with pytest.raises(CodeError, match="used for all its places"):
        code_find(event=event, text="SAVE10")


# -- prices -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "percent", "expected"),
    [
        (9500, 10, 8550),
        (9500, 100, 0),
        (999, 50, 499),  # 499.5p off rounds half up to 500p off
        (1, 50, 0),  # half a penny off rounds up to a whole penny
        (3, 33, 2),  # 0.99p off rounds to 1p
        (0, 50, 0),
    ],
)
def test_a_percentage_is_rounded_to_the_penny(event, price, percent, expected):
    ticket_type = make_ticket_type(event, name="T", price_pence=price)
    code = make_code(event, discount_percent=percent)
    quote = booking_quote(
        ticket_types={ticket_type.pk: ticket_type},
        quantities={ticket_type.pk: 3},
        code=code,
    )
    assert quote.lines[0].price_pence == expected
    assert quote.total_pence == 3 * expected
    assert quote.discount_pence == 3 * (price - expected)


@pytest.mark.parametrize(
    ("price", "amount", "expected"), [(9500, 1000, 8500), (500, 1000, 0)]
)
def test_a_fixed_amount_never_goes_below_nothing(event, price, amount, expected):
    ticket_type = make_ticket_type(event, name="T", price_pence=price)
    code = make_code(
        event, discount_type=Code.DiscountType.FIXED, discount_amount_pence=amount
    )
    quote = booking_quote(
        ticket_types={ticket_type.pk: ticket_type},
        quantities={ticket_type.pk: 2},
        code=code,
    )
    assert quote.lines[0].price_pence == expected
    assert quote.total_pence == 2 * expected


@pytest.fixture
def invoicing(event):
    event.invoice_payment_enabled = True
    event.save()
    return event


def test_the_order_is_charged_the_discounted_total(
    invoicing, event, paid_type, free_type
):
    """Only places of the types the code names are discounted and use it."""
    code = make_code(event, discount_percent=50, ticket_types=[paid_type])
    order = order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=lines(paid_type, 2) + lines(free_type, 1),
        code="save10",
        payment_method="invoice",
        billing=billing(),
    )
    tickets = list(order.tickets.order_by("pk"))
    paid = [t for t in tickets if t.ticket_type_id == paid_type.pk]
    assert [(t.price_pence, t.discount_pence, t.code_id) for t in paid] == [
        (4750, 4750, code.pk)
    ] * 2
    free = [t for t in tickets if t.ticket_type_id == free_type.pk]
    assert [(t.price_pence, t.code_id) for t in free] == [(0, None)]
    assert order.total_pence == 9500
    code.refresh_from_db()
    assert code.uses == 2
    assert "Code SAVE10 used for 2 places" in order.changes.get().message


def test_a_free_code_needs_no_payment(event, paid_type):
    make_code(event, discount_percent=100)
    order = book_with(event, paid_type, 2)
    assert order.payment_method == Order.PaymentMethod.FREE
    assert order.status == Order.Status.CONFIRMED
    assert order.total_pence == 0


def test_a_code_for_none_of_the_places_chosen_is_refused(event, paid_type, free_type):
    make_code(event, ticket_types=[paid_type])
    with pytest.raises(CodeError, match="cannot be used for the places you chose"):
        book_with(event, free_type)
    assert not Order.objects.exists()


# -- hidden ticket types --------------------------------------------------------


def test_a_hidden_type_cannot_be_booked_without_a_code(event, speaker_type):
    with pytest.raises(InvalidBooking, match="no longer available"):
        book_with(event, speaker_type, code=None)


def test_a_hidden_type_needs_a_code_that_names_it(event, speaker_type, free_type):
    make_code(event)  # every visible type: not the hidden one
    with pytest.raises(CodeError):
        book_with(event, speaker_type)
    assert not Order.objects.exists()


def test_a_code_naming_a_hidden_type_books_it(event, speaker_type):
    code = make_code(
        event, "TALK", discount_percent=100, max_uses=1, ticket_types=[speaker_type]
    )
    order = book_with(event, speaker_type, code="talk")
    ticket = order.tickets.get()
    assert ticket.ticket_type == speaker_type and ticket.code == code
    event.refresh_from_db()
    speaker_type.refresh_from_db()
    # Hidden places come out of the event's pool like any other.
    assert event.places_taken == speaker_type.places_taken == 1


# -- the use limit ---------------------------------------------------------------


def test_a_code_is_never_used_beyond_its_limit(event, free_type):
    code = make_code(event, max_uses=3)
    book_with(event, free_type, 2)
    with pytest.raises(CodeError, match="1 more place, but you chose 2"):
        book_with(event, free_type, 2)
    book_with(event, free_type, 1)
    with pytest.raises(CodeError, match="used for all its places"):
        book_with(event, free_type, 1)
    code.refresh_from_db()
    assert code.uses == 3 == Ticket.objects.filter(code=code).count()


def test_the_database_refuses_uses_above_the_limit(event):
    code = make_code(event, max_uses=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Code.objects.filter(pk=code.pk).update(uses=3)


def test_a_code_that_became_invalid_saves_nothing(event, free_type, settings):
    """Switched off between the buyer's steps: a clear error, nothing saved."""
    code = make_code(event)
    Code.objects.filter(pk=code.pk).update(is_active=False)
    with pytest.raises(BookingError, match="do not recognise"):
        book_with(event, free_type)
    event.refresh_from_db()
    assert (Order.objects.count(), Ticket.objects.count()) == (0, 0)
    assert event.places_taken == 0


# -- uses given back -------------------------------------------------------------


def test_cancelling_gives_the_uses_back_once(event, free_type):
    code = make_code(event, max_uses=2)
    order = book_with(event, free_type, 2)
    first = order.tickets.order_by("pk").first()
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[first.pk])
    code.refresh_from_db()
    assert code.uses == 1
    # Cancelling the same place again gives nothing back twice.
    with pytest.raises(BookingError):
        order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[first.pk])
    order_cancel(order_id=order.pk, actor=Actor.system())
    code.refresh_from_db()
    assert code.uses == 0
    book_with(event, free_type, 2)  # both uses can be had again
    code.refresh_from_db()
    assert code.uses == 2


def test_a_hold_that_runs_out_gives_the_use_back(invoicing, event, paid_type):
    code = make_code(event, max_uses=1)
    order = book_with(event, paid_type, 1, payment_method="invoice", billing=billing())
    hold(order, minutes=-1)
    holds_expire()
    code.refresh_from_db()
    assert code.uses == 0
    assert Ticket.objects.get(order=order).status == Ticket.Status.CANCELLED


def sponsor_places_book(sponsor, count: int) -> Code:
    """Book `count` of the sponsor's free places the way a sponsor does: with
    the code made for it (a hidden Sponsor ticket type is added if missing)."""
    from tickets.models import TicketType
    from tickets.services.codes import sponsor_code_create

    if not TicketType.objects.filter(
        event=sponsor.event, badge_role=BadgeRole.SPONSOR
    ).exists():
        make_ticket_type(
            sponsor.event,
            name="Sponsor",
            is_visible=False,
            badge_role=BadgeRole.SPONSOR,
        )
    code = sponsor_code_create(sponsor=sponsor).code
    book_with(sponsor.event, code.ticket_types.get(), count, code=code.code)
    return code
