"""What goes wrong on a page in Chromium, watched as it happens: shared by the suite's browser
tests and `make prodcheck` (.ci/pagecheck.py), so both judge a page by the same rule. Plain
Python (no Django), so the production check can import it too."""


def watch_scripts(page) -> list[str]:
    """Content-Security-Policy violations the console reports (an inline script or style the
    policy blocked), uncaught script errors, 5xx answers and missing static files, appended to
    the list returned as they happen; the caller clears it as it likes (between pages, say)."""
    problems: list[str] = []

    def console(message) -> None:
        if "Content Security Policy" in message.text:
            problems.append(f"{page.url}: CSP: {message.text[:300]}")

    def response(answer) -> None:
        if answer.status >= 500 or (answer.status >= 400 and "/static/" in answer.url):
            problems.append(f"{answer.url} answered {answer.status}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: script error: {exc}"))
    page.on("response", response)
    return problems
