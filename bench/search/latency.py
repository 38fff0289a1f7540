#!/usr/bin/env python3
"""Whole-command latency of keyword search, the index refresh and a walk, for two or more ax
binaries side by side in one run (e.g. the previous commit against this one).

    python3 bench/search/latency.py --size large --ax /tmp/ax-prev --ax target/release/ax

Each binary gets its own work folder with a keyword-only index (`search.embedder: none`, so no
model is involved) of the same corpus. Then, for every round, every binary runs, interleaved
(so machine noise falls on all of them alike):
  search   ax search QUERY --mode keyword --limit 10 --json   (each query of queries.json)
  refresh  ax index --json                                    (the unchanged corpus)
  walk     ax find /docs --name '*.md'
and the script prints p50 / p95 per binary and command, and the ratio to the first binary.
"""

import argparse
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (the benchmark's corpus, config and timing helpers)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=["small", "large"], default="large")
    ap.add_argument("--ax", action="append", required=True, help="an ax binary (give two or more)")
    ap.add_argument("--rounds", type=int, default=3, help="passes over the queries (default 3)")
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.json"))
    args = ap.parse_args()

    corpus = os.path.join(HERE, "out", "corpus-" + args.size)
    run.build_corpus(args.size, corpus, False)
    queries = [q["query"] for q in run.json.load(open(args.queries))]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AX_")}
    systems = []
    try:
        for i, ax in enumerate(args.ax):
            binary = run.resolve_command(ax)[0]
            work = tempfile.mkdtemp(prefix="ax-latency-")
            cfg = run.write_config(work, corpus)
            with open(cfg) as f:
                text = f.read().replace("embedder: default", "embedder: none")
            with open(cfg, "w") as f:
                f.write(text)
            base = [binary, "--config", cfg]
            wall, p = run.run_timed(base + ["index", "--json"], env, cwd=work)
            if p.returncode != 0:
                raise SystemExit("%s index failed:\n%s" % (ax, p.stderr))
            print("%-28s keyword index %.2f s, peak RSS %.1f MB" % (ax, wall, p.peak_rss_mb), flush=True)
            systems.append((ax, base, work))

        cmds = [("search", ["search", q, "--path", "/docs", "--limit", "10", "--mode", "keyword", "--json"])
                for q in queries]
        cmds += [("refresh", ["index", "--json"])] * 10 + [("walk", ["find", "/docs", "--name", "*.md"])] * 10
        times = {(ax, what): [] for ax, _, _ in systems for what in ("search", "refresh", "walk")}
        for _ in range(args.rounds):
            for what, argv in cmds:
                for ax, base, work in systems:
                    wall, p = run.run_timed(base + argv, env, cwd=work)
                    if p.returncode != 0:
                        raise SystemExit("%s %s failed:\n%s" % (ax, argv, p.stderr))
                    times[(ax, what)].append(wall * 1000.0)

        print("\n%-10s %-28s %8s %8s %8s %6s" % ("command", "ax", "p50 ms", "p95 ms", "runs", "ratio"))
        for what in ("search", "refresh", "walk"):
            first = None
            for ax, _, _ in systems:
                v = times[(ax, what)]
                p50 = run.percentile(v, 50)
                first = first or p50
                print("%-10s %-28s %8.1f %8.1f %8d %6.2f" % (what, ax, p50, run.percentile(v, 95), len(v), p50 / first))
    finally:
        for _, _, work in systems:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
