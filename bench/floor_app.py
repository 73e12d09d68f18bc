"""The floor for bench/rush.py: the cheapest request gunicorn can serve.

A bare WSGI app (no Django) that bench/rush.py serves with the same gunicorn
command as the site (same worker class and count, same environment), so the
CPU of one of its requests is the yardstick the site's pages are compared
with in the same run: ``gunicorn bench.floor_app`` from the repository root.
"""

BODY = b"hello"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
