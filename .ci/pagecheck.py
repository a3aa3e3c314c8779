"""The browser half of `make prodcheck`: every kind of page the crawl opened, in Chromium.

For each role, one page of each URL shape the crawl reached (PRODCHECK_BROWSER_PER_SHAPE pages
of it) is opened in headless Chromium (Playwright driving the system browser, /usr/bin/chromium
or CHROMIUM_PATH) with the role's session:

- at 1440x900: axe-core (vendored, static/vendor/axe) finds no violation, whatever its impact,
  and the page does not scroll sideways;
- at 390x844 (a phone; the same page, resized): no sideways scroll, the header within two rows;
- all the while: no Content-Security-Policy violation or uncaught script error in the console,
  no 5xx and no missing static file among the page's requests (the production policy and the
  collected, hashed static files: what the suite's browser tests cannot see).

A page with a problem is screenshot to artifacts/prodcheck/screens/ at the viewport that shows
it; PRODCHECK_SCREENSHOTS=all keeps every page at both widths.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for tests/
from tests.page_watch import watch_scripts  # noqa: E402  (one rule with the suite's tests)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = "/static/vendor/axe/axe.min.js"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
HEADER_MAX_PX = 100  # brand + sign-out row, then one row of sections
SCREENSHOTS_ALL = os.environ.get("PRODCHECK_SCREENSHOTS", "") == "all"

# The elements sticking out of the viewport, outside any box that scrolls or clips them: what
# makes a page scroll sideways, named well enough to find in a template.
OVERFLOW_JS = """
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const overflow = root.scrollWidth - width;
  if (overflow <= 0) return {overflow: 0, culprits: []};
  const absolute = (el) => ['absolute', 'fixed'].includes(getComputedStyle(el).position);
  // Inside a box that scrolls or clips it: an absolute element escapes every box up to its
  // containing block (the nearest positioned ancestor).
  const clipped = (el) => {
    let escaping = absolute(el);
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (escaping && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      escaping = absolute(p);
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].slice(0, 3).map((c) => '.' + c).join('');
  const offenders = new Set();
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1 && !clipped(el)) offenders.add(el);
  }
  // The outermost offenders: the ones whose parent is not one.
  const culprits = [...offenders].filter((el) => !offenders.has(el.parentElement)).slice(0, 4)
    .map((el) => name(el) + ' (' + Math.round(el.getBoundingClientRect().right - width) + 'px)');
  return {overflow, culprits};
}
"""
HEADER_JS = """
() => {
  const header = document.querySelector('.topbar');
  return header ? header.getBoundingClientRect().height : 0;
}
"""


@dataclass
class PageCheck:
    """What the browser stage found, over all roles."""

    pages: Counter = field(default_factory=Counter)  # role -> pages opened
    violations: Counter = field(default_factory=Counter)  # "impact rule" -> pages with it
    overflow: Counter = field(default_factory=Counter)  # "390"/"1440" -> pages that overflow
    script: int = 0  # pages with a CSP violation, a script error or a failed request
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: list[tuple[float, str]] = field(default_factory=list)  # (seconds, page) each


def _axe(page) -> list[tuple[str, str]]:
    """(impact and rule, text) of each violation axe-core finds on the page (critical, serious,
    moderate or minor: the demo has none of any impact, and a new one fails the check)."""
    page.add_script_tag(url=AXE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        (
            f"{v['impact']} {v['id']}",
            f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. "
            f"{v['nodes'][0]['target']}: {v['nodes'][0].get('failureSummary', '')[:160]!r})",
        )
        for v in result["violations"]
    ]


def _slug(role: str, path: str, width: int) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", f"{role}{path}").strip("_")[:120] + f"-{width}.png"


def check_pages(
    *,
    base: str,
    pages_by_role: dict[str, list[tuple[str, int]]],
    cookies_by_role: dict[str, dict[str, str]],
    artifacts: Path,
    deadline: float,
    log,
) -> PageCheck:
    """Open each listed page of each role, which must answer the status given with it (the
    anonymous customer's role has no cookies)."""
    screens = artifacts / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    for old in screens.glob("*.png"):
        old.unlink()
    found = PageCheck()
    started = time.monotonic()
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"],
        )
        try:
            for role, paths in pages_by_role.items():
                context = browser.new_context(
                    base_url=base,
                    viewport=DESKTOP,
                    # As the crawl: the server sits behind an HTTPS proxy.
                    extra_http_headers={"X-Forwarded-Proto": "https"},
                )
                context.add_cookies(
                    [
                        {"name": name, "value": value, "url": base}
                        for name, value in cookies_by_role.get(role, {}).items()
                    ]
                )
                page = context.new_page()
                page.set_default_timeout(30000)
                page_errors = watch_scripts(page)
                for path, status in paths:
                    if time.monotonic() > deadline:
                        found.problems.append(
                            f"browser: the budget ran out before {role} {path} (and the rest)"
                        )
                        break
                    page_errors.clear()
                    _check_one(page, role, path, status, found, screens)
                    if page_errors:
                        found.script += 1
                        found.problems.extend(f"browser {role} {path}: {e}" for e in page_errors)
                context.close()
        finally:
            browser.close()
    found.seconds = time.monotonic() - started
    return found


def _check_one(page, role: str, path: str, status: int, found: PageCheck, screens: Path) -> None:
    found.pages[role] += 1
    started = time.monotonic()
    page.set_viewport_size(DESKTOP)
    response = page.goto(path, wait_until="load")
    if response is None or response.status != status:
        answer = response.status if response else "no response"
        found.problems.append(f"browser {role}: GET {path} -> {answer}, not {status}")
        return
    if urlparse(page.url).path != urlparse(path).path:
        found.problems.append(f"browser {role}: {path} went to {page.url} (signed out?)")
        return
    _settle(page)
    violations = _axe(page)
    found.violations.update(key for key, _text in violations)
    problems = [f"axe {text}" for _key, text in violations]
    wide = page.evaluate(OVERFLOW_JS)
    if wide["overflow"] > 0:
        found.overflow["1440"] += 1
        problems.append(f"1440px: scrolls {wide['overflow']}px sideways: {wide['culprits']}")
    if problems or SCREENSHOTS_ALL:
        page.screenshot(path=str(screens / _slug(role, path, 1440)), full_page=True)
    phone_problems = []
    page.set_viewport_size(PHONE)
    _settle(page)
    narrow = page.evaluate(OVERFLOW_JS)
    if narrow["overflow"] > 0:
        found.overflow["390"] += 1
        phone_problems.append(
            f"390px: scrolls {narrow['overflow']}px sideways: {narrow['culprits']}"
        )
    header = page.evaluate(HEADER_JS)
    if header > HEADER_MAX_PX:
        phone_problems.append(f"390px: the header is {header:.0f}px tall (wraps)")
    if phone_problems or SCREENSHOTS_ALL:
        page.screenshot(path=str(screens / _slug(role, path, 390)), full_page=True)
    found.problems.extend(f"browser {role} {path}: {p}" for p in problems + phone_problems)
    found.timings.append((time.monotonic() - started, f"{role} {path}"))


# Resolves once htmx has no request in flight (its requests on load: the bell, a table) or 5 s
# have passed, and a few frames later (Chart.js redraws a resized chart on the next frame).
SETTLE_JS = """
() => new Promise((resolve) => {
  const started = performance.now();
  const frames = (n) => n ? requestAnimationFrame(() => frames(n - 1)) : resolve();
  const poll = () => {
    if (!document.querySelector('.htmx-request') || performance.now() - started > 5000) {
      setTimeout(() => frames(3), 50);
    } else {
      setTimeout(poll, 50);
    }
  };
  poll();
})
"""


def _settle(page) -> None:
    """Let htmx's requests on load finish and the charts draw."""
    page.evaluate(SETTLE_JS)
