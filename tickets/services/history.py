"""Who changed an order, what they did and when: one OrderChange per change."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ..models import Order, OrderChange, Ticket


@dataclass(frozen=True)
class Actor:
    """Whoever is making a change: the buyer, an organiser, Stripe, the system."""

    label: str
    user_id: int | None = None

    @classmethod
    def buyer(cls) -> "Actor":
        return cls(_("The buyer"))

    @classmethod
    def stripe(cls) -> "Actor":
        return cls("Stripe")

    @classmethod
    def system(cls) -> "Actor":
        return cls(_("The booking system"))

    @classmethod
    def user(cls, user) -> "Actor":
        return cls(user.get_username(), user.pk)


def order_change_record(
    *,
    order: Order,
    actor: Actor,
    action: str,
    message: str,
    ticket: Ticket | None = None,
) -> OrderChange:
    return OrderChange.objects.create(
        order=order,
        ticket=ticket,
        actor=actor.label,
        user_id=actor.user_id,
        action=action,
        message=message,
    )
