"""The HTML report and the status page, one renderer, in headless Chromium at 360 px and 1400 px.

The demo company as synced on four days (demostore's demo store), with the Jira site known and one
KR's title hostile. Chromium's window is at least 500 px wide, so each page opens in an iframe of
the width under test (its own viewport); a probe script in it reports to the host page. In the browser: no horizontal overflow (``scrollWidth <= innerWidth``), a link
into Jira for every KR, objective and action plan, the hostile title as text, and the filters
(``?owner=…``: that owner's key results only). The screenshots stay in the test's tmp dir; their
paths are printed (``pytest -s``) for people to look at.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from demostore import DemoStore
from reportkit import chromium

from okrsync.cli.report import ReportData, load_report_data, render
from okrsync.daemon.status_page import render_status_page
from okrsync.state.store import StateStore

pytestmark = pytest.mark.slow  # real subprocesses: seconds each

SITE = "https://acme.atlassian.net"
HOSTILE = "<script>document.title='owned'</script><b>bold</b>"
WIDTHS = (360, 1400)
PROBE = """<script>(function () {
  var d = document.documentElement, rows = document.querySelectorAll("tr.kr");
  var visible = Array.prototype.filter.call(rows, function (r) { return r.offsetParent !== null; });
  parent.document.body.setAttribute("data-probe", JSON.stringify({
    scrollWidth: d.scrollWidth, innerWidth: window.innerWidth, title: document.title,
    scripts: document.querySelectorAll("script").length,
    links: Array.prototype.map.call(document.querySelectorAll("a[href*='/browse/']"),
      function (a) { return a.getAttribute("href"); }),
    rows: rows.length,
    visible: visible.map(function (r) { return r.dataset.kr; }),
    hostile: document.body.textContent.indexOf("<script>document.title") >= 0
  }));
})();</script>"""


@pytest.fixture(scope="module")
def data(demo_store: DemoStore) -> ReportData:
    with StateStore.open(demo_store.url) as store:
        loaded = load_report_data(store)
    doc: dict[str, Any] = json.loads(json.dumps(loaded.doc))
    doc["key_results"][0]["title"] = HOSTILE
    return replace(loaded, doc=doc, site=SITE)


@pytest.fixture(scope="module")
def pages(data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    status = render_status_page(
        data.doc,
        [],
        {"leader": True},
        jira_url=SITE,
        now=datetime(2026, 11, 26, 12, tzinfo=UTC),
        coverage=data.coverage,  # its section at 360 px too
    )
    out = {}
    for name, page in (("report", render("html", data)), ("status", status)):
        path = folder / f"{name}.html"
        path.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
        out[name] = path
    return out


def host(page: Path, width: int, query: str = "") -> str:
    """A page holding ``page`` in an iframe ``width`` px wide (the viewport under test)."""
    path = page.with_name(f"{page.stem}-{width}{'-' + str(abs(hash(query))) if query else ''}.host.html")
    path.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe src="{page.name}{query}" width="{width}" height="2400" style="border:0;display:block">'
        "</iframe></body></html>",
        encoding="utf-8",
    )
    return path.as_uri()


def probe(browser: str, profile: Path, page: Path, width: int, query: str = "") -> dict[str, Any]:
    url = host(page, width, query)
    out = chromium(
        browser, profile, "--allow-file-access-from-files", "--window-size=1500,1200", "--dump-dom", url
    )
    assert out.returncode == 0, out.stderr[-2000:]
    m = re.search(r'data-probe="([^"]*)"', out.stdout)
    assert m, out.stdout[-2000:]
    found: dict[str, Any] = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    return found


def expected_links(doc: dict[str, Any]) -> set[str]:
    keys = {o["jira_key"] for o in doc["objectives"] if o.get("jira_key")}
    for kr in doc["key_results"]:
        keys |= {kr["jira_key"]} if kr.get("jira_key") else set()
        keys |= {p["key"] for p in kr.get("action_plans") or ()}
    return {f"{SITE}/browse/{quote(k)}" for k in keys}


@pytest.mark.parametrize("name", ["report", "status"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_links_into_jira_and_escapes(
    browser: str, pages: dict[str, Path], data: ReportData, tmp_path: Path, name: str, width: int
) -> None:
    found = probe(browser, tmp_path / "profile", pages[name], width)
    assert found["innerWidth"] == width
    assert found["scrollWidth"] <= found["innerWidth"], found  # no horizontal overflow
    assert set(found["links"]) == expected_links(data.doc)  # every KR, objective and action plan
    assert found["hostile"] and found["title"] != "owned"  # the title as text, never run
    assert found["scripts"] == 2  # the filters' and this test's probe
    assert found["rows"] == len(data.doc["key_results"]) == len(found["visible"])
    shot = tmp_path / f"{name}-{width}.png"
    size = f"--window-size={max(width, 500)},2400"
    taken = chromium(
        browser,
        tmp_path / "profile",
        "--allow-file-access-from-files",
        size,
        f"--screenshot={shot}",
        host(pages[name], width),
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.stat().st_size > 20_000
    print(f"screenshot {name} at {width} px: {shot}")


@pytest.mark.parametrize("name", ["report", "status"])
def test_my_key_results_by_owner_in_the_address(
    browser: str, pages: dict[str, Path], data: ReportData, tmp_path: Path, name: str
) -> None:
    owner = next(kr["owner"] for kr in data.doc["key_results"] if kr.get("owner"))
    mine = [kr["id"] for kr in data.doc["key_results"] if kr.get("owner") == owner]
    assert 0 < len(mine) < len(data.doc["key_results"])
    found = probe(browser, tmp_path / "profile", pages[name], 1400, f"?owner={quote(owner)}")
    assert found["visible"] == mine
    bad = [kr["id"] for kr in data.doc["key_results"] if kr["health"] == "off_track"]
    found = probe(browser, tmp_path / "profile", pages[name], 360, "?health=off_track")
    assert found["visible"] == bad and found["scrollWidth"] <= found["innerWidth"]
