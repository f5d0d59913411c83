"""The bundled Jira simulator (Cloud and Data Center dialects) for the demo, tests and benchmarks.

Never imported by okrsync's sync path. Start it with ``okrsync sim`` or in Python::

    from okrsync.jira_sim import JiraSimulator
    with JiraSimulator(flavor="cloud", dataset="demo") as sim:
        print(sim.url)
"""

from okrsync.jira_sim.faults import FaultConfig
from okrsync.jira_sim.simulator import JiraSimulator, build_store

__all__ = ["FaultConfig", "JiraSimulator", "build_store"]
