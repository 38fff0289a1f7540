#!/usr/bin/env python3
"""Page-level BM25: every file is one document. The bar `ax search --mode keyword` must beat.

Plain Okapi BM25 (k1 1.2, b 0.75, idf log(1 + (N - df + 0.5) / (df + 0.5))) over whole pages; the
tokenizer keeps lowercase alphanumeric words, also adds the parts of snake_case / camelCase
words, drops a tiny stop-word list and does not stem. Same CLI contract as `ax` (and
baseline_bm25.py); not tuned on the benchmark's queries:

    python3 bench/search/baseline_pages.py --config ax.yaml index --json
    python3 bench/search/baseline_pages.py --config ax.yaml search "QUERY" --path /docs \
        --limit 10 --mode keyword --json

No model: --mode semantic|hybrid print a notice on stderr and fall back to keyword, as ax does.
"""
import argparse, collections, json, math, os, pickle, re, sys, time

K1, B = 1.2, 0.75
STOP = set("a an and are as at be by for from how i in is it of on or that the this to what "
           "when where which why with do does can my me you your".split())


def tokens(text):
    out = []
    for w in re.findall(r"[A-Za-z0-9_]+", text):
        parts = [p.lower() for p in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", w)]
        whole = w.strip("_").lower()
        out.extend(t for t in ([whole] if whole else []) + (parts if len(parts) > 1 else [])
                   if t not in STOP)
    return out


def read_config(path):
    text = open(path, encoding="utf-8").read()
    base = os.path.dirname(os.path.abspath(path))
    m = re.search(r"^state_dir:\s*(\S+)", text, re.M)
    state = os.path.join(base, m.group(1).strip("'\"") if m else ".ax")
    mounts = [(mp.strip("'\"").rstrip("/"), os.path.join(base, root.strip("'\"")))
              for mp, root in re.findall(r"-\s*path:\s*(\S+)[\s\S]*?root:\s*(\S+)", text)]
    return state, mounts


def cmd_index(args, state, mounts):
    t0 = time.time()
    docs, postings, lengths = [], collections.defaultdict(list), []
    for mp, root in mounts:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                try:
                    text = open(full, encoding="utf-8").read()
                except (UnicodeDecodeError, OSError):
                    continue
                tf = collections.Counter(tokens(text))
                for t, c in tf.items():
                    postings[t].append((len(docs), c))
                lengths.append(sum(tf.values()))
                docs.append((mp + "/" + os.path.relpath(full, root), full))
    os.makedirs(state, exist_ok=True)
    tmp = os.path.join(state, "pages.pickle.tmp")
    with open(tmp, "wb") as f:
        pickle.dump({"docs": docs, "postings": dict(postings), "lengths": lengths}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, os.path.join(state, "pages.pickle"))
    res = {"files_scanned": len(docs), "files_indexed": len(docs), "files_unchanged": 0,
           "files_removed": 0, "chunks_indexed": len(docs), "chunks_embedded": 0,
           "model_loaded": False, "seconds": round(time.time() - t0, 3)}
    print(json.dumps(res) if args.json else res)


def best_region(path, qtoks, span=5):
    """Lines around the line with the most distinct query terms: (start_line, end_line, text)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    best = max(range(len(lines)), key=lambda i: (len(qtoks & set(tokens(lines[i]))), -i))
    s = max(best - 1, 0)
    return s + 1, min(s + span, len(lines)), "\n".join(lines[s:s + span])


def cmd_search(args, state):
    if args.mode != "keyword":
        print("notice: no embedding model; %s search falls back to keyword search" % args.mode,
              file=sys.stderr)
    with open(os.path.join(state, "pages.pickle"), "rb") as f:
        ix = pickle.load(f)
    docs, postings, lengths = ix["docs"], ix["postings"], ix["lengths"]
    n, avg = len(docs), sum(lengths) / max(len(docs), 1)
    qtoks = set(tokens(args.query))
    scores = collections.defaultdict(float)
    for t in qtoks:
        plist = postings.get(t, [])
        idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
        for i, tf in plist:
            scores[i] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[i] / avg))
    prefix = args.path.rstrip("/") + "/"
    ranked = sorted((i for i in scores if docs[i][0].startswith(prefix)),
                    key=lambda i: (-scores[i], docs[i][0]))[:args.limit]
    hits = []
    for i in ranked:
        s, e, text = best_region(docs[i][1], qtoks)
        hits.append({"path": docs[i][0], "score": round(scores[i], 4), "start_line": s,
                     "end_line": e, "snippet": text[:300],
                     "regions": [{"start_line": s, "end_line": e, "score": round(scores[i], 4)}],
                     "found_by": "keyword"})
    print(json.dumps(hits) if args.json else
          "\n".join("%s:%d" % (h["path"], h["start_line"]) for h in hits))


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
