#!/usr/bin/env python3
"""Build the search benchmark corpus from the Rust documentation books (mdBook HTML).

The books ship with the toolchain: $(rustc --print sysroot)/share/doc/rust/html. Each page's
<main> element is converted to markdown-ish text with the standard library only:
headings become `#` lines, code blocks are fenced with ```, paragraphs are separated by blank
lines, list items start with `- `, table rows become `a | b | c` lines. Navigation, sidebars,
scripts, SVG (railroad diagrams), buttons, the reference's rule-id markers and mdBook's hidden
("boring") code lines are dropped.

Pages skipped: print.html, toc.html, 404.html, search pages, redirect stubs and other pages
without a <main> element, non-English pages (rust-by-example's es/ja/ko/zh translations), and
the book's "first/second/2018 edition ... is no longer distributed" stubs.

    python3 bench/search/make_corpus.py --size small OUT_DIR
    python3 bench/search/make_corpus.py --size large OUT_DIR

Output: OUT_DIR/<book>/<relative path>.md, e.g. OUT_DIR/book/ch04-02-references-and-borrowing.md.
OUT_DIR is emptied first (only if it is empty or OUT_DIR.json says this script made it);
OUT_DIR.json records pages and bytes per book.
"""
import argparse
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

SMALL = ["book", "reference", "rust-by-example", "cargo"]
LARGE = SMALL + ["rustc", "edition-guide", "embedded-book", "nomicon", "rustdoc", "style-guide",
                 "unstable-book", "clippy", "error_codes"]
SKIP_NAMES = {"print.html", "toc.html", "404.html", "search.html", "searchindex.html"}
SKIP_TAGS = {"script", "style", "svg", "button", "nav", "noscript", "template", "head", "iframe"}
SKIP_CLASSES = {"rule", "grammar-railroad", "boring", "sidebar", "nav-wrapper", "menu-bar",
                "fa-svg"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
BLOCK = {"p", "div", "blockquote", "figure", "figcaption", "dl", "dt", "dd", "ul", "ol",
         "table", "thead", "tbody", "section", "details", "summary", "header", "footer", "main"}
STUB_MARK = "is no longer distributed with Rust"


def default_html_root():
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True,
                             check=True).stdout.strip()
    return os.path.join(sysroot, "share", "doc", "rust", "html")


class MainToMarkdown(html.parser.HTMLParser):
    """Collects the text of <main> as a list of blocks: (kind, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.in_main = False
        self.saw_main = False
        self.skip_tag = None  # tag name of the element being skipped
        self.skip_depth = 0
        self.blocks = []      # (kind, text); kind in {"p", "h", "pre", "li", "tr"}
        self.inline = []      # pieces of the current paragraph
        self.kind = "p"
        self.prefix = ""
        self.list_stack = []  # "ul" / "ol" with counters
        self.heading = None
        self.pre = None       # list of raw pieces while inside <pre>
        self.pre_lang = ""
        self.in_code = 0
        self.cells = None     # list of cell texts inside <tr>

    # -- helpers -------------------------------------------------------------------------
    def flush(self):
        text = "".join(self.inline)
        self.inline = []
        lines = [re.sub(r"[ \t\r\f\v\u00a0\u200b]+", " ", ln).strip() for ln in text.split("\n")]
        lines = [ln for ln in lines if ln]
        if not lines:
            return
        if self.cells is not None:
            self.cells.append(" ".join(lines))
            return
        text = "\n".join(lines)
        if self.prefix:
            text = self.prefix + text
            self.prefix = ""
            self.blocks.append(("li", text))
        else:
            self.blocks.append((self.kind, text))

    # -- parser callbacks ----------------------------------------------------------------
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html" and self.lang is None:
            self.lang = (a.get("lang") or "").lower()
        if self.skip_tag is not None:
            if tag == self.skip_tag and tag not in VOID:
                self.skip_depth += 1
            return
        if tag == "main":
            self.in_main = self.saw_main = True
            return
        if not self.in_main:
            return
        classes = set((a.get("class") or "").split())
        if tag in SKIP_TAGS or classes & SKIP_CLASSES:
            if tag not in VOID:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if self.pre is not None:
            if tag == "code":
                for c in classes:
                    if c.startswith("language-"):
                        self.pre_lang = c[len("language-"):]
            elif tag == "br":
                self.pre.append("\n")
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.flush()
            self.heading = int(tag[1])
        elif tag == "pre":
            self.flush()
            self.pre, self.pre_lang = [], ""
        elif tag == "br":
            self.inline.append("\n")
        elif tag == "hr":
            self.flush()
        elif tag in ("ul", "ol"):
            self.flush()
            self.list_stack.append([tag, 0])
        elif tag == "li":
            self.flush()
            depth = max(len(self.list_stack) - 1, 0)
            if self.list_stack and self.list_stack[-1][0] == "ol":
                self.list_stack[-1][1] += 1
                self.prefix = "  " * depth + "%d. " % self.list_stack[-1][1]
            else:
                self.prefix = "  " * depth + "- "
        elif tag == "tr":
            self.flush()
            self.cells = []
        elif tag in ("td", "th"):
            self.flush()
        elif tag in BLOCK:
            self.flush()
        elif tag == "sup" and "footnote-reference" not in classes:
            self.inline.append("^")  # 2<sup>8</sup> -> 2^8
        elif tag == "code":
            self.in_code += 1
            self.inline.append("`")
        elif tag == "img" and a.get("alt"):
            self.inline.append(" " + a["alt"] + " ")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        # void-element semantics: no end tag follows

    def handle_endtag(self, tag):
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag == "main":
            self.flush()
            self.in_main = False
            return
        if not self.in_main:
            return
        if self.pre is not None:
            if tag == "pre":
                code = "".join(self.pre).strip("\n")
                code = "\n".join(ln.rstrip() for ln in code.split("\n"))
                run = max([len(m) for m in re.findall(r"`+", code)] + [0])
                fence = "`" * max(3, run + 1)
                if code.strip():
                    self.blocks.append(("pre", "%s%s\n%s\n%s" % (fence, self.pre_lang, code, fence)))
                self.pre = None
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") and self.heading:
            text = re.sub(r"\s+", " ", "".join(self.inline)).strip()
            self.inline = []
            if text:
                self.blocks.append(("h", "#" * self.heading + " " + text))
            self.heading = None
        elif tag in ("ul", "ol"):
            self.flush()
            if self.list_stack:
                self.list_stack.pop()
        elif tag == "tr":
            self.flush()
            if self.cells:
                self.blocks.append(("tr", " | ".join(self.cells)))
            self.cells = None
        elif tag in ("td", "th", "li") or tag in BLOCK:
            self.flush()
        elif tag == "code" and self.in_code:
            self.in_code -= 1
            self.inline.append("`")

    def handle_data(self, data):
        if self.skip_tag is not None or not self.in_main:
            return
        if self.pre is not None:
            self.pre.append(data)
        else:
            self.inline.append(data)

    def markdown(self):
        out = []
        prev = None
        for kind, text in self.blocks:
            if out:
                out.append("\n" if kind == prev and kind in ("li", "tr") else "\n\n")
            out.append(text)
            prev = kind
        return "".join(out) + "\n" if out else ""


def convert(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        src = f.read()
    p = MainToMarkdown()
    p.feed(src)
    p.close()
    if not p.saw_main:
        return None, "no <main> (redirect or old stub)"
    if p.lang and not p.lang.startswith("en"):
        return None, "language " + p.lang
    md = p.markdown()
    if STUB_MARK in md:
        return None, "old-edition stub"
    if not md.strip():
        return None, "empty"
    return md, None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output corpus directory")
    ap.add_argument("--size", choices=["small", "large"], default="small")
    ap.add_argument("--books", help="comma-separated book list (overrides --size)")
    ap.add_argument("--html-root", help="default: $(rustc --print sysroot)/share/doc/rust/html")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()

    root = args.html_root or default_html_root()
    books = args.books.split(",") if args.books else (SMALL if args.size == "small" else LARGE)
    missing = [b for b in books if not os.path.isdir(os.path.join(root, b))]
    if missing:
        if set(missing) & set(SMALL):
            sys.exit("missing books %s under %s (rustup component add rust-docs)" % (missing, root))
        print("note: books not installed, skipped: %s" % ", ".join(missing), file=sys.stderr)
        books = [b for b in books if b not in missing]

    out = os.path.abspath(args.out)
    # Stats live beside the corpus (OUT.json), not inside it: it must hold pages only.
    marker = out.rstrip("/") + ".json"
    if os.path.isdir(out) and os.listdir(out):
        if not os.path.exists(marker):
            sys.exit("%s is not empty and was not made by this script; refusing to clear it" % out)
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)

    stats = {"books": {}, "skipped": {}}
    total_pages = total_bytes = 0
    for book in books:
        bdir = os.path.join(root, book)
        n = nbytes = 0
        for dirpath, dirnames, filenames in os.walk(bdir):
            dirnames.sort()
            for fn in sorted(filenames):
                if not fn.endswith(".html"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, fn), bdir)
                if fn in SKIP_NAMES or fn.startswith("search"):
                    stats["skipped"]["skip-list name"] = stats["skipped"].get("skip-list name", 0) + 1
                    continue
                md, why = convert(os.path.join(dirpath, fn))
                if md is None:
                    stats["skipped"][why.split(" ")[0] if why.startswith("language") else why] = \
                        stats["skipped"].get(why.split(" ")[0] if why.startswith("language") else why, 0) + 1
                    continue
                dest = os.path.join(out, book, rel[:-len(".html")] + ".md")
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                data = md.encode("utf-8")
                with open(dest, "wb") as f:
                    f.write(data)
                n += 1
                nbytes += len(data)
        stats["books"][book] = {"pages": n, "bytes": nbytes}
        total_pages += n
        total_bytes += nbytes
    stats.update({"size": args.size if not args.books else "custom", "pages": total_pages,
                  "bytes": total_bytes, "html_root": root})
    with open(marker, "w") as f:
        json.dump(stats, f, indent=1)
    if not args.quiet:
        for b, s in stats["books"].items():
            print("  %-16s %5d pages %7.2f MB" % (b, s["pages"], s["bytes"] / 1e6))
        print("corpus %s: %d pages, %.2f MB in %s (skipped: %s)" % (
            stats["size"], total_pages, total_bytes / 1e6, out,
            ", ".join("%s %d" % kv for kv in sorted(stats["skipped"].items()))))


if __name__ == "__main__":
    main()
