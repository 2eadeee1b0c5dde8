"""pytest plugin: ``pytest --zlint-guard`` runs each test under the runtime guard.

A test during which a forward wrote another module's attributes fails, naming each write, and
the session ends with a summary. ``--zlint-guard-report FILE`` also writes the records as a
report that ``zlint check --runtime-report FILE`` merges into the static findings. The guard
itself needs torch; this module does not, so installing zlint never makes pytest import torch.
"""

from __future__ import annotations

import pytest

_RECORDS_KEY = pytest.StashKey[list]()


def pytest_addoption(parser):
    group = parser.getgroup("zlint")
    group.addoption(
        "--zlint-guard",
        action="store_true",
        default=False,
        help="Fail tests whose forward passes write attributes of other modules (needs torch).",
    )
    group.addoption(
        "--zlint-guard-report",
        default=None,
        metavar="FILE",
        help="With --zlint-guard: write what the guard saw to FILE (JSON).",
    )


def pytest_configure(config):
    if config.getoption("--zlint-guard"):
        config.stash[_RECORDS_KEY] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if _RECORDS_KEY not in item.config.stash:
        yield
        return
    from zlint.guard import ForwardGuard

    guard = ForwardGuard("record")
    with guard:
        outcome = yield
    if guard.records:
        item.config.stash[_RECORDS_KEY].extend(guard.records)
        if outcome.excinfo is None:
            lines = "\n".join(record.describe() for record in guard.records)
            pytest.fail(f"zlint guard: forward-time writes to other modules' state:\n{lines}", pytrace=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _RECORDS_KEY not in config.stash:
        return
    records = config.stash[_RECORDS_KEY]
    terminalreporter.section("zlint guard")
    if not records:
        terminalreporter.write_line("no forward-time writes to other modules' state")
    for record in records:
        terminalreporter.write_line(record.describe())


def pytest_sessionfinish(session, exitstatus):
    config = session.config
    path = config.getoption("--zlint-guard-report")
    if _RECORDS_KEY in config.stash and path:
        import json
        from dataclasses import asdict

        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"version": 1, "records": [asdict(r) for r in config.stash[_RECORDS_KEY]]}, handle, indent=2)
