"""Sessions in the database with Redis in front of it (Django's cached_db),
that keep working while Redis is down: every cache error falls back to the
database. Django's own cached_db already does so for reading and saving,
but not after reading from the database, nor when it checks a new session
key or deletes a session.

DJANGO_SESSION_ENGINE=psdm.ops.sessions
"""

import logging

from django.contrib.sessions.backends import cached_db, db

logger = logging.getLogger("django.contrib.sessions")


class SessionStore(cached_db.SessionStore):
    def load(self):
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # noqa: BLE001 - Redis down: read the database
            logger.warning("Session cache unavailable")
            data = None
        if data is not None:
            return data
        stored = self._get_session_from_db()
        if not stored:
            return {}
        data = self.decode(stored.session_data)
        try:
            expiry = self.get_expiry_age(expiry=stored.expire_date)
            self._cache.set(self.cache_key, data, expiry)
        except Exception:  # noqa: BLE001 - it is cached next time
            logger.warning("Session cache unavailable")
        return data

    def exists(self, session_key):
        if session_key:
            try:
                if (self.cache_key_prefix + session_key) in self._cache:
                    return True
            except Exception:  # noqa: BLE001 - Redis down: ask the database
                logger.warning("Session cache unavailable")
        return db.SessionStore.exists(self, session_key)

    def delete(self, session_key=None):
        session_key = session_key or self.session_key
        db.SessionStore.delete(self, session_key)
        if session_key is None:
            return
        try:
            self._cache.delete(self.cache_key_prefix + session_key)
        except Exception:  # noqa: BLE001 - it expires from the cache anyway
            logger.warning("Session cache unavailable")
