"""``JiraSimulator.reset`` and the fixture pool that reuses running simulators across tests."""

from __future__ import annotations

import requests
from sim_http import get
from simkit import SimPool
from test_webhooks import Receiver, _register

from okrsync.jira_sim.simulator import JiraSimulator


def test_reset_gives_back_the_site_as_built_on_the_same_port() -> None:
    with JiraSimulator("cloud", faults={"latency_ms": 1}) as sim:
        port, before = sim.port, sim.issue("PLAT-1")
        sim.set_fields("PLAT-1", {"summary": "changed by a test"})
        sim.set_faults(forbidden_issues=["PLAT-2"], error_rate=0.5, seed=3)
        sim.set_off_screen("PLAT", ["labels"])
        get(sim, "/myself")
        assert sim.requests()["log"]

        sim.reset()

        assert sim.port == port and sim.running
        assert sim.issue("PLAT-1") == before
        assert sim.faults.config.forbidden_issues == [] and sim.faults.config.error_rate == 0.0
        assert sim.faults.config.latency_ms == 1  # the faults it was made with stay
        assert sim.store.off_screen == {}
        assert sim.requests()["log"] == [] and sim.requests()["counts"] == {}
        assert get(sim, "/issue/PLAT-1").status_code == 200


def test_reset_over_http_drops_webhooks_and_delivers_the_next_ones(sim: JiraSimulator) -> None:
    receiver = Receiver()
    try:
        _register(sim, receiver.url)
        sim.set_fields("PLAT-1", {"summary": "changed"})
        assert sim.webhooks.wait_idle(5.0) and len(receiver.calls) == 1

        r = requests.post(sim.url + "/_sim/reset", timeout=5)
        assert r.status_code == 200 and r.json()["issues"] == len(sim.store.issues)
        assert sim.issue("PLAT-1")["fields"]["summary"] != "changed"
        sim.set_fields("PLAT-1", {"summary": "changed again"})  # the webhook went with the old site
        assert sim.webhooks.wait_idle(5.0) and len(receiver.calls) == 1

        _register(sim, receiver.url)  # the new dispatcher delivers
        sim.set_fields("PLAT-2", {"summary": "changed"})
        assert sim.webhooks.wait_idle(5.0) and len(receiver.calls) == 2
    finally:
        receiver.close()


def test_the_pool_reuses_a_server_reset_and_never_hands_one_out_twice() -> None:
    pool = SimPool()
    try:
        first = pool.take("cloud", "demo", okr_fields=True)
        second = pool.take("cloud", "demo", okr_fields=True)
        assert first is not second  # two sites in one test are two simulators
        first.set_fields("PLAT-1", {"summary": "dirty"})
        pool.give_back()

        again = pool.take("cloud", "demo", okr_fields=True)
        assert again in (first, second)
        assert again.issue("PLAT-1")["fields"]["summary"] != "dirty"
        other = pool.take("datacenter", "demo")
        assert other.flavor == "datacenter" and other not in (first, second)
        other.stop()  # a test that stops its simulator: it is dropped, not reused
        pool.give_back()
        assert pool.take("datacenter", "demo") is not other
        unpooled = pool.take("cloud", "demo", clock=lambda: None)  # a clock of its own: never shared
        pool.give_back()
        assert not unpooled.running
    finally:
        pool.close()
    assert not first.running and not second.running
