"""The pages in a real browser, as policy staff use them: Debian's headless Chromium driven by
Selenium through Debian's chromedriver (the same source package, so their versions always
match; the driver's path is given, so Selenium Manager never looks for one to download),
against a real `mcof serve` in a process of its own (tests/web/liveserver.py), its records in
a temporary SQLite file.

Every expected value is the library's own answer for the same input (assess, explain, diff,
run_batch, the records store), never a copy of what the page showed. Screenshots are taken
along the way into a temporary directory (and into $MCOF_BROWSER_SHOTS when it names one,
to look at them). Skipped, with the reason, when Chromium, chromedriver or Selenium is missing.
"""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium (the test extra)")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service as DriverService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

try:
    from tests.browser.chromium import BASE_FLAGS, find_chromium
except ImportError:  # pragma: no cover - rootdir tests/ on sys.path instead of the repository root
    from browser.chromium import BASE_FLAGS, find_chromium  # type: ignore[no-redef]
from liveserver import LiveServer  # noqa: E402

from mcof import assess, build_profile, explain, load_ruleset  # noqa: E402
from mcof.engine.batch.pipeline import run_batch  # noqa: E402
from mcof.engine.whatif import diff  # noqa: E402
from mcof.web.query import View  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
INFORM = ROOT / "tests" / "data" / "inform_risk_2020_v040.csv"
STOCK = ROOT / "tests" / "data" / "migrant_stock_share_undesa2024.csv"
CHROMEDRIVER = os.environ.get("MCOF_CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"
WAIT = 15  # seconds for any one thing to appear: a swap on this machine takes tens of milliseconds

CHROMIUM = find_chromium()
if CHROMIUM is None:
    pytest.skip("no Chromium installed (Debian: apt-get install chromium chromium-driver)", allow_module_level=True)
if not Path(CHROMEDRIVER).is_file():
    pytest.skip(f"no chromedriver at {CHROMEDRIVER} (Debian: apt-get install chromium-driver)", allow_module_level=True)

# Counts htmx's settled swaps; a full page load starts it again (so it also tells "no reload").
WATCH_SWAPS = ("window.__mcof = {swaps: 0};"
               "document.addEventListener('htmx:afterSettle', function () { window.__mcof.swaps++; });")
GRID = ("return Array.from(document.querySelectorAll('#grid td.cell'))"
        ".map(function (td) { return [td.id, td.dataset.level, td.dataset.change || '']; });")


# ------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    records = tmp_path_factory.mktemp("browser-records") / "records.sqlite"
    with LiveServer(records, env={"SOURCE_DATE_EPOCH": "1764547200"}) as server:
        yield server


def _chromium(javascript: bool):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # the report tests' flags (nothing fetched on Chromium's own account, no host name
    # resolves), with the server's loopback address the one exception
    flags = [f for f in BASE_FLAGS if not f.startswith("--host-resolver-rules=")]
    for flag in (*flags, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=1280,1000"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    return webdriver.Chrome(service=DriverService(executable_path=CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def chromium_with_js():
    driver = _chromium(javascript=True)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def chromium_without_js():
    driver = _chromium(javascript=False)
    yield driver
    driver.quit()


def _console_clean(driver):
    """Yield the driver; then fail on any error the page logged in its console: a refused
    script or style (the Content-Security-Policy), a failed request, an exception."""
    driver.get_log("browser")  # what earlier tests left
    yield driver
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, f"the browser's console has errors: {errors}"


@pytest.fixture
def browser(chromium_with_js):
    yield from _console_clean(chromium_with_js)


@pytest.fixture
def browser_without_js(chromium_without_js):
    yield from _console_clean(chromium_without_js)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """shots(driver, name): a PNG of the whole page (up to 5000 px tall; whole=False: the
    window) into a temporary directory, and into $MCOF_BROWSER_SHOTS too when it is set."""
    directory = tmp_path_factory.mktemp("browser-shots")
    keep = os.environ.get("MCOF_BROWSER_SHOTS")

    def take(driver, name: str, whole: bool = True) -> Path:
        if whole:
            size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 5000), "scale": 1}
            png = base64.b64decode(driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})["data"])
        else:  # what the window shows (a framed document is painted only there)
            png = driver.get_screenshot_as_png()
        path = directory / f"{name}.png"
        path.write_bytes(png)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(keep) / path.name)
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, f"screenshot {name} is empty"
        return path
    return take


# ------------------------------------------------------------------------------ helpers

def url_of(live, ruleset: str, data: dict, **view) -> str:
    rules = load_ruleset(ruleset)
    profile = build_profile(rules, data)
    return f"{live.url}/?" + View(ruleset, profile, view.get("pin"), view.get("cell")).query(rules=rules)


def open_page(driver, url: str) -> None:
    driver.get(url)
    driver.execute_script(WATCH_SWAPS)


def wait(driver, condition, message: str):
    # an element read while htmx replaces it is stale: read it again
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition, message)


def after_swap(driver, action) -> None:
    """Do `action` (a click) and wait until htmx has swapped in the answer and settled."""
    before = driver.execute_script("return window.__mcof.swaps")
    action()
    wait(driver, lambda d: d.execute_script(
        "return window.__mcof.swaps > arguments[0] && !document.querySelector('.htmx-request')", before),
        "htmx did not swap in an answer")


def click(driver, css: str) -> None:
    driver.find_element(By.CSS_SELECTOR, css).click()


def cells(driver) -> dict[tuple[str, str], str]:
    """(sector, phase) -> level of the grid's filled cells (as tests/web/pageparse.cell_levels)."""
    out = {}
    for cell_id, level, _ in driver.execute_script(GRID):
        if level:
            sector, phase = cell_id[len("cell-"):].rsplit("-", 1)
            out[(sector, phase)] = level
    return out


def levels(ruleset: str, data: dict) -> dict[tuple[str, str], str]:
    rules = load_ruleset(ruleset)
    return assess(rules, build_profile(rules, data)).levels()


def not_reloaded(driver) -> bool:
    return driver.execute_script("return window.__mcof !== undefined")


# ------------------------------------------------------------------------------ the assess page

def test_browser_filling_the_form_updates_the_grid_in_place(live, browser, shots):
    open_page(browser, f"{live.url}/?ruleset=2012")
    assert browser.find_elements(By.ID, "start-hint")
    after_swap(browser, lambda: click(browser, "#f-crisis_type-man_made"))
    after_swap(browser, lambda: click(browser, "#f-phase-during"))
    first = {"crisis_type": "man_made", "phase": "during"}
    assert cells(browser) == levels("2012", first)
    after_swap(browser, lambda: click(browser, "#f-international_migrants_caught-true"))
    second = {**first, "international_migrants_caught": True}
    assert levels("2012", second) != levels("2012", first)  # the fact matters: the grid must change
    assert cells(browser) == levels("2012", second)
    assert not_reloaded(browser), "the page was reloaded: htmx should have swapped the results"
    assert not browser.find_element(By.ID, "assess-button").is_displayed()  # every change assesses
    assert "international_migrants_caught=true" in browser.current_url  # hx-push-url keeps the view
    shots(browser, "assess-form-filled")


def test_browser_why_not_and_its_try_it(live, browser, shots):
    rules = load_ruleset("2012")
    data = {"crisis_type": "man_made", "phase": "during"}
    sector, phase = "counter_trafficking_protection", "during"
    expected = next(p for p in explain(rules, build_profile(rules, data), sector).phases if p.phase == phase)
    assert not expected.recommended and expected.would_change_if
    open_page(browser, url_of(live, "2012", data))
    after_swap(browser, lambda: click(browser, f"#cell-{sector}-{phase} a.cell-link"))
    panel = browser.find_element(By.ID, "why-panel")
    assert (panel.get_attribute("data-sector"), panel.get_attribute("data-phase")) == (sector, phase)
    opened = [td.get_attribute("id") for td in browser.find_elements(By.CSS_SELECTOR, "#grid td.open")]
    assert opened == [f"cell-{sector}-{phase}"]  # the grid marks the cell whose panel is open
    assert panel.find_element(By.TAG_NAME, "h2").text.startswith("Why not")
    offers = [(li.get_attribute("data-fact"), li.find_element(By.CSS_SELECTOR, "a.try-it").get_attribute("data-value"),
               li.find_element(By.CSS_SELECTOR, ".lvl").text)
              for li in browser.find_elements(By.CSS_SELECTOR, "#why-try li")]
    assert offers == [(w.fact, "true" if w.value is True else str(w.value), w.level) for w in expected.would_change_if]
    shots(browser, "assess-why-not")
    fact, value, predicted = offers[0]
    click(browser, f"#why-try li[data-fact='{fact}'] a.try-it")
    wait(browser, lambda d: f"{fact}={value}" in d.current_url
         and d.find_element(By.ID, f"cell-{sector}-{phase}").get_attribute("data-level") == predicted,
         f"after 'try it' the cell is not at the level the panel predicted ({predicted})")
    assert cells(browser) == levels("2012", {**data, fact: value == "true"})
    shots(browser, "assess-after-try-it")


def test_browser_pinned_profile_shows_the_engines_diff(live, browser, shots):
    pinned = {"crisis_type": "man_made", "phase": ["before", "during"], "international_migrants_caught": True,
              "many_third_country_nationals": True}
    open_page(browser, url_of(live, "2012", pinned))
    click(browser, "#pin-button")
    wait(browser, lambda d: d.find_elements(By.ID, "unpin-button"), "pinning did not show the Unpin button")
    browser.execute_script(WATCH_SWAPS)  # a boosted link: the page was swapped, not loaded
    after_swap(browser, lambda: click(browser, "#f-international_migrants_caught-false"))
    now = {**pinned, "international_migrants_caught": False}
    rules = load_ruleset("2012")
    expected = diff(rules, build_profile(rules, pinned), build_profile(rules, now))
    assert expected.changes
    shown = [(li.get_attribute("data-sector"), li.get_attribute("data-phase"), li.get_attribute("data-change"))
             for li in browser.find_elements(By.CSS_SELECTOR, "#sector-changes li")]
    assert shown == [(c.sector, c.phase, c.change) for c in expected.changes]
    facts = [li.get_attribute("data-fact") for li in browser.find_elements(By.CSS_SELECTOR, "#facts-changed li")]
    assert facts == list(expected.facts_changed)
    marked = {(cell_id[len("cell-"):].rsplit("-", 1)[0], cell_id.rsplit("-", 1)[1])
              for cell_id, _, change in browser.execute_script(GRID) if change}
    assert marked == {(c.sector, c.phase) for c in expected.changes}
    shots(browser, "assess-pinned-diff")


SNAPSHOT = """
const panel = document.getElementById('why-panel');
const all = (css, f) => Array.from(document.querySelectorAll(css)).map(f);
return {
  grid: all('#grid td.cell', td => [td.id, td.dataset.level, td.dataset.change || '']),
  checked: all('#profile-form input:checked', i => i.id),
  panel: panel ? [panel.dataset.sector || '', panel.dataset.phase || '', panel.innerText] : null,
  changes: all('#sector-changes li', li => li.innerText),
  ruleset: all('#ruleset-switch .current', a => a.id),
};"""


def test_browser_the_url_reproduces_the_view(live, browser, browser_without_js):
    data = {"crisis_type": "man_made", "phase": "during"}
    open_page(browser, url_of(live, "2012", data))
    click(browser, "#pin-button")
    wait(browser, lambda d: d.find_elements(By.ID, "unpin-button"), "pinning did not show the Unpin button")
    browser.execute_script(WATCH_SWAPS)
    after_swap(browser, lambda: click(browser, "#f-large_cross_border_movements-true"))
    after_swap(browser, lambda: click(browser, "#cell-humanitarian_border_management-during a.cell-link"))
    after_swap(browser, lambda: click(browser, "#f-phase-after"))  # the open cell stays open
    seen = browser.execute_script(SNAPSHOT)
    assert seen["changes"] and seen["panel"][:2] == ["humanitarian_border_management", "during"]
    link = browser.current_url
    for fresh in (browser, browser_without_js):  # the same browser loading it, and another one
        fresh.get(link)
        assert fresh.execute_script(SNAPSHOT) == seen


def test_browser_ruleset_switch(live, browser, shots):
    data = {"crisis_type": "man_made", "phase": "during", "markets_functioning": True,
            "international_migrants_caught": True}
    open_page(browser, url_of(live, "2021", data))
    assert cells(browser) == levels("2021", data)
    click(browser, "#ruleset-2012")
    wait(browser, lambda d: "current" in d.find_element(By.ID, "ruleset-2012").get_attribute("class"),
         "the 2012 switch did not take effect")
    kept = {k: v for k, v in data.items() if k != "markets_functioning"}  # a 2021 fact: 2012 does not know it
    assert cells(browser) == levels("2012", kept)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")) == len(load_ruleset("2012").sectors)
    assert not browser.find_elements(By.ID, "fact-markets_functioning")
    assert browser.find_element(By.ID, "f-international_migrants_caught-true").is_selected()
    shots(browser, "assess-switched-to-2012")
    click(browser, "#ruleset-2021")
    wait(browser, lambda d: "current" in d.find_element(By.ID, "ruleset-2021").get_attribute("class"),
         "the 2021 switch did not take effect")
    assert cells(browser) == levels("2021", kept)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")) == len(load_ruleset("2021").sectors)


# ------------------------------------------------------------------------------ records

def test_browser_save_a_record_and_find_it_on_the_records_page(live, browser, shots):
    records = pytest.importorskip("mcof.engine.records", reason="decision records not in this build")
    data = {"crisis_type": "health", "phase": ["during", "after"], "international_migrants_caught": True}
    open_page(browser, url_of(live, "2021", data))
    browser.find_element(By.ID, "record-name").send_keys("Browser test: cholera what-if")
    browser.find_element(By.ID, "record-note").send_keys("migrants caught; saved from the page")
    click(browser, "#save-record-button")
    record = wait(browser, lambda d: d.find_elements(By.ID, "record"), "saving did not show the record")[0]
    record_id = int(record.get_attribute("data-record"))
    click(browser, "#nav-records")
    row = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"#records-list tr[data-record='{record_id}']"),
               "the saved record is not on the records page")[0]
    assert "Browser test: cholera what-if" in row.text and "migrants caught" in row.text
    shots(browser, "records-list")
    click(browser, f"#record-link-{record_id}")
    wait(browser, lambda d: d.find_elements(By.ID, "verify-button"), "the record's page did not open")
    names = {s.slug: f"{s.number}. {s.name}" for s in load_ruleset("2021").sectors}
    listed = [(li.get_attribute("data-sector"), li.text) for li in browser.find_elements(By.CSS_SELECTOR, "#record-sectors li")]
    assert listed and all(text.endswith(names[slug]) for slug, text in listed)  # named as the assess page names them
    click(browser, "#verify-button")
    outcome = wait(browser, lambda d: d.find_elements(By.ID, "verify-result"), "verify showed nothing")[0]
    assert outcome.get_attribute("data-reproduces") == "true"
    shots(browser, "record-verified")
    with records.open_store(live.records) as store:
        stored = store.get(record_id)
    rules = load_ruleset("2021")
    assert (stored.name, stored.note) == ("Browser test: cholera what-if", "migrants caught; saved from the page")
    assert stored.profile == build_profile(rules, data)
    assert {(r["sector"], r["phase"]): r["level"] for r in stored.result["recommendations"]} == levels("2021", data)


# ------------------------------------------------------------------------------ batch

def test_browser_batch_upload_of_the_real_tables(live, browser, shots):
    open_page(browser, f"{live.url}/batch")
    browser.find_element(By.ID, "batch-tables").send_keys(f"{INFORM}\n{STOCK}")
    click(browser, "#batch-submit")
    job = wait(browser, lambda d: [j for j in d.find_elements(By.ID, "job") if j.get_attribute("data-state") == "done"],
               "the batch job did not finish")[0]
    assert job.is_displayed()
    report = run_batch([INFORM, STOCK], "inform", "2012", None)  # the form's defaults: 2012, inform, its thresholds
    counts = report.counts()
    shown = {row.get_attribute("data-sector"): [td.text for td in row.find_elements(By.TAG_NAME, "td")]
             for row in browser.find_elements(By.CSS_SELECTOR, "#job-counts tr[data-sector]")}
    assert list(shown) == report.ruleset.sector_slugs
    assert shown == {s: [str(counts.get((s, level)) or "") for level in report.ruleset.levels]
                     for s in report.ruleset.sector_slugs}
    summary = browser.find_element(By.ID, "job-summary").text
    assessed = len(report.profiles) - len(report.not_assessed)
    assert summary.startswith(f"{len(report.profiles)} countries: {assessed} assessed")
    frame = browser.find_element(By.ID, "job-report")
    browser.switch_to.frame(frame)  # the batch report (map and table) loaded in its sandboxed frame
    wait(browser, lambda d: d.find_elements(By.TAG_NAME, "svg"), "the batch report's map did not load")
    browser.switch_to.default_content()
    shots(browser, "batch-done")
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    shots(browser, "batch-report-frame", whole=False)


# ------------------------------------------------------------------------------ without JavaScript

def test_browser_the_form_works_without_javascript(live, browser_without_js, shots):
    driver = browser_without_js
    driver.get(f"{live.url}/?ruleset=2012")
    assert driver.execute_script("return typeof window.htmx") == "undefined"  # the page's scripts are off
    assert "js" not in driver.find_element(By.TAG_NAME, "html").get_attribute("class").split()
    for css in ("#f-crisis_type-sudden_onset_natural", "#f-phase-during", "#f-phase-after",
                "#f-acute_humanitarian_needs-true"):
        click(driver, css)
    assert driver.find_element(By.ID, "assess-button").is_displayed()
    click(driver, "#assess-button")  # a plain GET form: the server renders the whole page
    wait(driver, lambda d: d.find_elements(By.ID, "grid"), "submitting the form showed no grid")
    data = {"crisis_type": "sudden_onset_natural", "phase": ["during", "after"], "acute_humanitarian_needs": True}
    assert cells(driver) == levels("2012", data)
    first = next(iter(cells(driver)))
    click(driver, f"#cell-{first[0]}-{first[1]} a.cell-link")  # a plain link: the page with the panel open
    wait(driver, lambda d: d.find_element(By.ID, "why-panel").get_attribute("data-sector") == first[0],
         "the cell's link did not open its why panel")
    assert driver.find_element(By.ID, "why-panel").find_element(By.TAG_NAME, "h2").text.startswith("Why:")
    shots(driver, "assess-without-javascript")
