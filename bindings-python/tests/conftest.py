"""Shared fixtures: a local-mode global client, and the real collector on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

import trulayer

REPO = Path(__file__).resolve().parents[2]
COLLECTOR = REPO / "target" / "debug" / "trulayer-collector"
API_KEY = "tl_test_key"
PROJECT = "pytest-project"

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No TRULAYER_* variable of the developer's shell leaks into a test; no global client
    outlives one."""
    for var in list(os.environ):
        if var.startswith("TRULAYER_"):
            monkeypatch.delenv(var)
    yield
    trulayer.shutdown(timeout=2)


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch):
    """The global client in local mode; yields ``trulayer.testing``."""
    monkeypatch.setenv("TRULAYER_MODE", "local")
    trulayer.init(project_name="tests")
    return trulayer.testing


@pytest.fixture(scope="session")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real collector (target/debug/trulayer-collector) on a free port; yields its URL."""
    if not COLLECTOR.exists():
        pytest.fail(f"{COLLECTOR} is missing: run `cargo build -p trulayer-collector` first")
    db = tmp_path_factory.mktemp("collector") / "traces.db"
    proc = subprocess.Popen(
        [str(COLLECTOR), "--addr", "127.0.0.1:0", "--db", str(db), "--key", f"{API_KEY}={PROJECT}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        line = proc.stdout.readline().strip() if proc.stdout else ""
        prefix = "trulayer-collector listening on "
        if not line.startswith(prefix):
            pytest.fail(f"unexpected first line from the collector: {line!r}")
        yield line[len(prefix):]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def provider():
    """A fake OpenAI/Anthropic API over HTTP on 127.0.0.1 (see fake_provider.py)."""
    from fake_provider import FakeProvider

    with FakeProvider() as p:
        yield p
