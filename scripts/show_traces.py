#!/usr/bin/env python3
"""Prints the traces a TruLayer-compatible endpoint holds, as a nested tree per trace.

Usage: show_traces.py ENDPOINT API_KEY   (standard library only, so it runs before any setup)
"""
import json
import sys
import urllib.request


def get(endpoint: str, key: str, path: str) -> dict:
    req = urllib.request.Request(endpoint + path, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def print_spans(spans: list, parent, depth: int) -> None:
    for s in (s for s in spans if s.get("parent_span_id") == parent):
        tokens = ""
        if s.get("prompt_tokens") is not None:
            tokens = f" tokens={s['prompt_tokens']}+{s.get('completion_tokens') or 0}"
        model = f" model={s['model']}" if s.get("model") else ""
        error = f" ERROR={s['error']}" if s.get("error") else ""
        print(f"{'  ' * depth}- [{s['type']}] {s['name']} {s.get('latency_ms', 0)}ms{model}{tokens}{error}")
        print_spans(spans, s["id"], depth + 1)


def main() -> int:
    endpoint, key = sys.argv[1].rstrip("/"), sys.argv[2]
    listing = get(endpoint, key, "/v1/traces?limit=200")
    traces = listing["traces"]
    print(f"\n{len(traces)} trace(s) received by {endpoint}:")
    for t in reversed(traces):
        detail = get(endpoint, key, f"/v1/traces/{t['id']}")
        cost = f" cost=${detail['cost']:.6f}" if detail.get("cost") else ""
        print(f"* {detail.get('name')} ({detail['id']}) {detail.get('latency_ms')}ms spans={detail.get('span_count')}"
              f" tokens={detail.get('total_token_count')}{cost} session={detail.get('session_id')}")
        print_spans(detail.get("spans", []), None, 1)
    return 0 if traces else 1


if __name__ == "__main__":
    sys.exit(main())
