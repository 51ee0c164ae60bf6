"""pytest plugin: run the tests named in AUTHPROBE_FIRST_TESTS first, the rest after them.

Test prioritisation for `authprobe mutants`: with `-x`, the test that caught a defect last
time fails first and ends the run; if it no longer fails, the unchanged suite still runs.
Load it with `-p authprobe.selftest.mutants_plugin`; nothing is deselected, only reordered.
"""

from __future__ import annotations

import os

import pytest

FIRST_TESTS_ENV = "AUTHPROBE_FIRST_TESTS"


def first_tests() -> list[str]:
    """Node ids from the environment, one per line, in priority order."""
    return [line.strip() for line in os.environ.get(FIRST_TESTS_ENV, "").splitlines() if line.strip()]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    wanted = first_tests()
    if not wanted:
        return
    rank = {node_id: position for position, node_id in enumerate(wanted)}
    # sorted() is stable: the named tests lead in the given order, the rest keep theirs
    items[:] = sorted(items, key=lambda item: rank.get(item.nodeid, len(rank)))
