"""Errors a buyer or organiser is shown; each carries its own message."""


class BookingError(Exception):
    """A booking that cannot be made; the message is shown to the buyer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidBooking(BookingError):
    pass


class BookingClosed(BookingError):
    pass


class SoldOut(BookingError):
    pass


class PaymentNotAvailable(BookingError):
    pass


class BookingBusy(BookingError):
    pass


class PaymentStartFailed(BookingError):
    """Stripe could not start a checkout; the places have been given back."""


class ChangeNotAllowed(BookingError):
    """A change to an existing order that its state or a deadline forbids."""
