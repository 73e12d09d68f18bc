"""Authentication backends."""

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler

# What axes copies from the request's headers into its records. PostgreSQL
# refuses NUL in text, so a NUL in a header must not reach them (a 500).
_AXES_HEADER_COPIES = ("axes_user_agent", "axes_http_accept", "axes_path_info")


class AxesBackend(AxesStandaloneBackend):
    """django-axes' lockout for every log-in made from a request (the admin's
    and the door's log-in pages). authenticate() without a request (a shell,
    Django's test client) has no address to lock out, so axes stays out of it
    instead of refusing it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        AxesProxyHandler.update_request(request)
        for name in _AXES_HEADER_COPIES:
            value = getattr(request, name, None)
            if isinstance(value, str) and "\x00" in value:
                setattr(request, name, value.replace("\x00", ""))
        return super().authenticate(request, username, password, **kwargs)
