"""The organiser's admin for orders, places, refunds and Stripe events.

Every change goes through tickets.services; these tests drive the admin the
way the organiser's browser does (the changelist's action form, then the
"Are you sure?" page) and check what the services did.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.conftest import billing, book, paid_by_card
from tickets.models import Order, OrderChange, Refund, StripeEvent, Ticket
from tickets.selectors import event_availability
from tickets.services import (
    Actor,
    order_cancel,
)

ORDERS = reverse("admin:tickets_order_changelist")
TICKETS = reverse("admin:tickets_ticket_changelist")
REFUNDS = reverse("admin:tickets_refund_changelist")


@pytest.fixture
def invoice_event(event):
    event.invoice_payment_enabled = True
    event.save(update_fields=["invoice_payment_enabled"])
    return event


def invoice_order(event, ticket_type, count=2, **billing_overrides):
    return book(
        event,
        ticket_type,
        count=count,
        payment_method="invoice",
        billing=billing(**billing_overrides),
    )


def card_paid_order(event, ticket_type, fake_stripe, count=2):
    """Book by card and pay on the fake Stripe, as the buyer would."""
    order = paid_by_card(event, ticket_type, fake_stripe, count=count)
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == Order.PaymentStatus.PAID
    return order


def run_action(client, changelist, action, pks, **extra):
    """Pick the action from the changelist, then confirm on the next page
    if there is one. Returns (first response, final response)."""
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]}
    first = client.post(changelist, {**data, "index": "0"})
    if first.status_code == 302:
        return first, client.get(first["Location"])
    assert first.status_code == 200, first.content.decode()[:2000]
    final = client.post(changelist, {**data, "post": "yes", **extra}, follow=True)
    return first, final


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def action_choices(changelist_page) -> dict:
    form = changelist_page.context["action_form"]  # None when none is offered
    return dict(form.fields["action"].choices) if form else {}


def change_page(client, order):
    return client.get(reverse("admin:tickets_order_change", args=[order.pk]))


# -- pages render -------------------------------------------------------------


def test_changelist_and_pages_for_free_card_and_invoice_orders(
    organiser_client, invoice_event, free_type, paid_type, fake_stripe
):
    free = book(invoice_event, free_type, count=2)
    card = card_paid_order(invoice_event, paid_type, fake_stripe)
    invoice = invoice_order(invoice_event, paid_type, po_number="PO-777")

    page = organiser_client.get(ORDERS)
    assert page.status_code == 200
    content = page.content.decode()
    for order in (free, card, invoice):
        assert order.reference in content
    assert "£190.00" in content  # totals as money

    for order in (free, card, invoice):
        page = change_page(organiser_client, order)
        assert page.status_code == 200
        content = page.content.decode()
        assert order.reference in content
        assert "Ada0 Lovelace" in content
        assert order.get_absolute_url() in content  # manage-my-booking link
        assert "Save" not in content  # read-only: changed only by actions
        for change in order.changes.all():
            assert change.message in content  # history
    card_page = change_page(organiser_client, card).content.decode()
    assert card.stripe_payment_intent_id in card_page
    assert "Paid £190.00 by card" in card_page
    invoice_page = change_page(organiser_client, invoice).content.decode()
    assert invoice.invoice.number in invoice_page
    assert "PO-777" in invoice_page
    assert reverse("admin:tickets_order_invoice", args=[invoice.pk]) in invoice_page


def test_history_is_in_order_newest_last(organiser_client, event, free_type):
    order = book(event, free_type, count=2)
    ticket = order.tickets.first()
    order_cancel(
        order_id=order.pk, actor=Actor.system(), ticket_ids=[ticket.pk], reason="ill"
    )
    content = change_page(organiser_client, order).content.decode()
    booked = content.index("Booked 2 places.")
    cancelled = content.index("Cancelled 1 place (Ada0 Lovelace): ill.")
    assert booked < cancelled


@pytest.mark.parametrize(
    "query",
    ["Lovelace", "grace@example", "Birmingham City", "PO-12345", "INV-"],
)
def test_search_finds_orders(organiser_client, invoice_event, paid_type, query):
    order = invoice_order(invoice_event, paid_type)
    page = organiser_client.get(ORDERS, {"q": query})
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert order.reference in page.content.decode()


def test_list_filters(organiser_client, invoice_event, free_type, paid_type):
    free = book(invoice_event, free_type)
    invoice = invoice_order(invoice_event, paid_type)
    page = organiser_client.get(ORDERS, {"payment_status__exact": "awaiting"})
    assert [o.pk for o in page.context["cl"].result_list] == [invoice.pk]
    page = organiser_client.get(ORDERS, {"payment_method__exact": "free"})
    assert [o.pk for o in page.context["cl"].result_list] == [free.pk]
    page = organiser_client.get(TICKETS, {"order__payment_status__exact": "awaiting"})
    assert {t.order_id for t in page.context["cl"].result_list} == {invoice.pk}


# -- cancelling whole orders ----------------------------------------------------


def test_cancel_action_asks_first_then_cancels_and_gives_places_back(
    organiser_client, event, free_type
):
    order = book(event, free_type, count=2)
    event.refresh_from_db()
    assert event.places_taken == 2

    first, final = run_action(
        organiser_client, ORDERS, "cancel_orders", [order.pk], reason="Duplicate"
    )
    assert "Cancel and refund these bookings?" in first.content.decode()
    assert final.status_code == 200
    assert f"Cancelled 1 booking: {order.reference}." in texts(final)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert set(order.tickets.values_list("status", flat=True)) == {"cancelled"}
    event.refresh_from_db()
    free_type.refresh_from_db()
    assert (event.places_taken, free_type.places_taken) == (0, 0)
    availability = event_availability(event=event)
    assert (availability.confirmed, availability.remaining) == (0, 250)
    change = order.changes.get(action="cancelled")
    assert change.actor == "organiser"
    assert change.user.username == "organiser"
    assert "Duplicate" in change.message


def test_showing_the_confirmation_changes_nothing(organiser_client, event, free_type):
    order = book(event, free_type)
    response = organiser_client.post(
        ORDERS,
        {"action": "cancel_orders", ACTION_CHECKBOX_NAME: [order.pk], "index": "0"},
    )
    assert response.status_code == 200
    assert order.reference in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED


def test_cancelling_a_card_order_refunds_it_through_stripe(
    organiser_client,
    event,
    paid_type,
    fake_stripe,
    django_capture_on_commit_callbacks,
):
    order = card_paid_order(event, paid_type, fake_stripe)
    with django_capture_on_commit_callbacks(execute=True):
        _first, final = run_action(
            organiser_client, ORDERS, "cancel_orders", [order.pk]
        )
    assert f"Cancelled 1 booking: {order.reference}." in texts(final)

    refund = Refund.objects.get(order=order)
    assert (refund.amount_pence, refund.method) == (19000, Refund.Method.CARD)
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    [sent] = fake_stripe.refunds.values()
    assert sent["amount"] == 19000
    assert sent["payment_intent"] == order.stripe_payment_intent_id
    assert sent["id"] == refund.stripe_refund_id
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.REFUNDED
    assert order.refunded_pence == 19000
    event.refresh_from_db()
    assert event.places_taken == 0
    actions = list(order.changes.values_list("action", "actor"))
    assert ("cancelled", "organiser") in actions
    assert ("refund_requested", "organiser") in actions
    assert ("refund_succeeded", "Stripe") in actions


def test_an_order_already_cancelled_is_reported_as_refused(
    organiser_client, event, free_type
):
    done = book(event, free_type)
    order_cancel(order_id=done.pk, actor=Actor.buyer())
    live = book(event, free_type, buyer_email="other@example.gov.uk")

    first, final = run_action(
        organiser_client, ORDERS, "cancel_orders", [done.pk, live.pk]
    )
    assert "cannot be cancelled" in first.content.decode()  # warned first
    assert final.status_code == 200
    messages = texts(final)
    assert f"Cancelled 1 booking: {live.reference}." in messages
    assert any(
        done.reference in m and "not confirmed" in m and "not cancelled" in m
        for m in messages
    )
    live.refresh_from_db()
    assert live.status == Order.Status.CANCELLED


def test_cancelling_a_paid_invoice_leaves_a_bank_transfer_refund(
    organiser_client, invoice_event, paid_type
):
    order = invoice_order(invoice_event, paid_type)
    run_action(organiser_client, ORDERS, "mark_invoices_paid", [order.pk])
    _first, final = run_action(organiser_client, ORDERS, "cancel_orders", [order.pk])
    assert any("owed back" in m and "£190.00" in m for m in texts(final))
    refund = Refund.objects.get(order=order)
    assert (refund.method, refund.status) == (Refund.Method.MANUAL, "pending")

    # Once the organiser has paid it back, they say so under Refunds.
    _first, final = run_action(
        organiser_client, REFUNDS, "mark_transfers_paid", [refund.pk]
    )
    assert any("Marked 1 refund paid" in m for m in texts(final))
    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert order.payment_status == Order.PaymentStatus.REFUNDED

    # Doing it again is skipped, not done twice.
    _first, final = run_action(
        organiser_client, REFUNDS, "mark_transfers_paid", [refund.pk]
    )
    assert any("Skipped 1 refund" in m for m in texts(final))


def test_cancelling_an_unpaid_invoice_voids_it(
    organiser_client, invoice_event, paid_type
):
    order = invoice_order(invoice_event, paid_type)
    run_action(organiser_client, ORDERS, "cancel_orders", [order.pk])
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == Order.PaymentStatus.VOID
    assert not Refund.objects.exists()


def test_cancel_button_on_the_order_page(organiser_client, event, free_type):
    order = book(event, free_type, count=2)
    url = reverse("admin:tickets_order_cancel", args=[order.pk])
    assert url in change_page(organiser_client, order).content.decode()
    page = organiser_client.get(url)
    assert page.status_code == 200
    assert "Ada1 Lovelace" in page.content.decode()
    response = organiser_client.post(url, {"post": "yes", "reason": "Moved"})
    assert response["Location"] == reverse(
        "admin:tickets_order_change", args=[order.pk]
    )
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


# -- cancelling single places -----------------------------------------------------


def test_cancelling_one_place_refunds_only_that_place(
    organiser_client,
    event,
    paid_type,
    fake_stripe,
    django_capture_on_commit_callbacks,
):
    order = card_paid_order(event, paid_type, fake_stripe, count=3)
    ticket, *others = order.tickets.order_by("pk")

    with django_capture_on_commit_callbacks(execute=True):
        first, final = run_action(
            organiser_client, TICKETS, "cancel_places", [ticket.pk]
        )
    assert "Ada0 Lovelace" in first.content.decode()
    assert f"Cancelled 1 place in {order.reference}." in texts(final)

    order.refresh_from_db()
    ticket.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert ticket.status == Ticket.Status.CANCELLED
    assert {t.status for t in Ticket.objects.filter(pk__in=[t.pk for t in others])} == {
        Ticket.Status.CONFIRMED
    }
    refund = Refund.objects.get(order=order)
    assert refund.amount_pence == 9500
    assert refund.status == Refund.Status.SUCCEEDED
    assert [r["amount"] for r in fake_stripe.refunds.values()] == [9500]
    assert (order.refunded_pence, order.payment_status) == (9500, "paid")
    event.refresh_from_db()
    assert event.places_taken == 2


def test_cancel_place_link_on_the_order_page(organiser_client, event, free_type):
    order = book(event, free_type, count=2)
    ticket = order.tickets.order_by("pk").first()
    url = reverse("admin:tickets_order_cancel_place", args=[order.pk, ticket.pk])
    assert url in change_page(organiser_client, order).content.decode()
    assert organiser_client.get(url).status_code == 200

    organiser_client.post(url, {"post": "yes"})
    ticket.refresh_from_db()
    order.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    assert order.status == Order.Status.CONFIRMED
    assert order.tickets.filter(status=Ticket.Status.CONFIRMED).count() == 1

    # Cancelling the same place again is refused with the service's reason.
    response = organiser_client.post(url, {"post": "yes"}, follow=True)
    assert any("already been cancelled" in m for m in texts(response))


def test_a_place_of_another_order_is_not_found(organiser_client, event, free_type):
    order = book(event, free_type)
    other = book(event, free_type)
    url = reverse(
        "admin:tickets_order_cancel_place",
        args=[order.pk, other.tickets.get().pk],
    )
    assert organiser_client.get(url).status_code == 404


def test_changing_an_attendee_goes_into_the_history(organiser_client, event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    data = {
        "first_name": "Alan",
        "last_name": "Turing",
        "email": "alan@example.gov.uk",
        "organisation": ticket.organisation,
        "job_title": "",
        "sector": ticket.sector,
        "access_needs": "",
        "dietary_needs": "",
    }
    response = organiser_client.post(
        reverse("admin:tickets_ticket_change", args=[ticket.pk]), data
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.full_name == "Alan Turing"
    change = order.changes.get(action="details_changed")
    assert change.actor == "organiser"


# -- invoices ---------------------------------------------------------------------


def test_mark_invoices_paid(organiser_client, invoice_event, free_type, paid_type):
    invoice = invoice_order(invoice_event, paid_type)
    free = book(invoice_event, free_type)

    _first, final = run_action(
        organiser_client, ORDERS, "mark_invoices_paid", [invoice.pk, free.pk]
    )
    messages = texts(final)
    assert f"Marked 1 invoice paid: {invoice.reference}." in messages
    assert any("Skipped 1 order" in m and free.reference in m for m in messages)

    invoice.refresh_from_db()
    assert invoice.payment_status == Order.PaymentStatus.PAID
    assert invoice.paid_pence == 19000
    assert invoice.invoice.paid_at is not None
    assert invoice.changes.filter(action="invoice_paid", actor="organiser").exists()
    free.refresh_from_db()
    assert free.payment_status == Order.PaymentStatus.NOT_REQUIRED


def test_mark_paid_button_with_a_note(organiser_client, invoice_event, paid_type):
    order = invoice_order(invoice_event, paid_type)
    url = reverse("admin:tickets_order_invoice_paid", args=[order.pk])
    assert url in change_page(organiser_client, order).content.decode()
    assert organiser_client.get(url).status_code == 200
    organiser_client.post(url, {"post": "yes", "note": "BACS 4471"})
    order.refresh_from_db()
    assert order.payment_status == Order.PaymentStatus.PAID
    assert order.invoice.payment_note == "BACS 4471"


def test_invoice_pdf(organiser_client, invoice_event, free_type, paid_type):
    order = invoice_order(invoice_event, paid_type)
    response = organiser_client.get(
        reverse("admin:tickets_order_invoice", args=[order.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert order.invoice.number in response["Content-Disposition"]

    free = book(invoice_event, free_type)
    url = reverse("admin:tickets_order_invoice", args=[free.pk])
    assert organiser_client.get(url).status_code == 404
    missing = reverse("admin:tickets_order_invoice", args=[free.pk + 1000])
    assert organiser_client.get(missing).status_code == 404


# -- refunds and Stripe events ------------------------------------------------------


def test_retry_card_refunds_now(
    organiser_client, event, paid_type, fake_stripe, django_capture_on_commit_callbacks
):
    order = card_paid_order(event, paid_type, fake_stripe)
    fake_stripe.fail_next("/v1/refunds", times=10)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(organiser_client, ORDERS, "cancel_orders", [order.pk])
    refund = Refund.objects.get(order=order)
    assert refund.status == Refund.Status.PENDING  # Stripe was down

    page = organiser_client.get(REFUNDS)
    assert page.status_code == 200
    assert order.reference in page.content.decode()

    fake_stripe.fail_next("/v1/refunds", times=10)
    _first, final = run_action(
        organiser_client, REFUNDS, "retry_card_refunds", [refund.pk]
    )
    assert any("Stripe did not make the refund" in m for m in texts(final))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.PENDING
    assert refund.failure_message

    fake_stripe._failures.clear()
    _first, final = run_action(
        organiser_client, REFUNDS, "retry_card_refunds", [refund.pk]
    )
    assert any("Refunded £190.00" in m for m in texts(final))
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(fake_stripe.refunds) == 1

    # A refund that is done is skipped, not sent again.
    _first, final = run_action(
        organiser_client, REFUNDS, "retry_card_refunds", [refund.pk]
    )
    assert any("Skipped 1 refund" in m for m in texts(final))
    assert len(fake_stripe.refunds) == 1


def test_refund_and_stripe_event_pages_are_read_only(
    organiser_client, invoice_event, paid_type
):
    order = invoice_order(invoice_event, paid_type)
    run_action(organiser_client, ORDERS, "mark_invoices_paid", [order.pk])
    run_action(organiser_client, ORDERS, "cancel_orders", [order.pk])
    refund = Refund.objects.get()
    page = organiser_client.get(
        reverse("admin:tickets_refund_change", args=[refund.pk])
    )
    assert page.status_code == 200
    assert "Save" not in page.content.decode()
    assert organiser_client.get(reverse("admin:tickets_refund_add")).status_code == 403

    event = StripeEvent.objects.create(event_id="evt_1", type="x.y", order=order)
    page = organiser_client.get(reverse("admin:tickets_stripeevent_changelist"))
    assert page.status_code == 200
    assert "evt_1" in page.content.decode()
    change = reverse("admin:tickets_stripeevent_change", args=[event.pk])
    page = organiser_client.get(change)
    assert page.status_code == 200
    assert "Save" not in page.content.decode()
    assert organiser_client.post(change, {"event_id": "evt_2"}).status_code == 403
    add = reverse("admin:tickets_stripeevent_add")
    assert organiser_client.get(add).status_code == 403
    delete = reverse("admin:tickets_stripeevent_delete", args=[event.pk])
    assert organiser_client.get(delete).status_code == 403


def test_order_change_is_not_registered_on_its_own():
    from django.contrib import admin

    assert not admin.site.is_registered(OrderChange)


# -- permissions --------------------------------------------------------------------


@pytest.fixture
def viewer_client(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="pw")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="tickets",
            codename__in=["view_order", "view_ticket", "view_refund"],
        )
    )
    client.force_login(viewer)
    return client


def test_staff_without_change_permission_cannot_run_actions(
    viewer_client, invoice_event, paid_type
):
    order = invoice_order(invoice_event, paid_type)
    ticket = order.tickets.first()

    page = viewer_client.get(ORDERS)
    assert page.status_code == 200
    choices = action_choices(page)
    assert "cancel_orders" not in choices
    assert "mark_invoices_paid" not in choices
    page = viewer_client.get(TICKETS)
    assert "cancel_places" not in action_choices(page)

    # Posting the actions anyway does nothing.
    for action in ("cancel_orders", "mark_invoices_paid"):
        viewer_client.post(
            ORDERS, {"action": action, ACTION_CHECKBOX_NAME: [order.pk], "post": "yes"}
        )
    viewer_client.post(
        TICKETS,
        {"action": "cancel_places", ACTION_CHECKBOX_NAME: [ticket.pk], "post": "yes"},
    )
    # ...nor do the order page's own buttons.
    for name, args in [
        ("admin:tickets_order_cancel", [order.pk]),
        ("admin:tickets_order_cancel_place", [order.pk, ticket.pk]),
        ("admin:tickets_order_invoice_paid", [order.pk]),
    ]:
        url = reverse(name, args=args)
        assert viewer_client.get(url).status_code == 403
        assert viewer_client.post(url, {"post": "yes"}).status_code == 403

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == Order.PaymentStatus.AWAITING
    assert not order.tickets.filter(status=Ticket.Status.CANCELLED).exists()

    # They can still see the order, its history and the invoice.
    page = change_page(viewer_client, order)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Booked 2 places, to be paid by invoice." in content
    assert reverse("admin:tickets_order_cancel", args=[order.pk]) not in content
    pdf = viewer_client.get(reverse("admin:tickets_order_invoice", args=[order.pk]))
    assert pdf.status_code == 200


def test_people_who_are_not_staff_get_no_pdf(
    client, django_user_model, invoice_event, paid_type
):
    order = invoice_order(invoice_event, paid_type)
    user = django_user_model.objects.create_user("someone", password="pw")
    client.force_login(user)
    response = client.get(reverse("admin:tickets_order_invoice", args=[order.pk]))
    assert response.status_code == 302  # to the admin's log-in page


def test_staff_with_change_order_permission_can_cancel(
    client, django_user_model, event, free_type
):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="tickets",
            codename__in=["view_order", "change_order", "view_ticket"],
        )
    )
    client.force_login(clerk)
    order = book(event, free_type)
    choices = action_choices(client.get(ORDERS))
    assert {"cancel_orders", "mark_invoices_paid"} <= set(choices)
    # Cancelling places from the Tickets list also needs change_ticket.
    assert "cancel_places" not in action_choices(client.get(TICKETS))

    _first, final = run_action(client, ORDERS, "cancel_orders", [order.pk])
    assert f"Cancelled 1 booking: {order.reference}." in texts(final)
    assert order.changes.get(action="cancelled").actor == "clerk"
