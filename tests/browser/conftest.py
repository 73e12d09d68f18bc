"""Real-browser fixtures: Debian's Chromium driven by Playwright's sync API.

Every page a browser test loads must be checked with axe-core. The `page`
fixture records each page load in its tab and `check_a11y` marks them
checked: a test that loads a page and moves on (or ends) without checking it
fails, as does one whose pages get a 4xx/5xx response from the site or throw
a JavaScript error.

Run with:  .venv/bin/python -m pytest tests/browser -q   (or -m browser)
Skip with: .venv/bin/python -m pytest -m "not browser"
Needs /usr/bin/chromium (Debian's; never `playwright install`) and
node_modules/axe-core.
"""

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

# Playwright's sync API runs an asyncio loop in the test thread; Django's ORM
# refuses to run beside one unless told it is safe (it is: we never await).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import (  # noqa: E402
    Browser,
    Locator,
    Page,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STYLESHEET = "/static/dist/psdm.css"
ADMIN_STYLESHEET = "/static/admin/css/base.css"
REFERENCE_RE = re.compile(r"^PSDM-[A-Z0-9]{5}$")
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}

# Playwright's default 30 s would hide a hang for most of the suite's budget.
expect.set_options(timeout=10_000)


# --- Browser --------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Browser:
    """Chromium for this package's tests, stopped after the last of them.

    Package scope, not session: Playwright's sync API keeps an asyncio loop
    in the main thread while it runs, which the other tests should not see.
    """
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` first")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class PageLog:
    """What happened in one browser tab, checked when the test ends."""

    loads: list[str] = field(default_factory=list)
    checked: int = 0
    bad_responses: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _note_csp_violation(log: PageLog, text: str) -> None:
    if "Content Security Policy" in text or text.startswith("CSP violation"):
        log.csp_violations.append(text)


def _open_page(browser: Browser, live_server, request, **context_options):
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", **context_options
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    log = PageLog()
    page.on("load", lambda p: log.loads.append(p.url))
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and r.url.startswith(live_server.url)
            and log.bad_responses.append(f"{r.status} {r.url}")
        ),
    )
    page.on("pageerror", lambda exc: log.js_errors.append(str(exc)))
    # The Content Security Policy refuses inline scripts and styles: each
    # refusal is a broken page (Chromium reports it on the console).
    page.add_init_script(CSP_LISTENER)
    page.on("console", lambda message: _note_csp_violation(log, message.text))
    page.psdm_log = log
    yield page
    context.close()
    if getattr(request.node, "rep_call_failed", False):
        return  # The test's own failure says more; don't pile on.
    unchecked = log.loads[log.checked :]
    assert not unchecked, f"pages loaded but never axe-checked: {unchecked}"
    assert not log.bad_responses, f"error responses: {log.bad_responses}"
    assert not log.js_errors, f"JavaScript errors: {log.js_errors}"
    assert not log.csp_violations, f"CSP violations: {log.csp_violations}"


@pytest.fixture
def page(browser, live_server, request, media) -> Page:
    """A desktop-sized tab on the live server (relative URLs work)."""
    yield from _open_page(browser, live_server, request, viewport=DESKTOP)


@pytest.fixture
def mobile_page(browser, live_server, request, media) -> Page:
    """A phone-sized touch screen tab (390 x 844 CSS pixels, like an iPhone 14)."""
    yield from _open_page(
        browser,
        live_server,
        request,
        viewport=MOBILE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_failed = report.failed or hasattr(report, "wasxfail")
    return report


# --- Uploaded images ------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """Uploads go to a temporary MEDIA_ROOT that the live server serves.

    psdm/urls.py serves /media/ from wherever MEDIA_ROOT points now, so
    speaker photos and sponsor logos really load (and leave var/ alone).
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png_bytes(size=(120, 60), colour=(47, 26, 92)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


# --- Accessibility --------------------------------------------------------


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    {target}: {node['html'][:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.append("      " + summary.replace("\n", "\n      "))
    return "\n".join(lines)


def check_a11y(page: Page, *, stylesheet: str = STYLESHEET) -> None:
    """Assert the page as it stands has no axe-core violations, styles applied.

    Call it after every page load (and after any change worth checking, such
    as an error summary appearing). The `page` fixture fails the test if a
    load was never checked. Admin pages pass ADMIN_STYLESHEET.
    """
    page.wait_for_load_state("load")
    styled = page.evaluate(
        """(href) => [...document.styleSheets].some(
            (sheet) => sheet.href && sheet.href.endsWith(href)
                && sheet.cssRules.length > 0)""",
        stylesheet,
    )
    assert styled, f"{page.url}: {stylesheet} is not applied, so contrast is untested"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the DevTools protocol, which the site's Content Security
        # Policy (no inline scripts) does not apply to, unlike a <script> tag.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    # preload: false stops axe copying the page's style sheets into <style>
    # elements of its own, which the Content Security Policy refuses.
    violations = page.evaluate(
        "async () => (await axe.run(document, {preload: false})).violations"
    )
    assert not violations, (
        f"axe-core found {len(violations)} accessibility violation(s) on "
        f"{page.url}:\n{format_violations(violations)}"
    )
    log = getattr(page, "psdm_log", None)
    if log is not None:
        skipped = log.loads[log.checked : -1]
        assert not skipped, f"pages loaded but never axe-checked: {skipped}"
        log.checked = len(log.loads)


def visit(page: Page, path: str) -> None:
    """Go to a page, check it loaded with 200 and check it with axe."""
    response = page.goto(path)
    assert response is not None and response.status == 200, (
        f"GET {path}: {response.status if response else 'no response'}"
    )
    check_a11y(page)


# --- Keyboard -------------------------------------------------------------


def has_focus(locator: Locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


def tab_to(page: Page, target: Locator, *, max_presses: int = 40) -> int:
    """Press Tab until `target` has focus, as a keyboard user would.

    Returns the number of presses. Fails if the element is never reached.
    """
    for presses in range(1, max_presses + 1):
        page.keyboard.press("Tab")
        if has_focus(target):
            return presses
    raise AssertionError(
        f"{target} not reached after {max_presses} Tab presses; "
        f"focus is on {focused(page)}"
    )


def focused(page: Page) -> str:
    """Describe the focused element (for assertion messages)."""
    return page.evaluate("() => document.activeElement?.outerHTML?.slice(0, 200)")


def press_and_load(page: Page, key: str = "Enter") -> int:
    """Press a key that should load a new page; wait for it and return its status."""
    with page.expect_navigation(wait_until="load") as navigation:
        page.keyboard.press(key)
    response = navigation.value
    return response.status if response else 0


# --- Reservations ---------------------------------------------------------

HOLD_TITLE = "Your places are reserved"
# A time as the site writes it (events.templatetags.psdm.govuk_time).
TIME_RE = r"(\d{1,2}(:\d\d)?[ap]m|midday)"
CANCEL_HOLD = "Cancel and release these places"


def expect_hold(page: Page, places: int) -> Locator:
    """The step's "Your places are reserved" banner holds `places` places,
    with the time they are held until and the minutes left; return it."""
    banner = page.get_by_role("region", name=HOLD_TITLE)
    expect(banner).to_be_visible()
    what = "your place" if places == 1 else f"your {places} places"
    expect(banner.locator("#hold-countdown")).to_have_text(
        re.compile(
            rf"^\s*We're holding {what} until {TIME_RE}"
            r" – (1 minute|\d+ minutes) left\s*$"
        )
    )
    expect(banner.get_by_role("button", name=CANCEL_HOLD)).to_be_visible()
    expect(page.locator("#hold-announce")).to_have_attribute("aria-live", "assertive")
    return banner
