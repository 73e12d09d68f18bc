"""Split a gunicorn worker's CPU by layer, for bench/pages.py --layers.

Wraps, in the worker only, each middleware (through the handler chain
Django builds), the URL resolver, session load and save, template
rendering, crispy-forms' tags, the form renderer's widgets, form
validation, the ORM's query compiler, the database driver, logging and
context processors. Each wrapper measures the thread's CPU; a layer's
"self" time excludes the wrapped layers it calls, so the selves of one
request add up to its WSGI time. "incl" is the outermost call's time with
everything under it (e.g. crispy-forms including the templates it renders).
"""

import functools
import time
from collections import defaultdict

_clock = time.thread_time_ns
current = {"label": ""}
_self = defaultdict(lambda: defaultdict(int))
_incl = defaultdict(lambda: defaultdict(int))
_active = defaultdict(int)  # layer -> depth, for "incl" of the outermost call
_stack: list = []  # [child time] per active wrapper


def _wrap(layer, fn):
    @functools.wraps(fn)
    def timed(*args, **kwargs):
        started = _clock()
        _stack.append(0)
        _active[layer] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            total = _clock() - started
            children = _stack.pop()
            _active[layer] -= 1
            label = current["label"]
            _self[label][layer] += total - children
            if not _active[layer]:
                _incl[label][layer] += total
            if _stack:
                _stack[-1] += total

    return timed


def _patch(owner, name, layer):
    setattr(owner, name, _wrap(layer, getattr(owner, name)))


def install_app(wsgi_handler):
    """Wrap Django's layers, then rebuild `wsgi_handler`'s middleware chain
    so each middleware is timed on its own."""
    import crispy_forms.templatetags.crispy_forms_filters as crispy_filters
    import crispy_forms.templatetags.crispy_forms_tags as crispy_tags
    import django.core.handlers.base as handler_base
    from django.db.backends import utils as db_utils
    from django.db.models.sql import compiler
    from django.forms import boundfield, forms, widgets
    from django.template import base as template_base
    from django.template import context as template_context
    from django.urls import resolvers

    original = handler_base.convert_exception_to_response

    def convert(get_response):
        name = getattr(get_response, "__self__", get_response).__class__.__name__
        if name == "WSGIHandler":
            name = "view (after process_view middleware)"
        else:
            name = f"middleware {name}"
        return original(_wrap(name, get_response))

    handler_base.convert_exception_to_response = convert
    wsgi_handler.load_middleware()
    handler_base.convert_exception_to_response = original
    from django.core.handlers.wsgi import WSGIHandler

    _patch(WSGIHandler, "__call__", "WSGI handler (request and response objects)")

    _patch(resolvers.URLResolver, "resolve", "url resolve")
    from django.contrib.sessions.backends import cache, cached_db, db, signed_cookies

    # (SessionBase._session is a property made from the original
    # _get_session, so each engine's load() is wrapped instead.)
    for module in (db, cache, cached_db, signed_cookies):
        for method in ("load", "save"):
            if method in module.SessionStore.__dict__:
                _patch(module.SessionStore, method, f"session {method}")
    try:
        from psdm.ops import sessions

        _patch(sessions.SessionStore, "load", "session load")
    except ImportError:
        pass
    _patch(template_base.Template, "render", "templates")
    _patch(template_context.RequestContext, "bind_template", "context processors")
    _patch(crispy_tags.CrispyFormNode, "render", "crispy-forms")
    if hasattr(crispy_filters, "as_crispy_form"):
        crispy_filters.as_crispy_form = _wrap(
            "crispy-forms", crispy_filters.as_crispy_form
        )
    _patch(widgets.Widget, "render", "widgets")
    _patch(boundfield.BoundField, "__str__", "widgets")
    _patch(forms.BaseForm, "full_clean", "form validation")
    _patch(compiler.SQLCompiler, "execute_sql", "ORM")
    _patch(db_utils.CursorWrapper, "execute", "database driver")
    _patch(db_utils.CursorWrapper, "executemany", "database driver")
    import logging

    _patch(logging.Logger, "handle", "logging")


def totals() -> dict:
    return {
        label: {
            "self": dict(_self[label]),
            "incl": dict(_incl[label]),
        }
        for label in _self
    }
