"""Codes in admin: the organiser's form and list, and the free-place codes
of sponsors and speakers."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from events.models import Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.conftest import make_event, make_ticket_type
from tests.tickets.test_codes import book_with, make_code, sponsor_places_book
from tickets.models import BadgeRole, Code
from tickets.services.codes import CODE_ALPHABET, GENERATED_LENGTH

ADD = reverse("admin:tickets_code_add")
LIST = reverse("admin:tickets_code_changelist")


def form_data(event, **overrides) -> dict:
    data = {
        "event": event.pk,
        "code": "spring-24",
        "kind": "discount",
        "description": "",
        "discount_type": "percent",
        "discount_percent": "20",
        "discount_amount_pence": "0",
        "max_uses": "10",
        "valid_from_0": "",
        "valid_from_1": "",
        "valid_until_0": "",
        "valid_until_1": "",
        "is_active": "on",
        "sponsor": "",
        "speaker": "",
    }
    data.update(overrides)
    return data


def errors(response) -> str:
    assert response.status_code == 200
    return str(response.context["adminform"].form.errors)


def test_the_organiser_adds_a_discount_code(admin_client, event, paid_type):
    response = admin_client.post(
        ADD, form_data(event, ticket_types=[paid_type.pk], code=" spring-24 ")
    )
    assert response.status_code == 302
    code = Code.objects.get()
    assert code.code == "SPRING-24"
    assert list(code.ticket_types.all()) == [paid_type]
    assert (code.discount_percent, code.max_uses, code.uses) == (20, 10, 0)


def test_an_empty_code_is_made_unguessable(admin_client, event):
    assert admin_client.post(ADD, form_data(event, code="")).status_code == 302
    text = Code.objects.get().code
    assert len(text) == GENERATED_LENGTH >= 10
    assert set(text) <= set(CODE_ALPHABET)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"discount_percent": "0"}, "Enter a percentage from 1 to 100."),
        ({"discount_percent": "101"}, "less than or equal to 100"),
        ({"discount_percent": "-5"}, "greater than or equal to 0"),
        (
            {"discount_type": "fixed", "discount_amount_pence": "0"},
            "Enter the amount to take off each place, in pence",
        ),
        ({"discount_amount_pence": "£10"}, "Enter a whole number."),
        ({"max_uses": "0"}, "greater than or equal to 1"),
        ({"code": "no spaces!"}, "only have letters, numbers and hyphens"),
        ({"code": "x" * 40}, "at most 32 characters"),
        (
            {
                "valid_from_0": "2026-12-02",
                "valid_from_1": "09:00",
                "valid_until_0": "2026-12-01",
                "valid_until_1": "09:00",
            },
            "“Valid until” must be after “valid from”.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_reason(admin_client, event, overrides, message):
    response = admin_client.post(ADD, form_data(event, **overrides))
    assert message in errors(response)
    assert not Code.objects.exists()


def test_a_nul_in_a_code_is_refused_before_the_form(admin_client, event):
    response = admin_client.post(ADD, form_data(event, code="bad\x00code"))
    assert response.status_code == 400
    assert "Nothing has been changed" in response.content.decode()
    assert not Code.objects.exists()


def test_a_code_is_unique_per_event_whatever_its_case(admin_client, event):
    make_code(event, "SPRING-24")
    response = admin_client.post(ADD, form_data(event, code="Spring-24"))
    assert "already has that code" in errors(response)
    other = make_event(slug="other", name="Other")
    assert admin_client.post(ADD, form_data(other)).status_code == 302


def test_ticket_types_of_another_event_are_refused(admin_client, event):
    other = make_event(slug="other", name="Other")
    theirs = make_ticket_type(other, name="Theirs")
    response = admin_client.post(ADD, form_data(event, ticket_types=[theirs.pk]))
    assert "Choose ticket types of" in errors(response)


def test_allowing_fewer_places_than_used_is_refused(admin_client, event, free_type):
    code = make_code(event, max_uses=5)
    book_with(event, free_type, 3)
    url = reverse("admin:tickets_code_change", args=[code.pk])
    response = admin_client.post(url, form_data(event, code="SAVE10", max_uses="2"))
    assert "already been used for 3 places" in errors(response)
    code.refresh_from_db()
    assert code.max_uses == 5


def test_saving_the_form_never_writes_back_a_stale_count(
    admin_client, event, free_type
):
    """Places booked while the organiser edits stay counted."""
    code = make_code(event, max_uses=5)
    url = reverse("admin:tickets_code_change", args=[code.pk])
    admin_client.get(url)
    book_with(event, free_type, 2)  # meanwhile
    response = admin_client.post(url, form_data(event, code="SAVE10", max_uses="6"))
    assert response.status_code == 302
    code.refresh_from_db()
    assert (code.uses, code.max_uses) == (2, 6)


def test_the_list_shows_uses_and_finds_codes(admin_client, event):
    make_code(event, "SAVE10", max_uses=5, uses=2)
    make_code(event, "OLD", valid_until=timezone.now() - timezone.timedelta(days=1))
    make_code(event, "TALK", kind=Code.Kind.SPEAKER)
    page = admin_client.get(LIST).content.decode()
    assert "2 of 5" in page

    def listed(**params):
        response = admin_client.get(LIST, params)
        return {c.code for c in response.context["cl"].result_list}

    assert listed(kind__exact="speaker") == {"TALK"}
    assert listed(usable="no") == {"OLD"}
    assert listed(usable="yes") == {"SAVE10", "TALK"}
    assert listed(q="save") == {"SAVE10"}


# -- sponsors and speakers ----------------------------------------------------


@pytest.fixture
def sponsor(event):
    tier = SponsorTier.objects.create(name="Headline", rank=1, free_places=4)
    return Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")


def run_action(client, model: str, action: str, pks) -> str:
    url = reverse(f"admin:{model}_changelist")
    response = client.post(
        url, {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]}
    )
    assert response.status_code == 302
    return client.get(url).content.decode()


def test_the_sponsor_action_makes_a_free_places_code(admin_client, event, sponsor):
    sponsor_type = make_ticket_type(
        event, name="Sponsor", is_visible=False, badge_role=BadgeRole.SPONSOR
    )
    page = run_action(
        admin_client, "sponsors_sponsor", "sponsors_codes_create", [sponsor.pk]
    )
    code = Code.objects.get()
    assert f"code {code.code} for 4 free places" in page
    assert (code.kind, code.sponsor, code.max_uses) == ("sponsor", sponsor, 4)
    assert (code.discount_type, code.discount_percent) == ("percent", 100)
    assert list(code.ticket_types.all()) == [sponsor_type]
    # Running it again keeps the one code.
    page = run_action(
        admin_client, "sponsors_sponsor", "sponsors_codes_create", [sponsor.pk]
    )
    assert f"already has code {code.code}" in page
    assert Code.objects.count() == 1


def test_the_sponsor_action_explains_what_is_missing(admin_client, event, sponsor):
    page = run_action(
        admin_client, "sponsors_sponsor", "sponsors_codes_create", [sponsor.pk]
    )
    assert "no ticket type with the Sponsor badge role" in page
    assert not Code.objects.exists()


def test_claimed_places_come_from_the_sponsors_code(admin_client, event, sponsor):
    """n of N on the list and the sponsor's page: places booked with its code
    and not cancelled, of the tier's free places."""
    from tickets.services import Actor, order_cancel

    code = sponsor_places_book(sponsor, 3)
    page = admin_client.get(reverse("admin:sponsors_sponsor_changelist"))
    assert "3 of 4" in page.content.decode()
    order = code.tickets.first().order
    order_cancel(
        order_id=order.pk, actor=Actor.system(), ticket_ids=[code.tickets.first().pk]
    )
    page = admin_client.get(reverse("admin:sponsors_sponsor_changelist"))
    assert "2 of 4" in page.content.decode()
    change = admin_client.get(
        reverse("admin:sponsors_sponsor_change", args=[sponsor.pk])
    ).content.decode()
    assert code.code in change and "2 of 4 places used" in change


def test_the_speaker_action_makes_a_free_place_code(admin_client, event):
    speaker_type = make_ticket_type(
        event, name="Speaker", is_visible=False, badge_role=BadgeRole.SPEAKER
    )
    andy = Speaker.objects.create(event=event, name="Andy Street", slug="andy")
    page = run_action(
        admin_client, "events_speaker", "speakers_codes_create", [andy.pk]
    )
    code = Code.objects.get()
    assert f"Andy Street: code {code.code} for a free place" in page
    assert (code.kind, code.speaker, code.max_uses) == ("speaker", andy, 1)
    assert list(code.ticket_types.all()) == [speaker_type]
    change = admin_client.get(
        reverse("admin:events_speaker_change", args=[andy.pk])
    ).content.decode()
    assert code.code in change and "0 of 1 places used" in change


def test_staff_without_add_permission_cannot_make_codes(client, event, sponsor):
    from django.contrib.auth.models import Permission, User

    user = User.objects.create_user("viewer", password="pw", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="view_sponsor"),
        Permission.objects.get(codename="change_sponsor"),
    )
    client.force_login(user)
    make_ticket_type(
        event, name="Sponsor", is_visible=False, badge_role=BadgeRole.SPONSOR
    )
    page = run_action(client, "sponsors_sponsor", "sponsors_codes_create", [sponsor.pk])
    assert "You may not create codes." in page
    assert not Code.objects.exists()


def test_the_order_and_place_pages_show_the_code_used(admin_client, event, paid_type):
    code = make_code(event, discount_percent=100)
    order = book_with(event, paid_type, 2)
    ticket = order.tickets.first()
    change = reverse("admin:tickets_code_change", args=[code.pk])

    for url in (
        reverse("admin:tickets_order_change", args=[order.pk]),
        reverse("admin:tickets_ticket_change", args=[ticket.pk]),
    ):
        page = admin_client.get(url).content.decode()
        assert "code used" in page.lower(), url
        assert f'<a href="{change}">SAVE10</a> (£95.00 off)' in page, url
