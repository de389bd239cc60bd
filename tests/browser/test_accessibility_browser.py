"""Every page template, in Chinese and English, on the demo city: axe-core finds nothing serious, phones don't scroll.

One Chromium, one browser context per account and language, pages reused: browser tests are slow here.
"""
import re
from collections import defaultdict

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.page_table import PASSWORD, VISITS, demo_values, page_templates

LANGUAGES = {"zh_CN": "zh-CN", "en": "en-US"}  # the portal's code -> the browser's Accept-Language
PHONE_WIDTH = 375
SERIOUS = {"serious", "critical"}
ENGLISH_MONTH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
CHINESE_DATE = re.compile(r"\d+[年月日]")
FITS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
AXE_OPTIONS = {"resultTypes": ["violations"]}


def test_every_page_template_has_a_visit():
    visited = {visit.template for visit in VISITS}
    assert page_templates() - visited == set(), "add these templates to tests/browser/page_table.py"
    assert visited - page_templates() == set(), "these rows name templates that do not exist"


def _sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login)"))


def _submit_empty(page) -> int:
    """Send the page's main form with its text fields emptied: the page answers with its validation errors."""
    form = page.locator("main form[method=post]").filter(has=page.locator("input[type=text], input[type=email], "
                                                                          "textarea")).first
    form.evaluate("""form => {
        form.noValidate = true;
        form.querySelectorAll('input[type=text], input[type=email], input[type=password], textarea')
            .forEach(input => { input.value = ''; });
    }""")
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit], input[type=submit]").last.click()
    return navigation.value.status


def _draw_charts(page, code: str, label: str, problems: list[str]) -> None:
    """Charts draw when they come near the screen; their axes speak the page's language."""
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        chart.locator(".main-svg").first.wait_for(timeout=20_000)
        ticks = " ".join(chart.locator(".xtick text, .ytick text").all_text_contents())
        wrong = ENGLISH_MONTH.search(ticks) if code == "zh_CN" else CHINESE_DATE.search(ticks)
        if wrong:
            problems.append(f"{label}: a chart axis reads {wrong.group(0)!r} ({ticks})")


def _check(page, axe, label: str, problems: list[str]) -> None:
    results = axe.run(page, options=AXE_OPTIONS).response
    for violation in results["violations"]:
        if violation["impact"] in SERIOUS:
            for node in violation["nodes"]:
                problems.append(f"{label}: {violation['id']} ({violation['impact']}) at {' '.join(node['target'])}"
                                f" {node['html'][:120]}")
    size = page.viewport_size
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 812})
    try:  # charts redraw for the new width on the resize event, so give the page a moment to settle
        page.wait_for_function(FITS, timeout=3_000)
    except PlaywrightTimeout:
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        problems.append(f"{label}: scrolls sideways at {PHONE_WIDTH} px ({widths[0]} > {widths[1]})")
    page.set_viewport_size(size)


def crawl(browser, base: str, values: dict) -> tuple[list[str], int]:
    """Visit every row of VISITS in both languages; the problems found and the number of pages checked."""
    axe = Axe()
    by_account = defaultdict(list)
    for visit in VISITS:
        account, path = visit.resolved(values)
        by_account[account].append((visit, path))
    problems = []
    checked = 0
    for code, accept_language in LANGUAGES.items():
        for account, visits in by_account.items():
            context = browser.new_context(locale=accept_language, viewport={"width": 1280, "height": 900})
            page = context.new_page()
            if account:
                _sign_in(page, base, account)
                page.goto(f"{base}/lang/{code}")  # the account remembers the choice
            for visit, path in visits:
                label = f"[{code}] {visit.template} {path}"
                response = page.goto(base + path)
                if response.status != visit.status:
                    problems.append(f"{label}: answered {response.status}, expected {visit.status}")
                    continue
                if page.locator("html").get_attribute("lang") != code.replace("_", "-"):
                    problems.append(f"{label}: the page is not in {code}")
                _draw_charts(page, code, label, problems)
                _check(page, axe, label, problems)
                checked += 1
                if visit.submit_empty:
                    status = _submit_empty(page)
                    if status != 400 or not page.locator(".field-invalid .error-text").count():
                        problems.append(f"{label}: an empty form answered {status} without errors beside fields")
                    _check(page, axe, label + " (sent empty)", problems)
                    checked += 1
            context.close()
    return problems, checked


@pytest.fixture
def wechat_pay(app, monkeypatch):
    """WeChat Pay on, in a local fake: the QR pay page asks it for the code to show."""
    from tests.payments.fake_wechatpay import FakeWeChatPay

    server = FakeWeChatPay()
    server.start()
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", app.config["PAYMENT_PROVIDERS"] + ",wechatpay")
    for key, value in server.settings().items():
        monkeypatch.setitem(app.config, key, value)
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.no_db_session
def test_every_page_passes_axe_and_fits_a_phone_in_both_languages(live_server, browser, runner, wechat_pay):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    values = demo_values()
    problems, checked = crawl(browser, live_server, values)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
    forms_with_errors = sum(visit.submit_empty for visit in VISITS)
    assert checked == 2 * (len(VISITS) + forms_with_errors)
