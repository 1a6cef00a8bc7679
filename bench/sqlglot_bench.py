#!/usr/bin/env python3
"""sqlglot side of `bench validation`: parse the same corpus with sqlglot (dialect postgres) and
report its speed and how many of the bad queries it lets through (parses without an error).

Input: a JSON file [{"id", "sql", "bad"}...] written by ValidationBench.cs. Output: one JSON object.
Run with Debian's python3 (package python3-sqlglot)."""
import json
import sys
import time

import sqlglot
from sqlglot.errors import ErrorLevel


def parse(sql):
    try:
        sqlglot.parse(sql, read="postgres", error_level=ErrorLevel.RAISE)
        return True
    except Exception:  # ParseError, TokenError, and whatever else a bad input triggers
        return False


def main():
    cases = json.load(open(sys.argv[1], encoding="utf-8"))
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    typical = sys.argv[3] if len(sys.argv) > 3 else None

    accepted = {c["id"]: parse(c["sql"]) for c in cases}
    bad = [c for c in cases if c["bad"]]
    let_through = [c["id"] for c in bad if accepted[c["id"]]]

    # Throughput over the whole corpus, one thread (CPython runs on one core anyway): each query's
    # median time over repeated passes, summed (robust to other processes taking the core a while).
    times = [[] for _ in cases]
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times[0]) < 3:
        for i, c in enumerate(cases):
            t0 = time.perf_counter()
            parse(c["sql"])
            times[i].append(time.perf_counter() - t0)
    total = sum(sorted(t)[len(t) // 2] for t in times)

    result = {
        "version": sqlglot.__version__,
        "cases": len(cases),
        "bad": len(bad),
        "bad_let_through": len(let_through),
        "bad_let_through_ids": let_through,
        "corpus_parses_per_second": len(cases) / total,
    }
    if typical:
        samples = []
        for _ in range(200):
            parse(typical)
        for _ in range(3000):
            t0 = time.perf_counter()
            parse(typical)
            samples.append((time.perf_counter() - t0) * 1e6)
        samples.sort()
        result["typical_p50_us"] = samples[len(samples) // 2]
        result["typical_p99_us"] = samples[int(len(samples) * 0.99)]
        result["typical_per_second"] = 1e6 / result["typical_p50_us"]
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
