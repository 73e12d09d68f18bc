"""django-axes hooks: what its log lines say about a client."""


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """Name a log-in attempt in axes' logs by the page only: no username,
    address or browser (personal data stays out of the logs)."""
    return f"{{path_info: {path_info!r}}}"


# The length of axes' username columns.
USERNAME_MAX_LENGTH = 255


def client_username(request, credentials=None):
    """The username axes counts and records (AXES_USERNAME_CALLABLE): as
    typed, without NUL and cut to axes' column, so a junk log-in cannot make
    PostgreSQL refuse axes' record (that was a 500). Django's log-in forms do
    not limit the username's length, and no real one is that long."""
    from django.conf import settings

    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = request.POST.get(field) if request is not None else None
    if not isinstance(username, str):
        return username
    return username.replace("\x00", "")[:USERNAME_MAX_LENGTH]
