from django.urls import path

from . import views

app_name = "tickets"

MANAGE = "bookings/<str:reference>/<str:secret>/"

urlpatterns = [
    path(
        "events/<slug:slug>/availability.json",
        views.availability_json,
        name="availability",
    ),
    path("events/<slug:slug>/book/", views.choose_places, name="choose"),
    path("events/<slug:slug>/book/code/", views.code_apply, name="code"),
    path(
        "events/<slug:slug>/book/cancel/",
        views.reservation_cancel,
        name="reservation_cancel",
    ),
    path("events/<slug:slug>/book/your-details/", views.buyer_details, name="buyer"),
    path(
        "events/<slug:slug>/book/attendee/<int:number>/",
        views.attendee_details,
        name="attendee",
    ),
    path("events/<slug:slug>/book/payment/", views.payment_method, name="payment"),
    path("events/<slug:slug>/book/invoice/", views.invoice_details, name="invoice"),
    path("events/<slug:slug>/book/check/", views.check_answers, name="check"),
    path("bookings/<str:reference>/", views.confirmation, name="confirmation"),
    path(
        "events/<slug:slug>/waiting-list/",
        views.waitlist_join_view,
        name="waitlist_join",
    ),
    path(
        "events/<slug:slug>/waiting-list/joined/",
        views.waitlist_joined,
        name="waitlist_joined",
    ),
    path("waiting-list/offers/<str:token>/", views.offer, name="offer"),
    path(MANAGE, views.manage, name="manage"),
    path(
        MANAGE + "tickets/<int:ticket_id>/change/",
        views.ticket_change,
        name="ticket_change",
    ),
    path(
        MANAGE + "tickets/<int:ticket_id>/pass-on/",
        views.ticket_change,
        {"transfer": True},
        name="ticket_transfer",
    ),
    path(
        MANAGE + "tickets/<int:ticket_id>/cancel/",
        views.cancel,
        name="ticket_cancel",
    ),
    path(
        MANAGE + "tickets/<int:ticket_id>/badge.pdf",
        views.badge_pdf_download,
        name="badge_pdf",
    ),
    path(
        MANAGE + "tickets/<int:ticket_id>/badge.png",
        views.badge_png_download,
        name="badge_png",
    ),
    path(MANAGE + "attendees/", views.attendee_list, name="attendee_list"),
    path(MANAGE + "cancel/", views.cancel, name="cancel"),
    path(MANAGE + "invoice.pdf", views.invoice_download, name="invoice_pdf"),
    path(MANAGE + "payment/return/", views.payment_return, name="payment_return"),
    path(MANAGE + "payment/cancel/", views.payment_cancel, name="payment_cancel"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
