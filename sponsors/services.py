"""Write operations on sponsors."""

from django.core.files.base import ContentFile
from django.db import transaction

from . import images
from .models import Sponsor


def sponsor_logo_renditions_make(*, sponsor_id: int) -> bool:
    """Make the web and print renditions of the sponsor's logo, beside it.

    Idempotent: nothing happens when the renditions already come from the
    current logo. Pillow runs outside the transaction; the row is locked only
    to store the result, and only if the logo has not changed meanwhile.
    A removed logo takes its renditions with it. Return True if anything
    was written.
    """
    sponsor = Sponsor.objects.filter(pk=sponsor_id).first()
    if sponsor is None:
        return False
    source = sponsor.logo.name
    if source and source == sponsor.logo_renditions_of:
        return False
    if not source and not (sponsor.logo_web or sponsor.logo_print):
        return False

    web = print_ = None
    if source:
        with sponsor.logo.open("rb") as original:
            web = images.web_logo(original)
            print_ = images.print_logo(original)

    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0] if source else ""
    with transaction.atomic():
        locked = Sponsor.objects.select_for_update().get(pk=sponsor_id)
        if locked.logo.name != source:
            return False  # a newer logo arrived; its own task renders it
        old_names = [f.name for f in (locked.logo_web, locked.logo_print) if f]
        if source:
            locked.logo_web.save(f"{stem}-web.png", ContentFile(web), save=False)
            locked.logo_print.save(f"{stem}-print.png", ContentFile(print_), save=False)
        else:
            locked.logo_web = locked.logo_print = ""
        locked.logo_renditions_of = source
        locked.save(update_fields=["logo_web", "logo_print", "logo_renditions_of"])
        storage = locked.logo_web.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old_names])
    return True


def sponsor_contact_erase(*, email: str) -> int:
    """Remove the contact's name and address from every sponsor whose
    contact uses `email` (a person asked to be erased). Return how many."""
    email = (email or "").strip()
    if not email:
        return 0
    return Sponsor.objects.filter(contact_email__iexact=email).update(
        contact_name="", contact_email=""
    )
