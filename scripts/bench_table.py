#!/usr/bin/env python3
"""Prints `make bench`'s cross-language table from benchmark logs on standard input.

Benchmarks emit lines `BENCH|language|implementation|µs per trace|process CPU µs per trace`,
optionally followed by `|% of recorded traces delivered` (any number may be empty). Each row's ratio is to the TruLayer row of its language: how
many times more a peer costs per trace.
"""
import sys

OURS = ("trulayer (this SDK)", "trulayer-core", "libtrulayer", "@trulayer/sdk")


def ratio(value: str, reference: str) -> str:
    try:
        return f"{float(value) / float(reference):.1f}"
    except (ValueError, ZeroDivisionError):
        return ""


def main() -> int:
    rows = [(line.rstrip("\n").split("|") + [""])[1:6] for line in sys.stdin if line.startswith("BENCH|")]
    if not rows:
        print("no BENCH lines: did the benchmarks run?")
        return 1
    header = ("language", "implementation", "µs/trace", "x ours", "CPU µs/trace", "x ours", "delivered")
    print("{:<8} {:<52} {:>9} {:>7} {:>13} {:>7} {:>10}".format(*header))
    for lang in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == lang]
        ref = next((r for r in mine if r[1].startswith(OURS)), mine[0])
        for _, impl, us, cpu, delivered in mine:
            delivered = f"{delivered}%" if delivered else ""
            print(f"{lang:<8} {impl:<52} {us:>9} {ratio(us, ref[2]):>7} {cpu:>13} {ratio(cpu, ref[3]):>7} {delivered:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
