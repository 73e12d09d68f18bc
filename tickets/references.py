"""Short public order references such as PSDM-7KQ3X."""

import secrets

# No 0/O, 1/I/L or U: easy to read out over the phone and type back.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "PSDM-"
LENGTH = 5


def new_reference() -> str:
    """Return a random reference; uniqueness is the database's job."""
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def looks_like_reference(text: str) -> bool:
    """Cheap check before a lookup: letters, digits and hyphens, short. Junk
    such as NUL bytes (which PostgreSQL refuses) never reaches a query."""
    return len(text) <= 16 and text.isascii() and text.replace("-", "").isalnum()
