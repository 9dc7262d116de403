"""The ``pipedrive`` fixture's cost: its setup and teardown (``mock_pipedrive()`` entered and
left: a copy of the template database, an app, its lifespan, the clients patched), timed
over N runs after one warm-up (which makes the template once per schema).

    python bench/pipedrive_fixture.py [N]      # default 50; prints p50 / p90 / max in ms
"""

from __future__ import annotations

import statistics
import sys
import time

from _venv import use_project_venv

use_project_venv(__file__)

from dealbase.testing import mock_pipedrive  # noqa: E402


def main(runs: int) -> None:
    with mock_pipedrive():
        pass
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        with mock_pipedrive():
            pass
        took.append((time.perf_counter() - start) * 1000)
    took.sort()
    p90 = took[int(len(took) * 0.9) - 1]
    print(f"pipedrive fixture setup+teardown over {runs} runs: p50 {statistics.median(took):.1f} ms, p90 {p90:.1f} ms, max {took[-1]:.1f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
