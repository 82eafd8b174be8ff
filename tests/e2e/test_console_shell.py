"""The console shell's shared helpers in real Chromium: favicon, number formatting and axis ticks, one-point
charts, and the navigation on a phone-sized screen."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_no_request_of_the_console_fails_on_load(page, live_server) -> None:  # type: ignore[no-untyped-def]
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and r.status != 401 else None)
    sign_in(page, live_server["base"], live_server["keys"]["admin"])
    page.wait_for_load_state("networkidle")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    r = page.request.get(live_server["base"] + icon)
    assert r.status == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert failed == [], failed  # no /favicon.ico 404 on every load


def test_one_number_format_for_figures_and_ticks(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], live_server["keys"]["analyst"])
    figures = page.evaluate(
        "() => [cx.num(77381), cx.num(5193.3), cx.num(67.13), cx.num(0.456),"
        " cx.num(1616, 0), cx.fmt(4163), cx.pct(0.784)]"
    )
    assert figures == ["77,381", "5,193", "67.13", "0.46", "1,616", "4,163", "78%"]
    ticks = page.evaluate("""() => {
      const f = cx.chart.line({ title: "t", series: [{ name: "a", points: [[0, 1616], [1, 5193.3], [2, 67.13]] }] });
      const bar = cx.chart.bar({ title: "b", labels: ["x", "y"], series: [{ name: "n", values: [0, 3] }] });
      document.querySelector("main").append(f, bar);
      const y = el => [...el.querySelectorAll("svg text:not(.x-tick)")].map(t => t.textContent);
      const numbers = [...bar.querySelectorAll("svg > text")].map(t => t.textContent).filter(t => /^[\\d,.]+$/.test(t));
      return { line: y(f), bar: numbers };
    }""")
    assert ticks["line"] == ["0", "2,000", "4,000", "6,000"], ticks
    assert ticks["bar"] == ["0", "1", "2", "3"], ticks  # counts: whole-number ticks


def test_a_one_point_series_draws_a_point_with_one_label(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], live_server["keys"]["analyst"])
    out = page.evaluate("""() => {
      const f = cx.chart.line({ series: [{ name: "a", points: [["2026-09-23T09:59:00Z", 12.5]] }] });
      document.querySelector("main").append(f);
      return { dots: f.querySelectorAll("circle.point").length,
               x: [...f.querySelectorAll("text.x-tick")].map(t => t.textContent),
               cx: f.querySelector("circle.point").getAttribute("cx") };
    }""")
    assert out["dots"] == 1 and out["x"] == ["09-23 09:59"], out
    assert abs(float(out["cx"]) - (56 + 704) / 2) < 1, out  # in the middle of the plot, not on its left edge


def test_time_axis_labels_are_dates_for_days_apart(page, live_server) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server["base"], live_server["keys"]["analyst"])
    labels = page.evaluate("""() => {
      const week = i => new Date(Date.UTC(2026, 6, 6) + i * 7 * 864e5).toISOString();
      const pts = Array.from({ length: 13 }, (_, i) => [week(i), i]);
      const f = cx.chart.line({ series: [{ name: "a", points: pts }] });
      return [...f.querySelectorAll("text.x-tick")].map(t => t.textContent);
    }""")
    # weekly buckets: labelled by the date of every third bucket start, not by times between them
    assert labels == ["07-06", "07-27", "08-17", "09-07", "09-28"], labels


def test_navigation_collapses_to_a_menu_on_a_phone(browser, live_server) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server["base"] + "/")
        page.get_by_label("API key").fill(live_server["keys"]["analyst"])
        page.get_by_role("button", name="Sign in").click()
        menu = page.get_by_role("button", name="Menu")
        menu.wait_for()
        assert page.locator("nav").is_hidden()
        assert page.locator("main").bounding_box()["width"] > 350  # the content has the screen, not 180 px
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        page.locator("nav a", has_text="Trust index").click()
        page.locator("main h1", has_text="Trust index").wait_for()
        assert page.locator("nav").is_hidden()  # choosing a page closes the menu
    finally:
        context.close()
