"""The committed Jira contract (okrsync/jira_sim/contract/*.json.gz) is what the project's script
derives from Atlassian's specs, and it covers every operation the simulator serves and the gateway
names. The specs live outside the repository (../shared/jira-specs): without them the comparison
is skipped and the project stands on the committed files."""

from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from okrsync.jira_sim.contract import is_exempt, load_contract, spec_path
from okrsync.jira_sim.routing import ROUTER

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT.parent / "shared" / "jira-specs"
CONTRACT_DIR = ROOT / "okrsync" / "jira_sim" / "contract"


def derive_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "derive_jira_contract", ROOT / "scripts" / "derive_jira_contract.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("dialect", ["cloud", "datacenter"])
def test_the_committed_contract_is_what_the_script_derives_from_the_specs(dialect: str) -> None:
    script = derive_script()
    spec_file = SPECS / script.SPEC_FILES[dialect]
    if not spec_file.exists():
        pytest.skip(f"{spec_file} is not here (the specs live in ../shared/jira-specs)")
    derived = script.encode(script.derive(dialect, spec_file))
    committed = (CONTRACT_DIR / f"{dialect}.json.gz").read_bytes()
    if derived != committed:
        now = json.loads(gzip.decompress(derived))
        before = json.loads(gzip.decompress(committed))
        added = sorted(
            {f"{o['method']} {o['path']}" for o in now["operations"]}
            - {f"{o['method']} {o['path']}" for o in before["operations"]}
        )
        pytest.fail(
            f"okrsync/jira_sim/contract/{dialect}.json.gz is stale (operations the sources now use: "
            f"{added or 'none new; schemas or patches changed'}): run scripts/derive_jira_contract.py"
        )


def test_the_check_mode_of_the_script_agrees(tmp_path: Path) -> None:
    script = derive_script()
    if not (SPECS / script.SPEC_FILES["cloud"]).exists():
        pytest.skip("the specs are not here")
    assert script.main(["--specs", str(SPECS), "--out", str(tmp_path)]) == 0
    assert script.main(["--specs", str(SPECS), "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "cloud.json.gz").write_bytes(b"")
    assert script.main(["--specs", str(SPECS), "--out", str(tmp_path), "--check"]) == 1


@pytest.mark.parametrize("dialect", ["cloud", "datacenter"])
def test_the_contract_names_its_spec_and_version(dialect: str) -> None:
    contract = load_contract(dialect)
    readme = {
        "cloud": (
            "jira-cloud-platform-v3.json.gz",
            "1f0911c58a45c712ba748f6b2b71bad688a0d28283296e6d24c7b2cc0d304624",
        ),
        "datacenter": (
            "jira-dc-10.3.json.gz",
            "f326fbc98de4d5212a4becbe330aeecf778d56297bf08e1df6ee999c10fd6449",
        ),
    }[dialect]
    assert (contract.spec_info["file"], contract.spec_info["sha256"]) == readme  # the shared README's sums


@pytest.mark.parametrize("dialect", ["cloud", "datacenter"])
def test_every_simulator_route_is_a_contract_operation_or_listed(dialect: str) -> None:
    import okrsync.jira_sim.routes  # noqa: F401 - registers the routes

    contract = load_contract(dialect)
    missing = []
    for route in ROUTER.routes:
        if dialect not in route.flavors or is_exempt(route.template):
            continue
        path = route.template.replace("{ver}", "3" if dialect == "cloud" else "2")
        probe = "/".join("X-1" if seg.startswith("{") else seg for seg in path.split("/"))
        op, _ = contract.match(route.method, probe)
        listed = f"simulator route {route.method} {route.template}" in contract.not_in_spec
        if op is None and not listed:
            missing.append(f"{route.method} {route.template}")
    assert missing == [], "routes the contract lacks: re-run scripts/derive_jira_contract.py"


def test_v2_and_latest_on_cloud_are_looked_up_under_v3_and_data_center_under_api_2() -> None:
    assert spec_path("cloud", "/rest/api/2/issue/MOB-1") == "/rest/api/3/issue/MOB-1"
    assert spec_path("cloud", "/rest/api/latest/field") == "/rest/api/3/field"
    assert spec_path("datacenter", "/rest/api/latest/search") == "/api/2/search"
    assert spec_path("datacenter", "/rest/webhooks/1.0/webhook") is None
    assert spec_path("cloud", "/_sim/requests") is None


@pytest.mark.parametrize(
    ("dialect", "method", "path", "operation"),
    [
        ("cloud", "GET", "/rest/api/3/filter/search", "GET /rest/api/3/filter/search"),
        ("cloud", "GET", "/rest/api/3/filter/10001", "GET /rest/api/3/filter/{id}"),
        ("cloud", "GET", "/rest/api/3/dashboard/search", "GET /rest/api/3/dashboard/search"),
        ("datacenter", "GET", "/rest/api/2/issue/MOB-1/comment", "GET /api/2/issue/{issueIdOrKey}/comment"),
        (
            "cloud",
            "PUT",
            "/rest/api/3/issue/MOB-1/properties/okrsync",
            "PUT /rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
        ),
    ],
)
def test_a_literal_segment_wins_over_a_parameter(
    dialect: str, method: str, path: str, operation: str
) -> None:
    op, _ = load_contract(dialect).match(method, path)
    assert op is not None and op.name == operation


def test_the_known_spec_defects_are_patched_and_marked() -> None:
    cloud = load_contract("cloud")
    gadget = cloud.requests.registry.contents(cloud.requests.uri)["components"]["schemas"][
        "DashboardGadgetPosition"
    ]
    assert "anyOf" in gadget  # {"column", "row"} and the description-named form
    raw = json.loads(gzip.decompress((CONTRACT_DIR / "datacenter.json.gz").read_bytes()))
    patched = json.dumps(raw).count('"x-okrsync-patch"')
    assert patched > 0
    fields = raw["components"]["schemas"]["IssueUpdateBean"]["properties"]["fields"]["additionalProperties"]
    assert fields == {"x-okrsync-patch": "README: Data Center types JSON values loosely: any JSON value"}
