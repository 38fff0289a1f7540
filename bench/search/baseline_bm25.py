#!/usr/bin/env python3
"""A tiny pure-Python BM25 behind the same CLI contract as `ax index` / `ax search`.

It exists for two reasons: to check run.py's plumbing and scoring before `ax search` exists,
and as a fixed reference point for ax's keyword mode (same corpus, same queries, a naive
chunker: one chunk per markdown heading section, split every 60 lines).

    python3 bench/search/baseline_bm25.py --config ax.yaml index --json
    python3 bench/search/baseline_bm25.py --config ax.yaml search "QUERY" --path /docs \
        --limit 10 --mode keyword --json

Only the parts of the config that run.py writes are understood (state_dir, mounts' path and
root). There is no embedding model: --mode semantic|hybrid print a notice on stderr and fall
back to keyword search, as ax does without a model.
"""
import argparse
import collections
import json
import math
import os
import pickle
import re
import sys
import time

K1, B = 1.2, 0.75
MAX_LINES = 60
STOP = set("a an and are as at be by for from how i in is it of on or that the this to what "
           "when where which why with do does can my me you your".split())


def tokens(text):
    out = []
    for w in re.findall(r"[A-Za-z0-9]+", text):
        parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", w)
        low = w.lower()
        if low not in STOP:
            out.append(low)
        if len(parts) > 1:
            out.extend(p.lower() for p in parts if p.lower() not in STOP)
    return out


def read_config(path):
    text = open(path, encoding="utf-8").read()
    base = os.path.dirname(os.path.abspath(path))
    m = re.search(r"^state_dir:\s*(\S+)", text, re.M)
    state = os.path.join(base, m.group(1).strip("'\"") if m else ".ax")
    mounts = []
    for mp, root in re.findall(r"-\s*path:\s*(\S+)[\s\S]*?root:\s*(\S+)", text):
        mounts.append((mp.strip("'\"").rstrip("/"), os.path.join(base, root.strip("'\""))))
    return state, mounts


def chunk(lines):
    """Yield (start_line, end_line, text) per heading section, at most MAX_LINES lines each."""
    start, fence = 0, False
    bounds = []
    for i, ln in enumerate(lines):
        if ln.startswith("```"):
            fence = not fence
        if not fence and ln.startswith("#") and i > start:
            bounds.append((start, i))
            start = i
    bounds.append((start, len(lines)))
    for s, e in bounds:
        for cs in range(s, e, MAX_LINES):
            ce = min(cs + MAX_LINES, e)
            text = "\n".join(lines[cs:ce])
            if text.strip():
                yield cs + 1, ce, text


def cmd_index(args, state, mounts):
    t0 = time.time()
    docs, files = [], 0
    for mp, root in mounts:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                rel = os.path.relpath(full, root)
                try:
                    lines = open(full, encoding="utf-8").read().split("\n")
                except (UnicodeDecodeError, OSError):
                    continue
                files += 1
                for s, e, text in chunk(lines):
                    docs.append((mp + "/" + rel, s, e, text))
    postings = collections.defaultdict(list)
    lengths = []
    for i, (_, _, _, text) in enumerate(docs):
        tf = collections.Counter(tokens(text))
        lengths.append(sum(tf.values()))
        for t, c in tf.items():
            postings[t].append((i, c))
    os.makedirs(state, exist_ok=True)
    tmp = os.path.join(state, "bm25.pickle.tmp")
    with open(tmp, "wb") as f:
        pickle.dump({"docs": docs, "postings": dict(postings), "lengths": lengths}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, os.path.join(state, "bm25.pickle"))
    res = {"files_scanned": files, "files_indexed": files, "files_unchanged": 0, "files_removed": 0,
           "chunks_indexed": len(docs), "chunks_embedded": 0, "embeddings_reused": 0,
           "skipped_binary": 0, "skipped_large": 0, "seconds": round(time.time() - t0, 3)}
    print(json.dumps(res) if args.json else res)


def cmd_search(args, state):
    if args.mode != "keyword":
        print("notice: no embedding model; %s search falls back to keyword search" % args.mode,
              file=sys.stderr)
    with open(os.path.join(state, "bm25.pickle"), "rb") as f:
        ix = pickle.load(f)
    docs, postings, lengths = ix["docs"], ix["postings"], ix["lengths"]
    n = len(docs)
    avg = sum(lengths) / max(n, 1)
    scores = collections.defaultdict(float)
    for t in set(tokens(args.query)):
        plist = postings.get(t)
        if not plist:
            continue
        idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
        for i, tf in plist:
            scores[i] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[i] / avg))
    prefix = args.path.rstrip("/") + "/"
    ranked = sorted((i for i in scores if docs[i][0].startswith(prefix)),
                    key=lambda i: -scores[i])[:args.limit]
    hits = [{"path": docs[i][0], "score": round(scores[i], 4), "start_line": docs[i][1],
             "end_line": docs[i][2], "snippet": docs[i][3][:200]} for i in ranked]
    print(json.dumps(hits) if args.json else "\n".join("%s:%d" % (h["path"], h["start_line"]) for h in hits))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--json", dest="json_top", action="store_true")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ip = sub.add_parser("index")
    ip.add_argument("target", nargs="?")
    ip.add_argument("--rebuild", action="store_true")
    ip.add_argument("--json", action="store_true")
    sp = sub.add_parser("search")
    sp.add_argument("query")
    sp.add_argument("--path", default="/")
    sp.add_argument("--limit", type=int, default=10)
    sp.add_argument("--mode", default="hybrid", choices=["keyword", "semantic", "hybrid"])
    sp.add_argument("--json", action="store_true")
    args, _ = ap.parse_known_args()
    args.json = args.json or args.json_top
    state, mounts = read_config(args.config)
    if args.cmd == "index":
        cmd_index(args, state, mounts)
    else:
        cmd_search(args, state)


if __name__ == "__main__":
    main()
