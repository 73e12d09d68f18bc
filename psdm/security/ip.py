"""The client's address, as far as this site can trust it.

Behind N reverse proxies (PSDM_TRUSTED_PROXY_COUNT), each appends the
address it got the request from to X-Forwarded-For, so the client is the
N-th address from the right; anything further left was sent by the client
and may be made up. With no proxies (the default locally), REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """Return the client's IP address as text ("" if there is none)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PSDM_TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[max(len(forwarded) - proxies, 0)]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_key(request) -> str:
    """Return the client's address for counting requests: IPv6 by its /64,
    since one home or phone gets a whole /64 to choose addresses from."""
    text = client_ip(request)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
