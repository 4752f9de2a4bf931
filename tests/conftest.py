"""Every test runs once per implementation: the Rust extension and the pure-Python twin."""

from __future__ import annotations

import os

import pytest

from influxlite import _backend

IMPLEMENTATIONS = ["native", "pure"]


def pytest_report_header(config):
    return f"influxlite implementation selected at import: {_backend.implementation}"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "compares_implementations: the test checks native against pure itself, so it runs once")


def pytest_collection_modifyitems(config, items):
    """A test that compares the two implementations itself needs no second run."""
    items[:] = [
        item for item in items
        if not (item.get_closest_marker("compares_implementations")
                and getattr(item, "callspec", None) is not None
                and item.callspec.params.get("impl") == "pure")
    ]


@pytest.fixture
def env(tmp_path):
    """A series file and one open shard (cache large enough never to compact by itself)."""
    from influxlite.seriesfile import SeriesFile
    from influxlite.shard import Shard

    sf = SeriesFile(tmp_path / "_series")
    shard = Shard(tmp_path / "1", 1, sf, cache_max_size=1 << 30).open()
    yield tmp_path, sf, shard
    shard.close()
    sf.close()


@pytest.fixture(params=IMPLEMENTATIONS, autouse=True)
def impl(request):
    """Switches ``influxlite`` to one implementation for the test, then restores it."""
    name = request.param
    if name == "native" and _backend.implementation == "pure" and os.environ.get("INFLUXLITE_PURE"):
        pytest.skip("INFLUXLITE_PURE is set: the native implementation is not used in this run")
    before = _backend.implementation
    _backend.use(name)  # an unbuilt extension fails here, loudly
    yield name
    _backend.use(before)
