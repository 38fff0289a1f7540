#!/usr/bin/env python3
"""Search quality and speed benchmark for `ax index` / `ax search` on the Rust books corpus.

    python3 bench/search/run.py --size small|large [--ax target/release/ax]
    python3 bench/search/run.py selftest          # checks the metric code on hand-made cases
    python3 bench/search/run.py check-queries     # every judged page exists in the corpora

For one corpus size it:
  1. builds the corpus with make_corpus.py (cached in bench/search/out/corpus-SIZE),
  2. writes ax.yaml in a temporary folder (one warm mount /docs on the corpus, state_dir ./state),
  3. times `ax index --json` (wall seconds, files/s, chunks/s) and measures the state dir on disk,
  4. times a second `ax index --json` on the unchanged corpus (nothing should be re-embedded),
  5. runs every query of queries.json through
       ax --config ax.yaml search QUERY --path /docs --limit 10 --mode MODE --json
     for MODE in keyword, semantic, hybrid, as whole commands (one process per query, timed),
     and scores nDCG@10, Recall@10 and MRR@10 on the page ranking (hits mapped to their page,
     duplicate pages removed, first occurrence kept),
  6. prints a table and writes bench/search/results-SIZE.json (per-query details included).

--ax takes a command line (split like a shell), so the Python stand-in works too:
    python3 bench/search/run.py --size small --ax "python3 bench/search/baseline_bm25.py"
"""
import argparse
import datetime
import json
import math
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def portable(value):
    """Results name no machine: paths inside the repo become repo-relative, the temporary
    work folder is dropped, other absolute paths keep only their last two parts."""
    repo = os.path.dirname(os.path.dirname(HERE))
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items() if k != "workdir"}
    if isinstance(value, list):
        return [portable(v) for v in value]
    if isinstance(value, str) and value.startswith("/") and os.sep in value[1:]:
        if value.startswith(repo + os.sep):
            return os.path.relpath(value, repo)
        if value.startswith(("/tmp/", "/root/", "/home/", "/work/")):
            return os.path.join("...", *value.rstrip("/").split("/")[-2:])
    return value
REPO = os.path.dirname(os.path.dirname(HERE))
MODES = ["keyword", "semantic", "hybrid"]
K = 10


# ---- metrics ---------------------------------------------------------------------------------
def dedupe_pages(paths):
    """Page ranking from a hit ranking: first occurrence of each page kept, order preserved."""
    seen, out = set(), []
    for p in paths:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def dcg(gains):
    # linear gain (trec_eval's default): sum of grade / log2(rank + 1), rank from 1
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranking, grades, k=K):
    """ranking: page list, best first (already de-duplicated); grades: {page: grade >= 1}."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return None
    return dcg([grades.get(p, 0) for p in ranking[:k]]) / ideal


def recall_at_k(ranking, grades, k=K):
    if not grades:
        return None
    return len(set(ranking[:k]) & set(grades)) / len(grades)


def mrr_at_k(ranking, grades, k=K):
    for i, p in enumerate(ranking[:k]):
        if p in grades:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return None
    v = sorted(values)
    pos = (len(v) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def selftest():
    ok = True

    def check(name, got, want, tol=1e-9):
        nonlocal ok
        good = (got is None and want is None) or (got is not None and want is not None and abs(got - want) <= tol)
        print("%-52s %s  got %s want %s" % (name, "ok  " if good else "FAIL", got, want))
        ok &= good

    # Hand-made example: relevant a (grade 2), b (grade 1), c (grade 1; not retrieved).
    grades = {"a": 2, "b": 1, "c": 1}
    hits = ["x", "a", "a", "y", "b", "x"]          # a hit list with duplicate pages
    ranking = dedupe_pages(hits)
    check("dedupe keeps first occurrence", float(ranking == ["x", "a", "y", "b"]), 1.0)
    # DCG = 0/log2(2) + 2/log2(3) + 0/log2(4) + 1/log2(5); IDCG = 2/1 + 1/log2(3) + 1/log2(4)
    d = 2 / math.log2(3) + 1 / math.log2(5)
    i = 2 + 1 / math.log2(3) + 1 / 2
    check("nDCG@10 hand-computed", ndcg_at_k(ranking, grades), d / i)
    # = (1.26186 + 0.43068) / (2 + 0.63093 + 0.5) = 1.69254 / 3.13093
    check("nDCG@10 by hand (numbers)", round(ndcg_at_k(ranking, grades), 4), 0.5406)
    check("nDCG perfect ranking = 1", ndcg_at_k(["a", "b", "c"], grades), 1.0)
    check("nDCG nothing relevant = 0", ndcg_at_k(["x", "y"], grades), 0.0)
    check("nDCG no judgments = None", ndcg_at_k(["x"], {}), None)
    check("nDCG cut at k (relevant at rank 11 ignored)",
          ndcg_at_k(["x%d" % n for n in range(10)] + ["a"], grades), 0.0)
    check("Recall@10 = 2/3", recall_at_k(ranking, grades), 2 / 3)
    check("Recall@2 = 1/3", recall_at_k(ranking, grades, 2), 1 / 3)
    check("MRR = 1/2", mrr_at_k(ranking, grades), 0.5)
    check("p50 of 1..10", percentile(list(range(1, 11)), 50), 5.5)
    check("p95 of 1..10", percentile(list(range(1, 11)), 95), 9.55)
    check("hit path -> page", float(page_of("/docs/book/x.md", "/docs") == "book/x.md"), 1.0)
    print("selftest", "passed" if ok else "FAILED")
    return 0 if ok else 1


def check_queries(path):
    """Validate queries.json against both corpora (built when missing)."""
    with open(path) as f:
        queries = json.load(f)
    corpora = {}
    for size in ("small", "large"):
        d = os.path.join(HERE, "out", "corpus-" + size)
        build_corpus(size, d, False)
        corpora[size] = d
    problems = []
    ids = [q["id"] for q in queries]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    answerable = {"small": 0, "large": 0}
    kinds = {}
    for q in queries:
        kinds[q.get("kind")] = kinds.get(q.get("kind"), 0) + 1
        grade = q.get("grade", {})
        if set(grade) - set(q["relevant"]):
            problems.append("%s: graded pages not in relevant" % q["id"])
        if any(g not in (1, 2) for g in grade.values()):
            problems.append("%s: grades must be 1 or 2" % q["id"])
        for p in q["relevant"]:
            if not os.path.isfile(os.path.join(corpora["large"], p)):
                problems.append("%s: %s is not in the large corpus" % (q["id"], p))
        for size, d in corpora.items():
            if any(os.path.isfile(os.path.join(d, p)) for p in q["relevant"]):
                answerable[size] += 1
    print("%d queries (%s); with a relevant page in the small corpus: %d, in the large: %d; "
          "judged pages: %d" % (len(queries), ", ".join("%s %d" % kv for kv in sorted(kinds.items())),
                                answerable["small"], answerable["large"],
                                sum(len(q["relevant"]) for q in queries)))
    for pr in problems:
        print("PROBLEM:", pr)
    return 1 if problems else 0


# ---- helpers ---------------------------------------------------------------------------------
def page_of(hit_path, mount):
    p = hit_path
    if p.startswith(mount + "/"):
        p = p[len(mount) + 1:]
    return p.lstrip("/")


def disk_usage(path):
    """(bytes allocated on disk, apparent bytes, files) under path."""
    alloc = apparent = files = 0
    for dirpath, _, filenames in os.walk(path):
        for fn in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, fn))
            except OSError:
                continue
            alloc += st.st_blocks * 512
            apparent += st.st_size
            files += 1
    return alloc, apparent, files


def resolve_command(text):
    """Split a command line; relative paths in it resolve against the cwd, else the repo root."""
    out = []
    for i, part in enumerate(shlex.split(text)):
        if not os.path.isabs(part) and (os.sep in part or i == 0 and not shutil.which(part)):
            for base in (os.getcwd(), REPO):
                if os.path.exists(os.path.join(base, part)):
                    part = os.path.abspath(os.path.join(base, part))
                    break
        out.append(part)
    return out


def run_timed(cmd, env, timeout=3600, cwd=None):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=cwd)
    return time.perf_counter() - t0, p


def parse_json(out, what):
    try:
        return json.loads(out)
    except ValueError:
        # tolerate a progress line before the JSON document
        for line in reversed(out.strip().splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise SystemExit("could not parse the JSON output of %s:\n%s" % (what, out[:2000]))


def fmt(v, spec="%.3f"):
    return "-" if v is None else spec % v


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


# ---- the benchmark ---------------------------------------------------------------------------
def build_corpus(size, corpus, rebuild):
    stats_file = corpus.rstrip("/") + ".json"
    if rebuild or not os.path.exists(stats_file) or not os.path.isdir(corpus):
        print("building the %s corpus in %s ..." % (size, corpus), flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), "--size", size, corpus],
                       check=True)
    with open(stats_file) as f:
        return json.load(f)


def write_config(work, corpus):
    cfg = os.path.join(work, "ax.yaml")
    with open(cfg, "w") as f:
        f.write("# written by bench/search/run.py\n"
                "name: search-bench\n"
                "state_dir: ./state\n"
                "mounts:\n"
                "  - path: /docs\n"
                "    tier: warm\n"
                "    root: %s\n"
                "    description: the Rust documentation books as markdown\n"
                "search:\n"
                "  embedder: default\n" % json.dumps(corpus))
    return cfg


def bench(args):
    ax = resolve_command(args.ax)
    if not (shutil.which(ax[0]) or os.path.isfile(ax[0])):
        raise SystemExit("no ax binary at %s: build it with `cargo build --release` in %s (or pass --ax)"
                         % (ax[0], REPO))
    with open(args.queries) as f:
        queries = json.load(f)

    corpus = os.path.abspath(args.corpus or os.path.join(HERE, "out", "corpus-" + args.size))
    cstats = build_corpus(args.size, corpus, args.rebuild_corpus)
    work = tempfile.mkdtemp(prefix="ax-search-bench-")
    cfg = write_config(work, corpus)
    base = ax + ["--config", cfg]
    env = dict(os.environ)
    if not env.get("AX_MODEL_DIR"):
        hint = os.path.join(REPO, "scripts", "install-model.sh")
        print("note: AX_MODEL_DIR is not set%s" % (
            "; `source scripts/install-model.sh` first for semantic/hybrid" if os.path.exists(hint) else ""),
            file=sys.stderr)
    ver = subprocess.run(ax + ["--version"], capture_output=True, text=True, cwd=work)
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)

    result = {
        "size": args.size, "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "ax": args.ax, "ax_version": ver.stdout.strip(),
        "git": commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else ""),
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version()},
        "model_env": {k: env.get(k) for k in ("AX_MODEL_DIR", "ORT_DYLIB_PATH")},
        "corpus": {"dir": corpus, "pages": cstats["pages"], "bytes": cstats["bytes"], "books": cstats["books"]},
        "workdir": work,
    }
    try:
        # -- index ------------------------------------------------------------------------
        print("ax index (first, full) ...", flush=True)
        wall, p = run_timed(base + ["index", "--json"], env, cwd=work)
        if p.returncode != 0:
            raise SystemExit("ax index failed (exit %d):\n%s%s" % (p.returncode, p.stdout, p.stderr))
        idx = parse_json(p.stdout, "ax index")
        alloc, apparent, nfiles = disk_usage(os.path.join(work, "state"))
        result["index"] = {
            "wall_seconds": round(wall, 3), "report": idx, "stderr": p.stderr.strip()[-2000:],
            "files_per_second": round(idx.get("files_indexed", 0) / wall, 1),
            "chunks_per_second": round(idx.get("chunks_indexed", 0) / wall, 1),
            "mb_per_second": round(cstats["bytes"] / 1e6 / wall, 3),
            "state_dir_bytes": alloc, "state_dir_apparent_bytes": apparent, "state_dir_files": nfiles,
        }
        print("ax index (second, unchanged corpus) ...", flush=True)
        wall2, p = run_timed(base + ["index", "--json"], env, cwd=work)
        if p.returncode != 0:
            raise SystemExit("second ax index failed (exit %d):\n%s" % (p.returncode, p.stderr))
        idx2 = parse_json(p.stdout, "second ax index")
        result["reindex"] = {"wall_seconds": round(wall2, 3), "report": idx2,
                             "nothing_reembedded": idx2.get("chunks_embedded", 0) == 0,
                             "nothing_reindexed": idx2.get("files_indexed", 0) == 0}

        # -- queries ----------------------------------------------------------------------
        scored = []
        for q in queries:
            grades = {p: int(q.get("grade", {}).get(p, 1)) for p in q["relevant"]}
            present = {p: g for p, g in grades.items() if os.path.exists(os.path.join(corpus, p))}
            if present:
                scored.append((q, present))
        result["queries"] = {"total": len(queries), "scored": len(scored),
                             "skipped_no_answer_in_corpus": [q["id"] for q in queries
                                                             if q["id"] not in {s[0]["id"] for s in scored}]}
        result["modes"] = run_modes(args, base, env, work, scored)
        if args.watch:
            result["modes_with_watch"] = with_watch(args, base, env, work, scored)
    finally:
        if args.keep:
            print("kept the work folder %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    out = args.out or os.path.join(HERE, "results-%s.json" % args.size)
    with open(out, "w") as f:
        json.dump(portable(result), f, indent=1)
    report(result)
    print("\nwrote %s" % out)
    return 0


def run_modes(args, base, env, work, scored):
    modes = {}
    for mode in args.modes.split(","):
        print("ax search --mode %s: %d queries ..." % (mode, len(scored)), flush=True)
        cmd = lambda text: base + ["search", text, "--path", "/docs", "--limit", str(args.limit),
                                   "--mode", mode, "--json"]
        # warm-up (page cache, index files, any lazily built state); not timed or scored
        _, p = run_timed(cmd(scored[0][0]["query"]), env, timeout=600, cwd=work)
        if p.returncode != 0:
            modes[mode] = {"available": False, "error": (p.stderr or p.stdout).strip()[-2000:]}
            print("  failed: %s" % (p.stderr.strip()[-300:]), flush=True)
            continue
        if mode != "keyword" and "keyword" in p.stderr.lower():
            modes[mode] = {"available": False, "notice": p.stderr.strip()[-1000:]}
            print("  unavailable (falls back to keyword): %s" % p.stderr.strip()[-200:], flush=True)
            continue
        per_query, lat = [], []
        for q, grades in scored:
            wall, p = run_timed(cmd(q["query"]), env, timeout=600, cwd=work)
            if p.returncode != 0:
                raise SystemExit("ax search failed on %s (exit %d): %s" % (q["id"], p.returncode, p.stderr))
            hits = parse_json(p.stdout, "ax search")
            ranking = dedupe_pages(page_of(h["path"], "/docs") for h in hits)
            lat.append(wall * 1000)
            per_query.append({
                "id": q["id"], "kind": q.get("kind"), "ms": round(wall * 1000, 1),
                "ndcg": ndcg_at_k(ranking, grades), "recall": recall_at_k(ranking, grades),
                "mrr": mrr_at_k(ranking, grades), "hits": len(hits), "pages": ranking[:K],
            })
        m = {"available": True, "n": len(per_query),
             "ndcg@10": mean(r["ndcg"] for r in per_query),
             "recall@10": mean(r["recall"] for r in per_query),
             "mrr@10": mean(r["mrr"] for r in per_query),
             "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95),
                            "mean": statistics.fmean(lat), "max": max(lat)},
             "by_kind": {}, "per_query": per_query}
        for kind in sorted({r["kind"] for r in per_query}):
            rs = [r for r in per_query if r["kind"] == kind]
            m["by_kind"][kind] = {"n": len(rs), "ndcg@10": mean(r["ndcg"] for r in rs),
                                  "recall@10": mean(r["recall"] for r in rs)}
        modes[mode] = m
    return modes


def with_watch(args, base, env, work, scored):
    """The same query runs with `ax watch` up (a long-running process may serve a warm model)."""
    print("starting `ax watch` for the warm-process pass ...", flush=True)
    log = open(os.path.join(work, "watch.log"), "w")
    proc = subprocess.Popen(base + ["watch"], stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env)
    try:
        time.sleep(args.watch_wait)
        if proc.poll() is not None:
            log.close()
            text = open(os.path.join(work, "watch.log")).read()
            print("  ax watch exited (%s): %s" % (proc.returncode, text.strip()[-300:]), flush=True)
            return {"error": "ax watch exited with %s: %s" % (proc.returncode, text.strip()[-1000:])}
        return run_modes(args, base, env, work, scored)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def report(r):
    c, i, ri = r["corpus"], r["index"], r["reindex"]
    print("\n== ax search benchmark: %s corpus (%d pages, %.1f MB), %s, %s" % (
        r["size"], c["pages"], c["bytes"] / 1e6, r["ax_version"] or r["ax"], r["git"]))
    rep = i["report"]
    print("index:   %.1f s wall (ax: %s s), %s files, %s chunks (%s embedded) -> %.1f files/s, %.1f chunks/s, %.2f MB/s" % (
        i["wall_seconds"], rep.get("seconds"), rep.get("files_indexed"), rep.get("chunks_indexed"),
        rep.get("chunks_embedded"), i["files_per_second"], i["chunks_per_second"], i["mb_per_second"]))
    print("state:   %.1f MB on disk (%.1f MB apparent, %d files) = %.1fx the corpus" % (
        i["state_dir_bytes"] / 1e6, i["state_dir_apparent_bytes"] / 1e6, i["state_dir_files"],
        i["state_dir_apparent_bytes"] / max(c["bytes"], 1)))
    rr = ri["report"]
    print("reindex: %.2f s wall, unchanged corpus: files_indexed=%s files_unchanged=%s chunks_embedded=%s%s" % (
        ri["wall_seconds"], rr.get("files_indexed"), rr.get("files_unchanged"), rr.get("chunks_embedded"),
        ("" if ri["nothing_reembedded"] else "  <-- re-embedded!") +
        ("" if ri["nothing_reindexed"] else "  <-- files re-indexed")))
    q = r["queries"]
    print("queries: %d scored of %d (%d have no relevant page in this corpus)" % (
        q["scored"], q["total"], len(q["skipped_no_answer_in_corpus"])))
    print()
    print("%-9s %8s %9s %7s %8s %8s %8s   %s" % ("mode", "nDCG@10", "Recall@10", "MRR@10", "p50 ms", "p95 ms",
                                                 "mean ms", "nDCG@10 by kind"))
    mode_table(r["modes"])
    if "modes_with_watch" in r:
        print("\nwith `ax watch` running:")
        w = r["modes_with_watch"]
        if "error" in w:
            print("  " + w["error"][:300])
        else:
            mode_table(w)


def mode_table(modes):
    for mode, m in modes.items():
        if not m.get("available"):
            print("%-9s %s" % (mode, "unavailable: " + (m.get("notice") or m.get("error") or "")[:120].replace("\n", " ")))
            continue
        kinds = "  ".join("%s %.3f (%d)" % (k, v["ndcg@10"], v["n"]) for k, v in m["by_kind"].items())
        l = m["latency_ms"]
        print("%-9s %8.3f %9.3f %7.3f %8.1f %8.1f %8.1f   %s" % (
            mode, m["ndcg@10"], m["recall@10"], m["mrr@10"], l["p50"], l["p95"], l["mean"], kinds))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "selftest":
        return selftest()
    if len(sys.argv) > 1 and sys.argv[1] == "check-queries":
        return check_queries(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "queries.json"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=["small", "large"], default="small")
    ap.add_argument("--ax", default="target/release/ax",
                    help="ax binary (relative to the repo root) or a command line; default target/release/ax")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated; default keyword,semantic,hybrid")
    ap.add_argument("--limit", type=int, default=10, help="--limit passed to ax search (default 10)")
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.json"))
    ap.add_argument("--corpus", help="corpus folder (default bench/search/out/corpus-SIZE, built when missing)")
    ap.add_argument("--rebuild-corpus", action="store_true")
    ap.add_argument("--out", help="results file (default bench/search/results-SIZE.json)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (ax.yaml + state)")
    ap.add_argument("--watch", action="store_true",
                    help="also run every mode again with `ax watch` running (warm model process)")
    ap.add_argument("--watch-wait", type=float, default=3.0, help="seconds to let ax watch start (default 3)")
    return bench(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
