"""The type stub of the native module names exactly what the module exports."""

from __future__ import annotations

import ast
from pathlib import Path

from trulayer import _native

STUB = Path(__file__).resolve().parents[1] / "python" / "trulayer" / "_native.pyi"


def stub_names():
    tree = ast.parse(STUB.read_text())
    top, members = set(), {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
            members[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
        elif isinstance(node, ast.FunctionDef):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            top.add(node.target.id)
    return top, members


def public(names):
    return {n for n in names if not n.startswith("_")}


def test_stub_matches_the_module():
    top, members = stub_names()
    assert public(dir(_native)) == top
    for cls, names in members.items():
        runtime = public(dir(getattr(_native, cls)))
        assert public(names) == runtime, cls
