"""Authentication backends."""

from axes.backends import AxesStandaloneBackend


class AxesBackend(AxesStandaloneBackend):
    """django-axes' lockout for every log-in made from a request (the admin's
    and the door's log-in pages). authenticate() without a request (a shell,
    Django's test client) has no address to lock out, so axes stays out of it
    instead of refusing it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
