"""Turning an outbox row into the e-mail message that is sent."""

from .build import message_build

__all__ = ["message_build"]
