"""The Dockerfile and docker-compose.yml, read as a reviewer would (no Docker engine runs in CI)."""

from __future__ import annotations

import json
import re

import yaml
from daemonkit import ROOT


def instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), rest.strip()))
    return out


def test_dockerfile_runs_the_daemon_as_a_non_root_user_with_state_on_a_volume() -> None:
    ins = instructions()
    ops = [op for op, _ in ins]
    final = ins[max(i for i, (op, _) in enumerate(ins) if op == "FROM") :]  # the runtime stage
    assert any(op == "FROM" and "slim" in arg for op, arg in final)
    user = [arg for op, arg in final if op == "USER"]
    assert user and not user[-1].startswith(("root", "0"))
    assert ("VOLUME", '["/data"]') in final
    env = " ".join(arg for op, arg in final if op == "ENV")
    assert "OKRSYNC_SYNC__STATE_URL=sqlite:////data/okrsync.db" in env
    assert "OKRSYNC_DAEMON__HOST=0.0.0.0" in env
    health = next(arg for op, arg in final if op == "HEALTHCHECK")
    assert "/healthz" in health
    cmd = json.loads(re.sub(r"^.*?CMD\s+", "", health))  # the exec form parses as JSON
    assert cmd[0] == "python"
    entry = json.loads(next(arg for op, arg in final if op == "ENTRYPOINT"))
    default = json.loads([arg for op, arg in final if op == "CMD"][-1])
    assert entry + default == ["okrsync", "daemon"]
    assert ops.count("FROM") == 2  # build wheels, then a clean runtime image


def test_compose_runs_okrsync_on_postgres() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"okrsync", "postgres"}
    app, db = services["okrsync"], services["postgres"]
    assert app["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    url = app["environment"]["OKRSYNC_SYNC__STATE_URL"]
    assert url.startswith("postgresql+psycopg://okrsync:") and url.endswith("@postgres:5432/okrsync")
    assert "${POSTGRES_PASSWORD" in url and "${POSTGRES_PASSWORD" in db["environment"]["POSTGRES_PASSWORD"]
    assert app["environment"]["OKRSYNC_DAEMON__HOST"] == "0.0.0.0"
    assert "okrsync-data:/data" in app["volumes"]
    assert any(v.endswith(":/config/okrsync.yaml:ro") for v in app["volumes"])
    assert set(compose["volumes"]) == {"postgres-data", "okrsync-data"}
    # no secret is written into the file itself
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for key in ("OKRSYNC_JIRA__API_TOKEN", "OKRSYNC_JIRA__PAT", "OKRSYNC_WEBHOOK__SECRET"):
        assert not re.search(rf"^\s+{key}:\s*\S", text, re.M), key
