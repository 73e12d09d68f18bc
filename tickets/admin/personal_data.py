"""The organiser's "Personal data for one person" pages: find everything
held under an e-mail address, download a copy (JSON), erase it.

Only staff with tickets.personal_data (the Organiser group has it) reach
them; others are told no (403). The rules are in
tickets.services.personal_data.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from ..models import Order
from ..services import Actor
from ..services.personal_data import (
    ErasureRefused,
    personal_data_erase,
    personal_data_erase_blockers,
    personal_data_export,
    personal_data_find,
)

PERMISSION = "tickets.personal_data"


class PersonForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter an e-mail address, like name@example.com"),
            "invalid": _("Enter an e-mail address, like name@example.com"),
        },
    )


def _guarded(view):
    def wrapper(request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        request.current_app = admin.site.name
        return view(request, *args, **kwargs)

    return never_cache(admin.site.admin_view(wrapper))


def _context(request, title: str, **extra) -> dict:
    return {
        **admin.site.each_context(request),
        "opts": Order._meta,
        "title": title,
        **extra,
    }


def _person_url(name: str, email: str) -> str:
    return reverse(f"personal_data:{name}") + "?" + urlencode({"email": email})


def person(request):
    """Search by address; show what is held and what can be done."""
    bound = "email" in request.GET
    form = PersonForm(request.GET if bound else None)
    extra = {"form": form}
    if bound and form.is_valid():
        email = form.cleaned_data["email"]
        extra.update(
            email=email,
            found=personal_data_find(email=email),
            blockers=personal_data_erase_blockers(email=email),
            export_url=_person_url("export", email),
            erase_url=_person_url("erase", email),
        )
    return TemplateResponse(
        request,
        "admin/tickets/order/personal_data.html",
        _context(request, gettext("Personal data for one person"), **extra),
    )


def export(request):
    """Download everything held under the address, as JSON."""
    form = PersonForm(request.GET)
    if not form.is_valid():
        return HttpResponseRedirect(reverse("personal_data:person"))
    email = form.cleaned_data["email"]
    data = personal_data_export(email=email)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json",
    )
    name = f"personal-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def erase(request):
    """Confirm, then erase everything held under the address."""
    data = request.POST if request.method == "POST" else request.GET
    form = PersonForm(data)
    if not form.is_valid():
        return HttpResponseRedirect(reverse("personal_data:person"))
    email = form.cleaned_data["email"]
    back = _person_url("person", email)
    if request.method == "POST" and request.POST.get("post") == "yes":
        try:
            personal_data_erase(email=email, actor=Actor.user(request.user))
        except ErasureRefused as exc:
            for reason in exc.reasons:
                messages.error(request, reason)
            return HttpResponseRedirect(back)
        messages.success(
            request,
            gettext(
                "The personal data held under that address was erased. Each "
                "order it touched says so in its history."
            ),
        )
        return HttpResponseRedirect(reverse("personal_data:person"))
    return TemplateResponse(
        request,
        "admin/tickets/order/personal_data_erase.html",
        _context(
            request,
            gettext("Erase the personal data of %(email)s?") % {"email": email},
            email=email,
            found=personal_data_find(email=email),
            blockers=personal_data_erase_blockers(email=email),
            back_url=back,
        ),
    )


app_name = "personal_data"
urlpatterns = [
    path("", _guarded(person), name="person"),
    path("export/", _guarded(export), name="export"),
    path("erase/", _guarded(erase), name="erase"),
]
