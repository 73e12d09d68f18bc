"""django-axes hooks: what its log lines say about a client."""


def client_str(username, ip_address, user_agent, path_info, request) -> str:
    """Name a log-in attempt in axes' logs by the page only: no username,
    address or browser (personal data stays out of the logs)."""
    return f"{{path_info: {path_info!r}}}"
