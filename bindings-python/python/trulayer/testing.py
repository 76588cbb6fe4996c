"""Assertions on traces kept in process by ``TRULAYER_MODE=local`` (no network, no key).

    os.environ["TRULAYER_MODE"] = "local"
    trulayer.init(project_name="tests")
    ...
    assert trulayer.testing.last_trace().name == "unit-test"

Also a pytest fixture, ``trulayer_local`` (registered as a pytest plugin), that initialises a
local-mode global client for one test and yields this module.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, List, Optional

from .models import TraceData


def _client(client: Any) -> Any:
    if client is None:
        from . import get_client

        client = get_client()
    if not client._native.local_mode:
        raise RuntimeError("trulayer.testing needs a client in local mode (TRULAYER_MODE=local or mode='local')")
    return client


def traces(client: Any = None) -> List[TraceData]:
    """Every trace kept so far, oldest first (up to local_buffer_size)."""
    return [TraceData.from_wire(json.loads(t)) for t in _client(client)._native.local_traces()]


def last_trace(client: Any = None) -> Optional[TraceData]:
    """The most recently finished trace, or None."""
    kept = _client(client)._native.local_traces()
    return TraceData.from_wire(json.loads(kept[-1])) if kept else None


def clear(client: Any = None) -> None:
    _client(client)._native.clear_local_traces()


try:
    import pytest
except ImportError:  # pytest is optional: the fixture exists only where pytest does
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def trulayer_local(monkeypatch: Any) -> Iterator[Any]:
        """A local-mode global client for one test; yields ``trulayer.testing``."""
        import sys

        import trulayer

        monkeypatch.setenv("TRULAYER_MODE", "local")
        trulayer.init(project_name="tests")
        try:
            yield sys.modules[__name__]
        finally:
            trulayer.shutdown()
