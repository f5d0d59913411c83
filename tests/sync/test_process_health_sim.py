"""Process health at period end in the report (issue 17, Build 4): the demo company's 2026-Q4
closed by a sync after its end, both dialects; the numbers against the recorded finals."""

from __future__ import annotations

from pathlib import Path

from test_period_close_sim import AFTER, LAST_DAY, sync, two_quarters

from okrsync.cli.report import load_report_data, render
from okrsync.domain.keys import META_CLOSED_PERIODS
from okrsync.jira_sim.simulator import JiraSimulator
from okrsync.state.store import StateStore


def test_the_report_shows_process_health_of_the_closed_quarter(
    sim_okr: JiraSimulator, tmp_path: Path
) -> None:
    cfg = two_quarters(sim_okr, tmp_path)
    with StateStore.open(cfg.sync.state_url) as store:
        sync(cfg, store, LAST_DAY)
        assert load_report_data(store).process is None  # nothing closed yet
        sync(cfg, store, AFTER)
        finals = store.get_meta(META_CLOSED_PERIODS)["2026-Q4"]["finals"]
        data = load_report_data(store)
    krs = [f for f in finals.values() if f["kind"] == "key_result"]
    achieved = sum(1 for f in krs if f["progress"] >= 1.0)
    scores = [f["score"] for f in krs]
    assert data.process is not None
    (q4,) = data.process.periods
    assert (q4.period.name, q4.key_results, q4.achieved) == ("2026-Q4", 15, achieved)
    assert q4.mean_score == round(sum(scores) / len(scores), 2)
    assert sum(q4.distribution.values()) == 15
    assert q4.findings == ()  # the demo's scores are spread
    text = render("markdown", data)
    assert f"2026-Q4: {achieved} of 15 KRs achieved" in text
    assert f"mean score {q4.mean_score:.2f}" in text
