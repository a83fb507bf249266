"""prefect.yaml names real flows, on Europe/London schedules."""

from pathlib import Path

import yaml
from prefect import Flow
from prefect.flows import load_flow_from_entrypoint

REPO = Path(__file__).resolve().parent.parent


def test_every_deployment_points_at_a_flow_and_schedules_in_london(monkeypatch):
    monkeypatch.chdir(REPO)
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    names = set()
    for deployment in spec["deployments"]:
        flow = load_flow_from_entrypoint(deployment["entrypoint"])
        assert isinstance(flow, Flow)
        names.add(flow.name)
        for schedule in deployment.get("schedules", []):
            assert schedule["timezone"] == "Europe/London"
    assert names == {"advance-cycle", "advance-review", "reminder-sweep", "send-outbox"}
