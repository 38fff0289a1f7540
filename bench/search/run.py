#!/usr/bin/env python3
"""Search quality and speed benchmark for `ax index` / `ax search` on the Rust books corpus.

    python3 bench/search/run.py [--size small|large] [--ax target/release/ax] [--split all|dev|test]
    python3 bench/search/run.py tune --size large --grid "k=20,60;w_sem=0.5,1,2" --modes hybrid
    python3 bench/search/run.py selftest          # checks the metric and split code
    python3 bench/search/run.py check-queries     # every judged page exists in the corpora

For one corpus size the benchmark:
  1. builds the corpus with make_corpus.py (cached in bench/search/out/corpus-SIZE),
  2. writes ax.yaml in a temporary folder (one warm mount /docs on the corpus, state_dir ./state),
  3. times `ax index --json` (wall seconds, files/s, chunks/s, peak RSS of the process) and
     measures the state dir on disk,
  4. times a second `ax index --json` on the unchanged corpus (nothing should be re-embedded, the
     model should not be loaded),
  5. runs every query of the chosen split of queries.json through
       ax --config ax.yaml search QUERY --path /docs --limit 10 --mode MODE --json
     for MODE in keyword, semantic, hybrid, as whole commands (one process per query, timed),
     and scores nDCG@10, Recall@10 and MRR@10 on the page ranking,
  6. does 2-5 (keyword mode only) for the baseline scripts (baseline_pages.py: BM25 over whole
     pages; baseline_bm25.py: BM25 over heading sections) on the same corpus and queries,
  7. prints one table per split (dev, test, all) with ax's rows and the baselines' side by side,
     the acceptance checks, and writes bench/search/results-SIZE.json.

The dev/test split: within each query kind, queries sorted by id alternate dev, test, dev, ...
(the first of each kind is dev). It is computed on all of queries.json, so a query's half does
not depend on the corpus size. Tune on dev (`tune`), report on test.

--ax takes a command line (split like a shell), so the Python stand-ins work too:
    python3 bench/search/run.py --size small --ax "python3 bench/search/baseline_pages.py"
"""
import argparse
import collections
import datetime
import itertools
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
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MODES = ["keyword", "semantic", "hybrid"]
KINDS = ["keyword", "mixed", "semantic"]
SPLITS = ["dev", "test", "all"]
K = 10
SPLIT_RULE = ("within each query kind, queries sorted by id alternate dev, test, dev, ... "
              "(first of each kind: dev); computed on all of queries.json")
BASELINES = {  # name in --baselines -> (label in tables and results, script)
    "pages": ("bm25-pages", "baseline_pages.py"),
    "sections": ("bm25-sections", "baseline_bm25.py"),
}
# acceptance bars (the product issue)
BAR_HYBRID_NDCG, BAR_HYBRID_GAIN = 0.80, 0.05
BAR_CHUNKS_PER_S, BAR_PEAK_RSS_MB, BAR_REINDEX_S = 60.0, 400.0, 1.0


def portable(value):
    """Results name no machine: paths inside the repo become repo-relative, the temporary
    work folder is dropped, other absolute paths keep only their last two parts."""
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items() if k != "workdir"}
    if isinstance(value, list):
        return [portable(v) for v in value]
    if isinstance(value, str) and value.startswith("/") and os.sep in value[1:]:
        if value.startswith(REPO + os.sep):
            return os.path.relpath(value, REPO)
        if value.startswith(("/tmp/", "/root/", "/home/", "/work/")):
            return os.path.join("...", *value.rstrip("/").split("/")[-2:])
    return value


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


def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None


def split_of(queries):
    """{id: "dev" | "test"}: stratified by kind; within a kind, sorted by id, alternating."""
    by_kind = collections.defaultdict(list)
    for q in queries:
        by_kind[q.get("kind")].append(q["id"])
    out = {}
    for ids in by_kind.values():
        for i, qid in enumerate(sorted(ids)):
            out[qid] = "dev" if i % 2 == 0 else "test"
    return out


def summarize(rows):
    """Averages over per-query rows (keys ndcg, recall, mrr, ms, kind), overall and per kind."""
    lat = [r["ms"] for r in rows if r.get("ms") is not None]
    out = {"n": len(rows),
           "ndcg@10": mean(r["ndcg"] for r in rows),
           "recall@10": mean(r["recall"] for r in rows),
           "mrr@10": mean(r["mrr"] for r in rows),
           "latency_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95),
                          "mean": statistics.fmean(lat) if lat else None,
                          "max": max(lat) if lat else None},
           "by_kind": {}}
    order = lambda k: (KINDS.index(k) if k in KINDS else len(KINDS), str(k))
    for kind in sorted({r["kind"] for r in rows}, key=order):
        rs = [r for r in rows if r["kind"] == kind]
        out["by_kind"][kind] = {"n": len(rs), "ndcg@10": mean(r["ndcg"] for r in rs),
                                "recall@10": mean(r["recall"] for r in rs),
                                "mrr@10": mean(r["mrr"] for r in rs)}
    return out


def split_summaries(rows, splits):
    """{split: summarize(rows of that half)} for the wanted splits present in rows."""
    out = {}
    for s in splits:
        rs = rows if s == "all" else [r for r in rows if r["split"] == s]
        if rs:
            out[s] = summarize(rs)
    return out


def parse_grid(text):
    """"k=20,60;w_sem=0.5,1" -> [{"k": "20", "w_sem": "0.5"}, {"k": "20", "w_sem": "1"}, ...]
    (cartesian product, in the order written; the last key varies fastest)."""
    axes = []
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise SystemExit("bad --grid part %r: want key=v1,v2,..." % part)
        key, vals = part.split("=", 1)
        vals = [v.strip() for v in vals.split(",") if v.strip()]
        if not key.strip() or not vals:
            raise SystemExit("bad --grid part %r: want key=v1,v2,..." % part)
        axes.append((key.strip(), vals))
    return [dict(zip([a[0] for a in axes], combo)) for combo in itertools.product(*[a[1] for a in axes])]


def parse_params(text):
    out = {}
    for part in (text or "").split(","):
        if part.strip():
            if "=" not in part:
                raise SystemExit("bad --params part %r: want key=value" % part)
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def format_params(d):
    return ",".join("%s=%s" % kv for kv in d.items())


def selftest():
    ok = True

    def check(name, got, want, tol=1e-9):
        nonlocal ok
        if isinstance(want, (int, float)) and not isinstance(want, bool) and got is not None \
                and isinstance(got, (int, float)):
            good = abs(got - want) <= tol
        else:
            good = got == want
        print("%-60s %s  got %s want %s" % (name, "ok  " if good else "FAIL", str(got)[:60], str(want)[:60]))
        ok &= good

    # Hand-made example: relevant a (grade 2), b (grade 1), c (grade 1; not retrieved).
    grades = {"a": 2, "b": 1, "c": 1}
    hits = ["x", "a", "a", "y", "b", "x"]          # a hit list with duplicate pages
    ranking = dedupe_pages(hits)
    check("dedupe keeps first occurrence", ranking, ["x", "a", "y", "b"])
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
    check("MRR nothing relevant = 0", mrr_at_k(["x", "y"], grades), 0.0)
    check("p50 of 1..10", percentile(list(range(1, 11)), 50), 5.5)
    check("p95 of 1..10", percentile(list(range(1, 11)), 95), 9.55)
    check("p95 of one value", percentile([7.0], 95), 7.0)
    check("hit path -> page", page_of("/docs/book/x.md", "/docs"), "book/x.md")

    # the split on a made-up query set: 5 keyword, 4 mixed, 3 semantic, given out of order
    qs = [{"id": i, "kind": k} for i, k in [("k3", "keyword"), ("m2", "mixed"), ("k1", "keyword"),
          ("s1", "semantic"), ("k5", "keyword"), ("m1", "mixed"), ("k2", "keyword"), ("s3", "semantic"),
          ("m4", "mixed"), ("k4", "keyword"), ("m3", "mixed"), ("s2", "semantic")]]
    sp = split_of(qs)
    check("split: alternates within a kind by id",
          [sp[i] for i in ["k1", "k2", "k3", "k4", "k5", "m1", "m2", "m3", "m4", "s1", "s2", "s3"]],
          ["dev", "test", "dev", "test", "dev", "dev", "test", "dev", "test", "dev", "test", "dev"])
    check("split: independent of input order", split_of(list(reversed(qs))), sp)
    # the real queries.json
    with open(os.path.join(HERE, "queries.json")) as f:
        real = json.load(f)
    sp = split_of(real)
    dev = {q for q, s in sp.items() if s == "dev"}
    test = {q for q, s in sp.items() if s == "test"}
    check("queries.json split: dev and test disjoint", len(dev & test), 0)
    check("queries.json split: covers every query", dev | test, {q["id"] for q in real})
    check("queries.json split: only dev/test labels", set(sp.values()), {"dev", "test"})
    kinds = collections.Counter(q["kind"] for q in real)
    balance = {k: (sum(1 for q in real if q["kind"] == k and sp[q["id"]] == "dev"),
                   sum(1 for q in real if q["kind"] == k and sp[q["id"]] == "test")) for k in kinds}
    check("queries.json split: stratified (|dev-test| <= 1 per kind)",
          all(abs(d_ - t_) <= 1 for d_, t_ in balance.values()), True)
    print("    split sizes per kind (dev, test): %s" % balance)

    # summaries per split and kind
    rows = [{"id": "a", "kind": "keyword", "split": "dev", "ndcg": 1.0, "recall": 1.0, "mrr": 1.0, "ms": 10.0},
            {"id": "b", "kind": "semantic", "split": "dev", "ndcg": 0.5, "recall": 0.5, "mrr": 0.5, "ms": 20.0},
            {"id": "c", "kind": "keyword", "split": "test", "ndcg": 0.0, "recall": 0.0, "mrr": 0.0, "ms": 30.0},
            {"id": "d", "kind": "semantic", "split": "test", "ndcg": None, "recall": None, "mrr": 0.0, "ms": 40.0}]
    ss = split_summaries(rows, SPLITS)
    check("summary: dev nDCG mean", ss["dev"]["ndcg@10"], 0.75)
    check("summary: test nDCG skips None", ss["test"]["ndcg@10"], 0.0)
    check("summary: all nDCG", ss["all"]["ndcg@10"], 0.5)
    check("summary: all keyword-kind nDCG", ss["all"]["by_kind"]["keyword"]["ndcg@10"], 0.5)
    check("summary: all MRR", ss["all"]["mrr@10"], 0.375)
    check("summary: kinds in fixed order", list(ss["all"]["by_kind"]), ["keyword", "semantic"])
    check("summary: test p50 latency", ss["test"]["latency_ms"]["p50"], 35.0)
    check("summary: all p95 latency", ss["all"]["latency_ms"]["p95"], 38.5)
    check("summary: a split with no rows is left out", list(split_summaries(rows[:2], SPLITS)), ["dev", "all"])

    # grid and params
    g = parse_grid("k=20,60; w_sem=0.5,1,2")
    check("grid: cartesian product size", len(g), 6)
    check("grid: first / last combination", (g[0], g[-1]),
          ({"k": "20", "w_sem": "0.5"}, {"k": "60", "w_sem": "2"}))
    check("grid: empty grid = one empty combination", parse_grid(""), [{}])
    check("params: parse and format round trip", format_params(parse_params("k=60, w_sem=1")), "k=60,w_sem=1")
    merged = dict(parse_params("k=60,pool=max"), **g[0])
    check("params: grid overrides --params", format_params(merged), "k=20,pool=max,w_sem=0.5")

    # the timed runner: exit code, output, peak RSS of the child
    wall, p = run_timed([sys.executable, "-c", "import sys; b = b'x' * (80 << 20); "
                         "print(len(b)); sys.stderr.write('e'); sys.exit(3)"], dict(os.environ))
    check("run_timed: exit code", p.returncode, 3)
    check("run_timed: stdout / stderr", (p.stdout.strip(), p.stderr), (str(80 << 20), "e"))
    check("run_timed: peak RSS >= 80 MB (child's own)", p.peak_rss_mb >= 80, True)
    _, p = run_timed([sys.executable, "-c", "print(1)"], dict(os.environ))
    check("run_timed: a small child's peak RSS < 80 MB", p.peak_rss_mb < 80, True)
    _, p = run_timed([sys.executable, "-c", "import time; time.sleep(30)"], dict(os.environ), timeout=0.5)
    check("run_timed: timeout kills the child", (p.timed_out, p.returncode < 0), (True, True))
    check("portable: repo path -> relative", portable(os.path.join(REPO, "bench", "x")), "bench/x")
    check("portable: workdir dropped, tmp path trimmed",
          portable({"workdir": "/tmp/a", "d": "/tmp/a/b/c"}), {"d": ".../b/c"})
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
        if q.get("kind") not in KINDS:
            problems.append("%s: kind %r is not one of %s" % (q["id"], q.get("kind"), KINDS))
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
    sp = split_of(queries)
    for half in ("dev", "test"):
        c = collections.Counter(q["kind"] for q in queries if sp[q["id"]] == half)
        small = sum(1 for q in queries if sp[q["id"]] == half and
                    any(os.path.isfile(os.path.join(corpora["small"], p)) for p in q["relevant"]))
        print("%s half: %d queries (%s); %d scored on the small corpus" % (
            half, sum(c.values()), ", ".join("%s %d" % (k, c[k]) for k in KINDS), small))
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


Proc = collections.namedtuple("Proc", "returncode stdout stderr peak_rss_mb timed_out")


def run_timed(cmd, env, timeout=3600, cwd=None):
    """Run cmd to completion: (wall seconds from spawn to exit, Proc). peak_rss_mb is the
    child's maximum resident set size (ru_maxrss from wait4; Linux reports KiB; 1 MB = 2^20
    bytes here), which also covers any descendants it waited for."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        fired = []
        timer = threading.Timer(timeout, lambda: (fired.append(1), p.kill()))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        except BaseException:
            p.kill()
            p.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = lambda f: f.read().decode("utf-8", "replace")
        return wall, Proc(p.returncode, text(out), text(err), ru.ru_maxrss / 1024.0, bool(fired))


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


def git_commit():
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True)
    full = commit.stdout.strip()
    return full[:7] + ("-dirty" if dirty.stdout.strip() else ""), full


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


def setup(args):
    """Shared by the benchmark and tune: the ax command, environments, corpus, scored queries."""
    ax = resolve_command(args.ax)
    if not (shutil.which(ax[0]) or os.path.isfile(ax[0])):
        raise SystemExit("no ax binary at %s: build it with `cargo build --release` in %s (or pass --ax)"
                         % (ax[0], REPO))
    with open(args.queries) as f:
        queries = json.load(f)
    split = split_of(queries)
    corpus = os.path.abspath(args.corpus or os.path.join(HERE, "out", "corpus-" + args.size))
    cstats = build_corpus(args.size, corpus, args.rebuild_corpus)
    base_env = dict(os.environ)
    base_env.pop("AX_SEARCH_PARAMS", None)
    if args.model_dir:
        base_env["AX_MODEL_DIR"] = os.path.abspath(args.model_dir)
        if not os.path.isdir(base_env["AX_MODEL_DIR"]):
            raise SystemExit("--model-dir %s is not a folder" % args.model_dir)
    ax_env = dict(base_env)
    if args.params:
        parse_params(args.params)  # validates
        ax_env["AX_SEARCH_PARAMS"] = args.params
    if not base_env.get("AX_MODEL_DIR"):
        hint = os.path.join(REPO, "scripts", "install-model.sh")
        print("note: AX_MODEL_DIR is not set%s" % (
            "; `source scripts/install-model.sh` first (or --model-dir) for semantic/hybrid"
            if os.path.exists(hint) else ""), file=sys.stderr)
    scored = []
    for q in queries:
        grades = {p: int(q.get("grade", {}).get(p, 1)) for p in q["relevant"]}
        present = {p: g for p, g in grades.items() if os.path.exists(os.path.join(corpus, p))}
        if present:
            scored.append((q, present))
    ver = subprocess.run(ax + ["--version"], capture_output=True, text=True, cwd=REPO)
    short, full = git_commit()
    model_dir = base_env.get("AX_MODEL_DIR")
    meta = {
        "size": args.size, "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "ax": args.ax, "ax_version": ver.stdout.strip() if ver.returncode == 0 else "",
        "git": short, "git_commit": full,
        "host": {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version()},
        "model_env": {k: base_env.get(k) for k in ("AX_MODEL_DIR", "ORT_DYLIB_PATH")},
        "model_dir": os.path.basename(model_dir.rstrip("/")) if model_dir else None,
        "params": args.params or None,
        "corpus": {"dir": corpus, "pages": cstats["pages"], "bytes": cstats["bytes"], "books": cstats["books"]},
        "queries": {"total": len(queries), "scored": len(scored),
                    "skipped_no_answer_in_corpus": [q["id"] for q in queries
                                                    if q["id"] not in {s[0]["id"] for s in scored}]},
    }
    return ax, ax_env, base_env, corpus, cstats, split, scored, meta


def run_index(base, env, work, cstats, what):
    """One timed `index --json`; returns the record for the results."""
    wall, p = run_timed(base + ["index", "--json"], env, cwd=work)
    if p.returncode != 0:
        raise SystemExit("%s index failed (exit %d):\n%s%s" % (what, p.returncode, p.stdout, p.stderr))
    idx = parse_json(p.stdout, what + " index")
    return {"wall_seconds": round(wall, 3), "peak_rss_mb": round(p.peak_rss_mb, 1), "report": idx,
            "stderr": p.stderr.strip()[-2000:],
            "files_per_second": round(idx.get("files_indexed", 0) / wall, 1),
            "chunks_per_second": round(idx.get("chunks_indexed", 0) / wall, 1),
            "mb_per_second": round(cstats["bytes"] / 1e6 / wall, 3),
            "model_loaded": idx.get("model_loaded")}


def run_system(label, cmd, env, corpus, cstats, scored, split, modes, args, reindex=True):
    """Index (+ re-index), then every mode over the scored queries, for one system under test."""
    work = tempfile.mkdtemp(prefix="ax-search-bench-")
    cfg = write_config(work, corpus)
    base = cmd + ["--config", cfg]
    out = {"workdir": work}
    try:
        print("%s: index (first, full) ..." % label, flush=True)
        out["index"] = run_index(base, env, work, cstats, label)
        alloc, apparent, nfiles = disk_usage(os.path.join(work, "state"))
        out["index"].update(state_dir_bytes=alloc, state_dir_apparent_bytes=apparent, state_dir_files=nfiles)
        if reindex:
            print("%s: index (second, unchanged corpus) ..." % label, flush=True)
            ri = run_index(base, env, work, cstats, label + " second")
            rr = ri["report"]
            ri.update(nothing_reembedded=rr.get("chunks_embedded", 0) == 0,
                      nothing_reindexed=rr.get("files_indexed", 0) == 0)
            out["reindex"] = ri
        out["modes"] = run_modes(label, base, env, work, scored, split, modes, args.limit)
        if args.watch and reindex:
            out["modes_with_watch"] = with_watch(label, base, env, work, scored, split, modes, args)
    finally:
        if args.keep:
            print("%s: kept the work folder %s" % (label, work))
        else:
            shutil.rmtree(work, ignore_errors=True)
    return out


def search_cmd(base, text, mode, limit):
    return base + ["search", text, "--path", "/docs", "--limit", str(limit), "--mode", mode, "--json"]


def warm_up(label, base, env, work, query, mode, limit):
    """One un-timed query (page cache, index files, lazily built state). Returns None when the
    mode works, else the record saying why not."""
    _, p = run_timed(search_cmd(base, query, mode, limit), env, timeout=600, cwd=work)
    if p.returncode != 0:
        print("  %s --mode %s failed: %s" % (label, mode, p.stderr.strip()[-300:]), flush=True)
        return {"available": False, "error": (p.stderr or p.stdout).strip()[-2000:]}
    if mode != "keyword" and "keyword" in p.stderr.lower():
        print("  %s --mode %s unavailable (falls back to keyword): %s" % (label, mode, p.stderr.strip()[-200:]),
              flush=True)
        return {"available": False, "notice": p.stderr.strip()[-1000:]}
    return None


def run_queries(base, env, work, scored, split, mode, limit):
    """Every (query, grades) as a whole timed command; per-query rows."""
    rows = []
    for q, grades in scored:
        wall, p = run_timed(search_cmd(base, q["query"], mode, limit), env, timeout=600, cwd=work)
        if p.returncode != 0:
            raise SystemExit("search failed on %s (exit %d%s): %s" % (
                q["id"], p.returncode, ", timed out" if p.timed_out else "", p.stderr[-2000:]))
        hits = parse_json(p.stdout, "search")
        if isinstance(hits, dict):  # ax: {results, mode, notice}; the baselines: a bare list
            hits = hits.get("results") or []
        ranking = dedupe_pages(page_of(h["path"], "/docs") for h in hits)
        rows.append({
            "id": q["id"], "kind": q.get("kind"), "split": split[q["id"]], "ms": round(wall * 1000, 1),
            "ndcg": ndcg_at_k(ranking, grades), "recall": recall_at_k(ranking, grades),
            "mrr": mrr_at_k(ranking, grades), "hits": len(hits), "pages": ranking[:K],
            "duplicate_page_hits": len(hits) - len(ranking),
            "found_by": dict(collections.Counter(str(h.get("found_by")) for h in hits[:K]
                                                 if h.get("found_by") is not None)),
            "peak_rss_mb": round(p.peak_rss_mb, 1),
        })
    return rows


def mode_record(rows, splits):
    ss = split_summaries(rows, splits)
    top = ss.get("all") or next(iter(ss.values()))
    fb = collections.Counter()
    for r in rows:
        fb.update(r["found_by"])
    return {"available": True, "n": len(rows),
            # the top-level figures are over every query that ran (compatible with older results)
            "ndcg@10": top["ndcg@10"], "recall@10": top["recall@10"], "mrr@10": top["mrr@10"],
            "latency_ms": top["latency_ms"], "by_kind": top["by_kind"],
            "splits": ss,
            "hits_mean": mean(r["hits"] for r in rows),
            "duplicate_page_hits": sum(r["duplicate_page_hits"] for r in rows),
            "found_by_top10": dict(fb),
            "search_peak_rss_mb": max((r["peak_rss_mb"] for r in rows), default=None),
            "per_query": rows}


def run_modes(label, base, env, work, scored, split, modes, limit):
    out = {}
    splits = sorted({split[q["id"]] for q, _ in scored}, key=SPLITS.index) + ["all"]
    if len(splits) == 2:          # only one half ran: "all" would repeat it
        splits = splits[:1]
    for mode in modes:
        print("%s: search --mode %s, %d queries ..." % (label, mode, len(scored)), flush=True)
        bad = warm_up(label, base, env, work, scored[0][0]["query"], mode, limit)
        if bad:
            out[mode] = bad
            continue
        out[mode] = mode_record(run_queries(base, env, work, scored, split, mode, limit), splits)
    return out


def with_watch(label, base, env, work, scored, split, modes, args):
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
        return run_modes(label + " (watch)", base, env, work, scored, split, modes, args.limit)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def bench(args):
    ax, ax_env, base_env, corpus, cstats, split, scored, meta = setup(args)
    if args.split != "all":
        scored = [s for s in scored if split[s[0]["id"]] == args.split]
    t_start = time.perf_counter()
    result = dict(meta)
    result["split"] = {"rule": SPLIT_RULE, "selected": args.split,
                       "dev": sorted(q for q, s in split.items() if s == "dev"),
                       "test": sorted(q for q, s in split.items() if s == "test")}
    result["queries"]["run"] = len(scored)
    result["queries"]["run_by_split"] = dict(collections.Counter(split[q["id"]] for q, _ in scored))
    modes = args.modes.split(",")
    for m in modes:
        if m not in MODES:
            raise SystemExit("unknown mode %r (want %s)" % (m, ",".join(MODES)))

    t0 = time.perf_counter()
    r = run_system("ax", ax, ax_env, corpus, cstats, scored, split, modes, args)
    r["seconds"] = round(time.perf_counter() - t0, 1)
    result.update(index=r["index"], reindex=r["reindex"], modes=r["modes"], seconds_ax=r["seconds"])
    if "modes_with_watch" in r:
        result["modes_with_watch"] = r["modes_with_watch"]
    result["baselines"] = {}
    for name in ([] if args.no_baselines else [b for b in args.baselines.split(",") if b]):
        if name not in BASELINES:
            raise SystemExit("unknown baseline %r (want %s)" % (name, ",".join(BASELINES)))
        label, script = BASELINES[name]
        t0 = time.perf_counter()
        b = run_system(label, [sys.executable, os.path.join(HERE, script)], base_env, corpus, cstats,
                       scored, split, ["keyword"], args, reindex=False)
        b.pop("workdir", None)
        b["command"] = "python3 bench/search/" + script
        b["seconds"] = round(time.perf_counter() - t0, 1)
        result["baselines"][label] = b
    result["acceptance"] = acceptance(result)
    result["seconds_total"] = round(time.perf_counter() - t_start, 1)

    out = args.out or os.path.join(HERE, "results-%s.json" % args.size)
    with open(out, "w") as f:
        json.dump(portable(result), f, indent=1)
    report(result)
    print("\nwrote %s (%.0f s)" % (out, result["seconds_total"]))
    return 0


def split_figure(modes, mode, split, key="ndcg@10"):
    m = (modes or {}).get(mode) or {}
    return ((m.get("splits") or {}).get(split) or {}).get(key) if m.get("available") else None


def acceptance(r):
    """The product issue's bars, evaluated on this run. pass None: not measurable in this run.
    scope "quality": judged at both sizes on the TEST half; "large": judged on the large corpus."""
    kw = split_figure(r["modes"], "keyword", "test")
    hy = split_figure(r["modes"], "hybrid", "test")
    pages = split_figure((r["baselines"].get("bm25-pages") or {}).get("modes"), "keyword", "test")
    ge = lambda a, b: None if a is None or b is None else a >= b - 1e-12
    gain = None if hy is None or kw is None else hy - kw
    ix, ri = r["index"], r["reindex"]
    model = ri.get("model_loaded")
    return {
        "test_hybrid_ndcg_ge_%.2f" % BAR_HYBRID_NDCG: {"scope": "quality", "value": hy, "pass": ge(hy, BAR_HYBRID_NDCG)},
        "test_hybrid_minus_keyword_ge_%.2f" % BAR_HYBRID_GAIN: {"scope": "quality", "value": gain,
                                                               "pass": ge(gain, BAR_HYBRID_GAIN)},
        "test_keyword_ge_bm25_pages": {"scope": "quality", "value": kw, "baseline": pages, "pass": ge(kw, pages)},
        "index_chunks_per_s_ge_%d" % BAR_CHUNKS_PER_S: {"scope": "large", "value": ix["chunks_per_second"],
                                                        "pass": ge(ix["chunks_per_second"], BAR_CHUNKS_PER_S)},
        "index_peak_rss_mb_le_%d" % BAR_PEAK_RSS_MB: {"scope": "large", "value": ix["peak_rss_mb"],
                                                      "pass": ix["peak_rss_mb"] <= BAR_PEAK_RSS_MB},
        "reindex_seconds_lt_%g" % BAR_REINDEX_S: {"scope": "large", "value": ri["wall_seconds"],
                                                  "pass": ri["wall_seconds"] < BAR_REINDEX_S},
        "reindex_model_not_loaded": {"scope": "large", "value": model, "pass": None if model is None else not model},
    }


def report(r):
    c = r["corpus"]
    print("\n== search benchmark: %s corpus (%d pages, %.1f MB), %s, git %s, params %s, model dir %s" % (
        r["size"], c["pages"], c["bytes"] / 1e6, r["ax_version"] or r["ax"], r["git"],
        r["params"] or "-", r["model_dir"] or "-"))
    systems = [("ax", r)] + list(r["baselines"].items())
    print("\n%-14s %8s %7s %8s %9s %9s %12s %9s" % ("index", "wall s", "files", "chunks", "files/s",
                                                    "chunks/s", "peak RSS MB", "state MB"))
    for name, s in systems:
        i = s["index"]
        rep = i["report"]
        print("%-14s %8.2f %7s %8s %9.1f %9.1f %12.1f %9.1f" % (
            name, i["wall_seconds"], rep.get("files_indexed"), rep.get("chunks_indexed"),
            i["files_per_second"], i["chunks_per_second"], i["peak_rss_mb"], i["state_dir_apparent_bytes"] / 1e6))
    i, rep = r["index"], r["index"]["report"]
    print("ax index: ax's own %s s (keyword-searchable after %s s), %s chunks embedded, %s reused, %s pending, "
          "model loaded: %s; state %.1f MB on disk (%d files) = %.1fx the corpus" % (
              rep.get("seconds", "-"), rep.get("keyword_seconds", "-"), rep.get("chunks_embedded", "-"),
              rep.get("embeddings_reused", "-"), rep.get("chunks_pending", "-"),
              yesno(i.get("model_loaded")), i["state_dir_bytes"] / 1e6, i["state_dir_files"],
              i["state_dir_apparent_bytes"] / max(c["bytes"], 1)))
    ri, rr = r["reindex"], r["reindex"]["report"]
    print("re-index: %.2f s wall, peak RSS %.1f MB, model loaded: %s; files_indexed=%s files_unchanged=%s "
          "chunks_embedded=%s%s" % (
              ri["wall_seconds"], ri["peak_rss_mb"], yesno(ri.get("model_loaded")), rr.get("files_indexed"),
              rr.get("files_unchanged"), rr.get("chunks_embedded"),
              ("" if ri["nothing_reembedded"] else "  <-- re-embedded!") +
              ("" if ri["nothing_reindexed"] else "  <-- files re-indexed")))
    q = r["queries"]
    print("queries: %d scored of %d (%d have no relevant page in this corpus); ran %d (%s), split %r" % (
        q["scored"], q["total"], len(q["skipped_no_answer_in_corpus"]), q["run"],
        ", ".join("%s %d" % kv for kv in sorted(q["run_by_split"].items())), r["split"]["selected"]))
    for split in SPLITS:
        rows = [(name, mode, m) for name, s in systems for mode, m in s["modes"].items()
                if not m.get("available") or split in m.get("splits", {})]
        if not any(m.get("available") for _, _, m in rows):
            continue
        ex = next(m["splits"][split] for _, _, m in rows if m.get("available"))
        print("\n-- %s (%d queries: %s)" % ({"dev": "DEV half", "test": "TEST half", "all": "ALL queries"}[split],
              ex["n"], ", ".join("%s %d" % (k, v["n"]) for k, v in ex["by_kind"].items())))
        mode_table(rows, split)
    if "modes_with_watch" in r:
        print("\nwith `ax watch` running:")
        w = r["modes_with_watch"]
        if "error" in w:
            print("  " + w["error"][:300])
        else:
            for split in SPLITS:
                rows = [("ax", mode, m) for mode, m in w.items() if not m.get("available") or split in m["splits"]]
                if any(m.get("available") for _, _, m in rows):
                    print("  [%s]" % split)
                    mode_table(rows, split)
    print("\nacceptance (quality: the TEST half, both sizes; index: the large corpus%s):" % (
        "" if r["size"] == "large" else " - this run is small, so those are only indicative"))
    for name, a in r["acceptance"].items():
        v, status = a["value"], {True: "PASS", False: "FAIL", None: "n/a"}[a["pass"]]
        if a["scope"] == "large" and r["size"] != "large":
            status = "(%s)" % status
        shown = yesno(v) if isinstance(v, bool) or name == "reindex_model_not_loaded" else \
            fmt(v) if a["scope"] == "quality" else fmt(v, "%.2f")
        extra = " (bm25-pages %s)" % fmt(a["baseline"]) if "baseline" in a else ""
        print("  %-36s %-6s %s%s" % (name, status, shown, extra))


def yesno(v):
    return {True: "yes", False: "no", None: "not reported"}.get(v, v)


def mode_table(rows, split):
    print("%-14s %-9s %8s %8s %8s %8s %10s %7s %8s %8s %6s" % (
        "system", "mode", "nDCG@10", "keyword", "mixed", "semantic", "Recall@10", "MRR@10", "p50 ms",
        "p95 ms", "hits"))
    for name, mode, m in rows:
        if not m.get("available"):
            print("%-14s %-9s %s" % (name, mode, "unavailable: " + (m.get("notice") or m.get("error") or "")[:90]
                                     .replace("\n", " ")))
            continue
        s = m["splits"][split]
        bk = s["by_kind"]
        kind = lambda k: fmt(bk[k]["ndcg@10"]) if k in bk else "-"
        l = s["latency_ms"]
        print("%-14s %-9s %8s %8s %8s %8s %10s %7s %8.1f %8.1f %6.1f" % (
            name, mode, fmt(s["ndcg@10"]), kind("keyword"), kind("mixed"), kind("semantic"),
            fmt(s["recall@10"]), fmt(s["mrr@10"]), l["p50"], l["p95"], m["hits_mean"]))


# ---- tune ------------------------------------------------------------------------------------
def find_reused_config(d):
    """A kept work folder (with ax.yaml) or its state folder."""
    d = os.path.abspath(d)
    for cand in (d, os.path.dirname(d)):
        if os.path.isfile(os.path.join(cand, "ax.yaml")):
            return cand, os.path.join(cand, "ax.yaml")
    raise SystemExit("--reuse-index %s: no ax.yaml there or in its parent (use a folder kept by --keep)" % d)


def tune(args):
    ax, ax_env, base_env, corpus, cstats, split, scored, meta = setup(args)
    modes = args.modes.split(",")
    grid = parse_grid(args.grid)
    base_params = parse_params(args.params)
    dev = [s for s in scored if split[s[0]["id"]] == "dev"]
    test = [s for s in scored if split[s[0]["id"]] == "test"]
    t_start = time.perf_counter()
    result = dict(meta, grid=args.grid, modes=modes, split={"rule": SPLIT_RULE, "dev": len(dev), "test": len(test)})
    if args.reuse_index:
        work, cfg = find_reused_config(args.reuse_index)
        text = open(cfg).read()
        if json.dumps(corpus) not in text and corpus not in text:
            print("warning: %s does not name the corpus %s" % (cfg, corpus), file=sys.stderr)
        result["index"] = {"reused": True}
        print("reusing the index in %s" % work, flush=True)
    else:
        work = tempfile.mkdtemp(prefix="ax-search-tune-")
        cfg = write_config(work, corpus)
        print("ax: index (full, params %s) ..." % (args.params or "-"), flush=True)
        result["index"] = run_index(ax + ["--config", cfg], ax_env, work, cstats, "ax")
    base = ax + ["--config", cfg]
    rows, best = [], {}
    try:
        for mode in modes:
            bad = warm_up("ax", base, ax_env, work, dev[0][0]["query"], mode, args.limit)
            if bad:
                result.setdefault("unavailable", {})[mode] = bad
                continue
            for n, combo in enumerate(grid):
                params = format_params(dict(base_params, **combo))
                env = dict(ax_env, AX_SEARCH_PARAMS=params)
                if not params:
                    env.pop("AX_SEARCH_PARAMS")
                s = summarize(run_queries(base, env, work, dev, split, mode, args.limit))
                rows.append({"mode": mode, "params": params, "dev": s})
                print("  [%d/%d] %-8s %-40s dev nDCG@10 %s" % (n + 1, len(grid), mode, params or "(defaults)",
                                                              fmt(s["ndcg@10"])), flush=True)
        rows.sort(key=lambda r: -(r["dev"]["ndcg@10"] or 0))
        result["rows"] = rows
        print("\n== tune: %s corpus, DEV half (%d queries), sorted by dev nDCG@10; git %s, model dir %s" % (
            args.size, len(dev), meta["git"], meta["model_dir"] or "-"))
        tune_table([(r["mode"], r["params"], r["dev"]) for r in rows])
        for mode in modes:
            mine = [r for r in rows if r["mode"] == mode]
            if not mine:
                continue
            params = mine[0]["params"]
            env = dict(ax_env, AX_SEARCH_PARAMS=params)
            if not params:
                env.pop("AX_SEARCH_PARAMS")
            print("ax: best dev combination for %s on the TEST half ..." % mode, flush=True)
            per_query = run_queries(base, env, work, test, split, mode, args.limit)
            best[mode] = {"params": params, "dev": mine[0]["dev"], "test": summarize(per_query),
                          "per_query": per_query}
        result["best"] = best
        if best:
            print("\n== TEST half (%d queries), the best dev combination per mode, run once:" % len(test))
            tune_table([(m, b["params"], b["test"]) for m, b in best.items()])
    finally:
        if args.reuse_index:
            pass
        elif args.keep:
            print("kept the work folder %s (pass it to --reuse-index)" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result["seconds_total"] = round(time.perf_counter() - t_start, 1)
    out = args.out or os.path.join(HERE, "results-tune-%s.json" % args.size)
    with open(out, "w") as f:
        json.dump(portable(result), f, indent=1)
    print("\nwrote %s (%.0f s)" % (out, result["seconds_total"]))
    return 0


def tune_table(rows):
    print("%-9s %-40s %8s %8s %8s %8s %10s %7s %8s %8s" % (
        "mode", "params", "nDCG@10", "keyword", "mixed", "semantic", "Recall@10", "MRR@10", "p50 ms", "p95 ms"))
    for mode, params, s in rows:
        bk = s["by_kind"]
        kind = lambda k: fmt(bk[k]["ndcg@10"]) if k in bk else "-"
        print("%-9s %-40s %8s %8s %8s %8s %10s %7s %8.1f %8.1f" % (
            mode, params or "(defaults)", fmt(s["ndcg@10"]), kind("keyword"), kind("mixed"), kind("semantic"),
            fmt(s["recall@10"]), fmt(s["mrr@10"]), s["latency_ms"]["p50"], s["latency_ms"]["p95"]))


def common_args(ap):
    ap.add_argument("--size", choices=["small", "large"], default="small")
    ap.add_argument("--ax", default="target/release/ax",
                    help="ax binary (relative to the repo root) or a command line; default target/release/ax")
    ap.add_argument("--params", default="",
                    help="key=value,key=value passed to ax as AX_SEARCH_PARAMS (benchmarking only)")
    ap.add_argument("--model-dir", help="sets AX_MODEL_DIR for ax (e.g. to compare fp32 and int8 folders)")
    ap.add_argument("--limit", type=int, default=10, help="--limit passed to ax search (default 10)")
    ap.add_argument("--queries", default=os.path.join(HERE, "queries.json"))
    ap.add_argument("--corpus", help="corpus folder (default bench/search/out/corpus-SIZE, built when missing)")
    ap.add_argument("--rebuild-corpus", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (ax.yaml + state)")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "selftest":
        return selftest()
    if len(sys.argv) > 1 and sys.argv[1] == "check-queries":
        return check_queries(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "queries.json"))
    if len(sys.argv) > 1 and sys.argv[1] == "tune":
        ap = argparse.ArgumentParser(prog="run.py tune", description=
                                     "Index once (or reuse a kept folder), run the DEV half for every "
                                     "combination of --grid, print them sorted by dev nDCG@10, then run "
                                     "the best combination per mode once on the TEST half.")
        common_args(ap)
        ap.add_argument("--grid", default="", help='"key=v1,v2;key2=v3,v4": cartesian product, passed as '
                        "AX_SEARCH_PARAMS (on top of --params)")
        ap.add_argument("--modes", default="hybrid", help="comma-separated; default hybrid")
        ap.add_argument("--reuse-index", metavar="DIR", help="a work folder kept by --keep (or its state/)")
        ap.add_argument("--out", help="results file (default bench/search/results-tune-SIZE.json)")
        return tune(ap.parse_args(sys.argv[2:]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(ap)
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated; default keyword,semantic,hybrid")
    ap.add_argument("--split", choices=["all", "dev", "test"], default="all",
                    help="which queries to run (default all: dev, test and all are reported)")
    ap.add_argument("--baselines", default="pages,sections",
                    help="baseline scripts run in the same invocation (keyword mode): pages (baseline_pages.py), "
                         "sections (baseline_bm25.py); default pages,sections")
    ap.add_argument("--no-baselines", action="store_true", help="run ax only")
    ap.add_argument("--out", help="results file (default bench/search/results-SIZE.json)")
    ap.add_argument("--watch", action="store_true",
                    help="also run every mode again with `ax watch` running (warm model process)")
    ap.add_argument("--watch-wait", type=float, default=3.0, help="seconds to let ax watch start (default 3)")
    return bench(ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())
