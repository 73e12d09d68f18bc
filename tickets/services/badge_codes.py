"""Badge codes: what a ticket's QR code carries. A code is replaced when the
place is cancelled or passed on, and the old one is kept as revoked so the
door can say why it no longer admits anyone."""

from ..models import RevokedSecret, Ticket, new_ticket_secret


def ticket_code_revoke(*, ticket: Ticket, reason: str) -> None:
    """Give a (locked) ticket a new code; the old one stops working."""
    RevokedSecret.objects.create(secret=ticket.secret, ticket=ticket, reason=reason)
    ticket.secret = new_ticket_secret()
    Ticket.objects.filter(pk=ticket.pk).update(secret=ticket.secret)
