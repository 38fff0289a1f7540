//! Splitting one text file into search chunks that follow its structure.
//!
//! The warm tier indexes chunks, not files: a search hit names a path, a line range and a
//! snippet, so every chunk here carries its exact 1-based line range and the verbatim text of
//! those lines. The split follows what a reader would call a unit:
//!
//! - **Markdown**: sections under headings (ATX `#`..`######` and setext `===`/`---`), each chunk
//!   labelled with its heading path (`"Ownership > References and Borrowing"`); long sections
//!   break at blank lines, never inside a fenced code block that fits on its own.
//! - **Code**: blank-line separated blocks, grouped so that a chunk starts at a top-level item
//!   and the comments and attributes directly above an item stay with it.
//! - **JSON Lines**: one chunk per record, so one turn of a conversation log is one hit.
//! - **Text**: paragraphs merged up to the size limit.
//!
//! Anything still larger than [`ChunkOptions::max_chars`] falls back to line windows with
//! [`ChunkOptions::overlap_lines`] of overlap, and a single overlong line is cut at character
//! boundaries (never inside a UTF-8 sequence, and not before a combining mark when avoidable).
//!
//! This module is pure: it takes a path (only its extension matters) and the decoded text. It
//! knows nothing of files on disk, binary or huge-file detection, encodings, the catalog, the
//! full-text index or embeddings; those belong to the rest of `index/`.
//!
//! Sizes are counted in `char`s (Unicode scalar values), not bytes, so a limit means the same
//! amount of text in every script.

/// How a file is split, chosen from its extension by [`kind_for`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.md`, `.markdown`, `.mdx`: sections under headings.
    Markdown,
    /// Source, config and markup files: blocks grouped at top-level items.
    Code,
    /// `.jsonl`, `.ndjson`: one chunk per record.
    Jsonl,
    /// Everything else: paragraphs.
    Text,
}

/// Extensions (lower case, without the dot) split as [`FileKind::Code`].
const CODE_EXTENSIONS: &[&str] = &[
    "rs",
    "py",
    "pyi",
    "js",
    "mjs",
    "cjs",
    "ts",
    "mts",
    "cts",
    "tsx",
    "jsx",
    "go",
    "java",
    "c",
    "h",
    "cpp",
    "hpp",
    "cc",
    "hh",
    "cxx",
    "hxx",
    "cs",
    "fs",
    "rb",
    "php",
    "swift",
    "kt",
    "kts",
    "scala",
    "sc",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "toml",
    "yaml",
    "yml",
    "json",
    "json5",
    "jsonc",
    "ini",
    "cfg",
    "conf",
    "sql",
    "lua",
    "r",
    "m",
    "mm",
    "zig",
    "ex",
    "exs",
    "erl",
    "hrl",
    "hs",
    "ml",
    "mli",
    "clj",
    "cljs",
    "el",
    "lisp",
    "scm",
    "rkt",
    "jl",
    "dart",
    "nim",
    "v",
    "d",
    "pl",
    "pm",
    "groovy",
    "gradle",
    "css",
    "scss",
    "sass",
    "less",
    "html",
    "htm",
    "xml",
    "xsl",
    "svg",
    "vue",
    "svelte",
    "astro",
    "proto",
    "graphql",
    "gql",
    "tf",
    "hcl",
    "nix",
    "cmake",
    "mk",
    "dockerfile",
    "bat",
    "cmd",
    "vim",
    "sol",
    "wgsl",
    "glsl",
    "hlsl",
    "cu",
    "f90",
    "asm",
    "s",
];

/// Whole file names (lower case) split as [`FileKind::Code`] although their extension says
/// nothing.
const CODE_FILE_NAMES: &[&str] = &[
    "makefile",
    "gnumakefile",
    "dockerfile",
    "containerfile",
    "justfile",
    "rakefile",
    "gemfile",
    "cmakelists.txt",
    ".bashrc",
    ".bash_profile",
    ".zshrc",
    ".profile",
];

/// Chooses how `path` is split from its file name (case-insensitive; only the last `/`
/// segment is looked at): `/docs/guide.MD` is markdown, `/memories/chat.jsonl` JSON Lines,
/// `/code/src/main.rs` and `Makefile` code, `notes.txt` or `README` text.
pub fn kind_for(path: &str) -> FileKind {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if CODE_FILE_NAMES.contains(&name.as_str()) {
        return FileKind::Code;
    }
    let ext = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext,
        _ => return FileKind::Text,
    };
    match ext {
        "md" | "markdown" | "mdx" => FileKind::Markdown,
        "jsonl" | "ndjson" => FileKind::Jsonl,
        e if CODE_EXTENSIONS.contains(&e) => FileKind::Code,
        _ => FileKind::Text,
    }
}

/// Size limits for [`chunk`].
#[derive(Debug, Clone)]
pub struct ChunkOptions {
    /// Largest chunk, in `char`s of its text (lines joined with `'\n'`). Zero is treated as one.
    pub max_chars: usize,
    /// Lines repeated between consecutive pieces when a block too large for one chunk is cut
    /// into line windows. Structural splits (sections, paragraphs, code blocks) never overlap.
    pub overlap_lines: usize,
}

impl Default for ChunkOptions {
    /// 1500 chars (a few paragraphs, well inside an embedding model's window) and 2 lines of
    /// overlap.
    fn default() -> Self {
        Self {
            max_chars: 1500,
            overlap_lines: 2,
        }
    }
}

/// One piece of a file, as indexed and returned by search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// First line, 1-based, inclusive.
    pub start_line: u32,
    /// Last line, inclusive.
    pub end_line: u32,
    /// Markdown only: the heading path of the section, ancestors joined with `" > "`, e.g.
    /// `"Ownership > References and Borrowing"`. `None` before the first heading, for front
    /// matter and for every other kind of file.
    pub heading: Option<String>,
    /// Exactly the lines `start_line..=end_line` of the input joined with `'\n'` (line endings
    /// removed, no heading prepended). When one line is longer than the limit it is cut into
    /// several chunks that share its line number, and `text` is a piece of that line.
    pub text: String,
}

/// Splits `text` (the content of the file at `path`) into chunks, in file order.
///
/// The split depends on [`kind_for`]`(path)`. Guarantees, for any input:
///
/// - no chunk is empty or whitespace-only, and none is longer than `max_chars` chars;
/// - every line holding something other than whitespace is in at least one chunk;
/// - `text` is exactly the chunk's lines, or a piece of its one line (see [`Chunk::text`]);
/// - chunks come in file order (start and end lines never decrease), and two chunks share at
///   most `overlap_lines` lines — except the pieces of one overlong line, which all share it.
///
/// Lines end with `\n` or `\r\n`; a last line without a newline counts. Empty or
/// whitespace-only input gives no chunks.
///
/// Markdown front matter (a `---` or `+++` line 1 up to the matching closing line) becomes a
/// chunk of its own with no heading: it names and describes the document (skills and memories
/// carry their `name:`/`description:` there), which is exactly what a search should find.
///
/// A markdown heading whose section has no body is not emitted alone: its lines join the next
/// section's first chunk, which carries the deeper heading path. Trailing empty headings at the
/// end of a document form one last chunk, so no line is ever dropped.
pub fn chunk(path: &str, text: &str, opts: &ChunkOptions) -> Vec<Chunk> {
    let doc = Doc::new(text, opts);
    let mut out = Emitter {
        doc: &doc,
        chunks: Vec::new(),
    };
    match kind_for(path) {
        FileKind::Markdown => out.markdown(),
        FileKind::Code => out.code(),
        FileKind::Jsonl => out.jsonl(),
        FileKind::Text => out.text(),
    }
    out.chunks
}

/// An inclusive range of 0-based line indices.
type Span = (usize, usize);

/// The input cut into lines, with what is needed to measure any range in O(1).
struct Doc<'a> {
    lines: Vec<&'a str>,
    /// `prefix[i]` is the number of chars in `lines[..i]`.
    prefix: Vec<usize>,
    max: usize,
    overlap: usize,
}

impl<'a> Doc<'a> {
    fn new(text: &'a str, opts: &ChunkOptions) -> Self {
        // `str::lines` is the contract: `\n` or `\r\n`, and an unterminated last line counts.
        let lines: Vec<&str> = text.lines().collect();
        let mut prefix = Vec::with_capacity(lines.len() + 1);
        let mut total = 0;
        prefix.push(0);
        for line in &lines {
            total += line.chars().count();
            prefix.push(total);
        }
        Self {
            lines,
            prefix,
            max: opts.max_chars.max(1),
            overlap: opts.overlap_lines,
        }
    }

    fn len(&self) -> usize {
        self.lines.len()
    }

    fn is_blank(&self, i: usize) -> bool {
        self.lines[i].trim().is_empty()
    }

    /// Chars in lines `s..=e` joined with `'\n'`.
    fn size(&self, s: usize, e: usize) -> usize {
        self.prefix[e + 1] - self.prefix[s] + (e - s)
    }

    /// Maximal runs of non-blank lines in `s..=e`.
    fn paragraphs(&self, s: usize, e: usize) -> Vec<Span> {
        let mut blocks = Vec::new();
        let mut start = None;
        for i in s..=e {
            if self.is_blank(i) {
                if let Some(st) = start.take() {
                    blocks.push((st, i - 1));
                }
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(st) = start {
            blocks.push((st, e));
        }
        blocks
    }
}

/// Collects chunks; every chunk goes through [`Emitter::emit`] so the size limit and the
/// no-blank rule hold for all kinds.
struct Emitter<'d, 'a> {
    doc: &'d Doc<'a>,
    chunks: Vec<Chunk>,
}

impl Emitter<'_, '_> {
    fn text(&mut self) {
        if self.doc.len() == 0 {
            return;
        }
        let blocks = self.doc.paragraphs(0, self.doc.len() - 1);
        self.pack(&blocks, None);
    }

    fn jsonl(&mut self) {
        for i in 0..self.doc.len() {
            self.emit((i, i), None);
        }
    }

    /// Blocks are grouped into units, each starting at a top-level item; units are merged up to
    /// the limit, and a unit too large alone is packed block by block.
    fn code(&mut self) {
        if self.doc.len() == 0 {
            return;
        }
        let blocks = self.doc.paragraphs(0, self.doc.len() - 1);
        let mut units: Vec<Vec<Span>> = Vec::new();
        for b in blocks {
            match units.last_mut() {
                Some(unit) if !starts_top_level_item(self.doc.lines[b.0]) => unit.push(b),
                _ => units.push(vec![b]),
            }
        }
        let mut current: Option<Span> = None;
        for unit in &units {
            let span = (unit[0].0, unit[unit.len() - 1].1);
            if self.doc.size(span.0, span.1) > self.doc.max {
                if let Some(c) = current.take() {
                    self.emit(c, None);
                }
                self.pack(unit, None);
                continue;
            }
            current = match current {
                Some(c) if self.doc.size(c.0, span.1) <= self.doc.max => Some((c.0, span.1)),
                Some(c) => {
                    self.emit(c, None);
                    Some(span)
                }
                None => Some(span),
            };
        }
        if let Some(c) = current {
            self.emit(c, None);
        }
    }

    fn markdown(&mut self) {
        let n = self.doc.len();
        let mut first = 0;
        if let Some(end) = front_matter_end(&self.doc.lines) {
            self.emit((0, end), None);
            first = end + 1;
        }
        if first >= n {
            return;
        }
        let sections = markdown_sections(&self.doc.lines, first);
        let mut pending: Option<usize> = None;
        for (k, sec) in sections.iter().enumerate() {
            let body_blank = (sec.body_start..=sec.end).all(|i| self.doc.is_blank(i));
            if body_blank {
                // A preamble of blank lines is nothing; an empty heading waits for a body.
                let has_heading = sec.body_start > sec.start;
                if !has_heading {
                    continue;
                }
                if k + 1 < sections.len() {
                    pending.get_or_insert(sec.start);
                    continue;
                }
            }
            let start = pending.take().unwrap_or(sec.start);
            self.markdown_section((start, sec.end), sec.heading.as_deref());
        }
    }

    /// One section (with any empty headings merged in front): whole if it fits, else its
    /// paragraphs packed, where a fenced code block counts as one paragraph.
    fn markdown_section(&mut self, (s, e): Span, heading: Option<&str>) {
        if self.doc.size(s, e) <= self.doc.max {
            self.emit((s, e), heading);
            return;
        }
        let mut blocks = Vec::new();
        let mut start: Option<usize> = None;
        let mut last = s;
        let mut fence: Option<Fence> = None;
        for i in s..=e {
            let line = self.doc.lines[i];
            if let Some(f) = fence {
                if f.closed_by(line) {
                    fence = None;
                }
                start.get_or_insert(i);
                if !self.doc.is_blank(i) {
                    last = i;
                }
                continue;
            }
            if self.doc.is_blank(i) {
                if let Some(st) = start.take() {
                    blocks.push((st, last));
                }
                continue;
            }
            fence = Fence::opened_by(line);
            start.get_or_insert(i);
            last = i;
        }
        if let Some(st) = start {
            blocks.push((st, last));
        }
        self.pack(&blocks, heading);
    }

    /// Merges consecutive blocks greedily up to the limit; a block too large alone is emitted
    /// through the line-window fallback.
    fn pack(&mut self, blocks: &[Span], heading: Option<&str>) {
        let mut current: Option<Span> = None;
        for &b in blocks {
            current = match current {
                Some(c) if self.doc.size(c.0, b.1) <= self.doc.max => Some((c.0, b.1)),
                Some(c) => {
                    self.emit(c, heading);
                    Some(b)
                }
                None => Some(b),
            };
        }
        if let Some(c) = current {
            self.emit(c, heading);
        }
    }

    /// Emits `s..=e` without its leading and trailing blank lines, as one chunk if it fits and
    /// through [`Emitter::windows`] otherwise. Nothing is emitted for an all-blank range.
    fn emit(&mut self, (mut s, mut e): Span, heading: Option<&str>) {
        while s <= e && self.doc.is_blank(s) {
            s += 1;
        }
        if s > e {
            return;
        }
        while self.doc.is_blank(e) {
            e -= 1;
        }
        if self.doc.size(s, e) <= self.doc.max {
            self.push(s, e, self.doc.lines[s..=e].join("\n"), heading);
        } else {
            self.windows((s, e), heading);
        }
    }

    /// The fallback: greedy line windows of at most `max` chars, each repeating up to
    /// `overlap` lines of the previous one (fewer when the overlap would not leave room for a
    /// new line). A line too long alone is cut by [`Emitter::split_line`], with no overlap on
    /// either side.
    fn windows(&mut self, (s, e): Span, heading: Option<&str>) {
        let doc = self.doc;
        let mut i = s;
        while i <= e {
            if doc.is_blank(i) {
                i += 1;
                continue;
            }
            if doc.size(i, i) > doc.max {
                self.split_line(i, heading);
                i += 1;
                continue;
            }
            let mut j = i;
            while j < e && doc.size(i, j + 1) <= doc.max {
                j += 1;
            }
            let mut end = j;
            while doc.is_blank(end) {
                end -= 1;
            }
            self.push(i, end, doc.lines[i..=end].join("\n"), heading);
            if j == e {
                break;
            }
            let next = j + 1;
            if doc.size(next, next) > doc.max {
                i = next;
                continue;
            }
            // Start as far back as the overlap allows while the next new line still fits, and
            // always after `i` so every window makes progress.
            let mut k = next.saturating_sub(doc.overlap).max(i + 1);
            while doc.size(k, next) > doc.max {
                k += 1;
            }
            i = k;
        }
    }

    /// Cuts line `i` into pieces of at most `max` chars, on char boundaries. A cut prefers the
    /// last whitespace in the second half of the window (words stay whole for keyword search)
    /// and avoids separating a combining mark, variation selector or joiner from what it
    /// modifies. Whitespace-only pieces are dropped.
    fn split_line(&mut self, i: usize, heading: Option<&str>) {
        let max = self.doc.max;
        let mut rest = self.doc.lines[i];
        while !rest.is_empty() {
            let cut = line_cut(rest, max);
            let (piece, tail) = rest.split_at(cut);
            if !piece.trim().is_empty() {
                self.push(i, i, piece.to_owned(), heading);
            }
            rest = tail;
        }
    }

    fn push(&mut self, s: usize, e: usize, text: String, heading: Option<&str>) {
        self.chunks.push(Chunk {
            start_line: line_number(s),
            end_line: line_number(e),
            heading: heading.map(str::to_owned),
            text,
        });
    }
}

/// 1-based line number of index `i`, saturating (a file of four billion lines is not text
/// anyone will search chunk by chunk).
fn line_number(i: usize) -> u32 {
    u32::try_from(i + 1).unwrap_or(u32::MAX)
}

/// Byte offset at which to end the next piece of `rest`: non-zero, on a char boundary, and at
/// most `max` chars in.
fn line_cut(rest: &str, max: usize) -> usize {
    let mut hard = rest.len();
    let mut soft = None;
    let mut boundaries: Vec<(usize, char)> = Vec::new();
    for (n, (b, c)) in rest.char_indices().enumerate() {
        if n == max {
            hard = b;
            break;
        }
        if c.is_whitespace() && (n + 1) * 2 >= max {
            soft = Some(b + c.len_utf8());
        }
        boundaries.push((b, c));
    }
    if hard == rest.len() {
        return hard;
    }
    if let Some(b) = soft {
        return b;
    }
    // Step back over marks that extend the previous character, unless that empties the piece.
    let next = rest[hard..].chars().next();
    let mut cut = hard;
    let mut following = next;
    for &(b, c) in boundaries.iter().rev() {
        let keeps_cluster = following.is_some_and(extends_previous) || c == '\u{200D}';
        if !keeps_cluster || b == 0 {
            break;
        }
        cut = b;
        following = Some(c);
    }
    if cut == 0 { hard } else { cut }
}

/// Characters that belong to the character before them: combining marks, variation
/// selectors, zero-width joiners and emoji skin-tone modifiers. A cheap subset of the Unicode
/// grapheme rules, enough to keep common accents and emoji sequences whole.
fn extends_previous(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{0483}'..='\u{0489}'
        | '\u{0591}'..='\u{05BD}'
        | '\u{0610}'..='\u{061A}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0900}'..='\u{0903}'
        | '\u{093A}'..='\u{094F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{200C}'..='\u{200D}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{3099}'..='\u{309A}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{1F3FB}'..='\u{1F3FF}'
        | '\u{E0020}'..='\u{E007F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// Words that continue a construct when they start a line at column 0 (`else`, `end`, …).
const CONTINUATION_WORDS: &[&str] = &[
    "else", "elif", "elsif", "except", "finally", "catch", "end", "fi", "done", "esac", "rescue",
    "ensure", "then", "do", "in", "where",
];

/// Whether a block whose first line is `line` starts a new top-level item.
///
/// Rather than a keyword list per language (`fn`, `def`, `class`, `#[`, `@decorator`, …) this
/// takes any line at column 0 that does not close or continue a construct: item bodies are
/// indented in every language worth indexing, so the test covers all those keywords at once,
/// and comments or attributes at column 0 directly above an item start its unit with it.
fn starts_top_level_item(line: &str) -> bool {
    let Some(first) = line.chars().next() else {
        return false;
    };
    if first.is_whitespace() || matches!(first, '}' | ')' | ']') || line.starts_with("</") {
        return false;
    }
    let word = line
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    !CONTINUATION_WORDS.contains(&word)
}

/// The index of the line closing front matter that opens on line 1 (`---` … `---` or `...`
/// for YAML, `+++` … `+++` for TOML), if any.
fn front_matter_end(lines: &[&str]) -> Option<usize> {
    let opener = lines.first()?.trim_end();
    let closers: &[&str] = match opener {
        "---" => &["---", "..."],
        "+++" => &["+++"],
        _ => return None,
    };
    lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| closers.contains(&l.trim_end()))
        .map(|(i, _)| i)
}

/// A markdown section: heading lines `start..body_start`, body `body_start..=end`.
struct Section {
    start: usize,
    body_start: usize,
    end: usize,
    heading: Option<String>,
}

/// Splits lines `first..` into sections: an optional preamble without a heading, then one
/// section per heading, each labelled with its heading path.
fn markdown_sections(lines: &[&str], first: usize) -> Vec<Section> {
    struct Heading {
        start: usize,
        end: usize,
        level: usize,
        title: String,
    }
    let mut headings: Vec<Heading> = Vec::new();
    let mut fence: Option<Fence> = None;
    // Consecutive plain paragraph lines just above the current line: a setext underline turns
    // them into a heading.
    let mut paragraph = 0usize;
    for (i, &line) in lines.iter().enumerate().skip(first) {
        if let Some(f) = fence {
            if f.closed_by(line) {
                fence = None;
            }
            continue;
        }
        if let Some(f) = Fence::opened_by(line) {
            fence = Some(f);
            paragraph = 0;
            continue;
        }
        if let Some((level, title)) = atx_heading(line) {
            headings.push(Heading {
                start: i,
                end: i,
                level,
                title: title.to_owned(),
            });
            paragraph = 0;
            continue;
        }
        if paragraph > 0
            && let Some(level) = setext_level(line)
        {
            let start = i - paragraph;
            let title = lines[start..i]
                .iter()
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join(" ");
            headings.push(Heading {
                start,
                end: i,
                level,
                title,
            });
            paragraph = 0;
            continue;
        }
        paragraph = if is_paragraph_text(line, paragraph == 0) {
            paragraph + 1
        } else {
            0
        };
    }

    let last = lines.len() - 1;
    let mut sections = Vec::with_capacity(headings.len() + 1);
    let preamble_end = headings.first().map_or(lines.len(), |h| h.start);
    if preamble_end > first {
        sections.push(Section {
            start: first,
            body_start: first,
            end: preamble_end - 1,
            heading: None,
        });
    }
    let mut stack: Vec<(usize, &str)> = Vec::new();
    for (k, h) in headings.iter().enumerate() {
        while stack.last().is_some_and(|&(level, _)| level >= h.level) {
            stack.pop();
        }
        stack.push((h.level, h.title.as_str()));
        let path: Vec<&str> = stack
            .iter()
            .map(|&(_, t)| t)
            .filter(|t| !t.is_empty())
            .collect();
        let end = headings.get(k + 1).map_or(last, |next| next.start - 1);
        sections.push(Section {
            start: h.start,
            body_start: h.end + 1,
            end,
            heading: (!path.is_empty()).then(|| path.join(" > ")),
        });
    }
    sections
}

/// `line` without up to three leading spaces, or `None` if it is indented four or more (an
/// indented code block in markdown, where nothing is a heading or a fence).
fn unindent(line: &str) -> Option<&str> {
    let spaces = line.bytes().take_while(|&b| b == b' ').count();
    (spaces <= 3).then(|| &line[spaces..])
}

/// An open fenced code block: its fence character and length.
#[derive(Debug, Clone, Copy)]
struct Fence {
    marker: u8,
    len: usize,
}

impl Fence {
    fn opened_by(line: &str) -> Option<Fence> {
        let t = unindent(line)?;
        let marker = *t.as_bytes().first()?;
        if marker != b'`' && marker != b'~' {
            return None;
        }
        let len = t.bytes().take_while(|&b| b == marker).count();
        if len < 3 || (marker == b'`' && t[len..].contains('`')) {
            return None;
        }
        Some(Fence { marker, len })
    }

    fn closed_by(self, line: &str) -> bool {
        let Some(t) = unindent(line) else {
            return false;
        };
        let len = t.bytes().take_while(|&b| b == self.marker).count();
        len >= self.len && t[len..].trim().is_empty()
    }
}

/// An ATX heading's level and title (`## Title ##` gives `(2, "Title")`).
fn atx_heading(line: &str) -> Option<(usize, &str)> {
    let t = unindent(line)?;
    let level = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &t[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let title = rest.trim();
    let without_closing = title.trim_end_matches('#');
    let title = if without_closing.is_empty() {
        ""
    } else if without_closing.ends_with([' ', '\t']) {
        without_closing.trim_end()
    } else {
        title
    };
    Some((level, title))
}

/// The level of a setext underline (`===` is 1, `---` is 2).
fn setext_level(line: &str) -> Option<usize> {
    let t = unindent(line)?.trim_end();
    if t.is_empty() {
        None
    } else if t.bytes().all(|b| b == b'=') {
        Some(1)
    } else if t.bytes().all(|b| b == b'-') {
        Some(2)
    } else {
        None
    }
}

/// A `---`, `***` or `___` rule (spaces allowed between the marks).
fn is_thematic_break(t: &str) -> bool {
    let marks: Vec<char> = t.chars().filter(|c| !matches!(c, ' ' | '\t')).collect();
    marks.len() >= 3 && matches!(marks[0], '-' | '*' | '_') && marks.iter().all(|&c| c == marks[0])
}

/// Whether `line` can be part of a plain paragraph (and so of a setext heading's title): not
/// blank, not a list item, quote, table row or HTML, and not indented code when it would open
/// the paragraph.
fn is_paragraph_text(line: &str, opens: bool) -> bool {
    if line.trim().is_empty() {
        return false;
    }
    let t = if opens {
        match unindent(line) {
            Some(t) => t,
            None => return false,
        }
    } else {
        line.trim_start()
    };
    if t.starts_with(['>', '|', '<']) || t.starts_with('\t') || is_thematic_break(t) {
        return false;
    }
    let bullet = t.starts_with(['-', '*', '+']) && t[1..].starts_with([' ', '\t']);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let ordered = digits > 0
        && t[digits..].starts_with(['.', ')'])
        && (t[digits + 1..].is_empty() || t[digits + 1..].starts_with([' ', '\t']));
    !(bullet || ordered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn opts(max_chars: usize, overlap_lines: usize) -> ChunkOptions {
        ChunkOptions {
            max_chars,
            overlap_lines,
        }
    }

    /// The input's lines, computed independently of `str::lines`.
    fn reference_lines(text: &str) -> Vec<&str> {
        text.split_inclusive('\n')
            .map(|l| {
                l.strip_suffix("\r\n")
                    .or_else(|| l.strip_suffix('\n'))
                    .unwrap_or(l)
            })
            .collect()
    }

    fn blank(s: &str) -> bool {
        s.chars().all(char::is_whitespace)
    }

    /// Every guarantee documented on [`chunk`], checked on one output.
    fn check(path: &str, text: &str, o: &ChunkOptions) -> Result<Vec<Chunk>, TestCaseError> {
        let chunks = chunk(path, text, o);
        let lines = reference_lines(text);
        let max = o.max_chars.max(1);
        let mut whole = vec![false; lines.len()];
        let mut pieces: Vec<Vec<&str>> = vec![Vec::new(); lines.len()];
        for c in &chunks {
            let (s, e) = (c.start_line as usize, c.end_line as usize);
            prop_assert!(1 <= s && s <= e && e <= lines.len(), "range {c:?}");
            prop_assert!(!blank(&c.text), "blank chunk {c:?}");
            prop_assert!(c.text.chars().count() <= max, "oversized {c:?}");
            let joined = lines[s - 1..e].join("\n");
            if c.text == joined {
                whole[s - 1..e].iter_mut().for_each(|w| *w = true);
            } else {
                prop_assert_eq!(s, e, "text differs from its lines: {:?}", c);
                prop_assert!(lines[s - 1].contains(c.text.as_str()), "not a piece {c:?}");
                pieces[s - 1].push(&c.text);
            }
            if kind_for(path) != FileKind::Markdown {
                prop_assert!(c.heading.is_none());
            }
        }
        for (i, line) in lines.iter().enumerate() {
            if blank(line) || whole[i] {
                continue;
            }
            // Covered only by pieces: together they hold every non-whitespace char, in order.
            let got: String = pieces[i]
                .concat()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let want: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            prop_assert_eq!(got, want, "line {} not covered", i + 1);
        }
        for w in chunks.windows(2) {
            prop_assert!(w[0].start_line <= w[1].start_line, "order {:?}", w);
            prop_assert!(w[0].end_line <= w[1].end_line, "order {:?}", w);
        }
        for (k, a) in chunks.iter().enumerate() {
            for b in &chunks[k + 1..] {
                if b.start_line > a.end_line {
                    break;
                }
                let same_line_pieces = a.start_line == a.end_line
                    && b.start_line == b.end_line
                    && a.start_line == b.start_line;
                let shared = (a.end_line - b.start_line + 1) as usize;
                prop_assert!(same_line_pieces || shared <= o.overlap_lines, "{a:?} {b:?}");
            }
        }
        Ok(chunks)
    }

    fn checked(path: &str, text: &str, o: &ChunkOptions) -> Vec<Chunk> {
        match check(path, text, o) {
            Ok(chunks) => chunks,
            Err(e) => panic!("{e}"),
        }
    }

    fn ranges(chunks: &[Chunk]) -> Vec<(u32, u32)> {
        chunks.iter().map(|c| (c.start_line, c.end_line)).collect()
    }

    fn headings(chunks: &[Chunk]) -> Vec<Option<&str>> {
        chunks.iter().map(|c| c.heading.as_deref()).collect()
    }

    const BOOK: &str = "\
---
title: The Book
tags: [rust]
---

# Ownership

Ownership is a set of rules that govern how a Rust program manages memory.

## What Is Ownership?

Each value has an owner.

```sh
# not a heading
cargo run
```

## References and Borrowing

### Mutable References

You can have one mutable reference.

# Appendix
";

    #[test]
    fn markdown_follows_headings_and_skips_hashes_in_fences() {
        let chunks = checked("/docs/book.md", BOOK, &ChunkOptions::default());
        assert_eq!(
            ranges(&chunks),
            vec![(1, 4), (6, 8), (10, 17), (19, 23), (25, 25)]
        );
        assert_eq!(
            headings(&chunks),
            vec![
                None,
                Some("Ownership"),
                Some("Ownership > What Is Ownership?"),
                Some("Ownership > References and Borrowing > Mutable References"),
                Some("Appendix"),
            ]
        );
        assert!(chunks[2].text.contains("# not a heading"));
        assert_eq!(chunks[0].text, "---\ntitle: The Book\ntags: [rust]\n---");
        assert!(
            chunks[3]
                .text
                .starts_with("## References and Borrowing\n\n### Mutable")
        );
    }

    #[test]
    fn markdown_long_section_breaks_at_paragraphs_not_inside_fences() {
        let para = "word ".repeat(12).trim_end().to_owned(); // 59 chars
        // 50 chars, blank lines inside
        let fence = "```\nfn alpha() {}\n\nfn beta() {}\n\nfn gamma() {}\n```";
        let text = format!("# Guide\n\n{para}\n\n{fence}\n\n{para}\n\n{para}\n");
        let chunks = checked("guide.md", &text, &opts(100, 2));
        assert_eq!(ranges(&chunks), vec![(1, 3), (5, 11), (13, 13), (15, 15)]);
        assert!(chunks.iter().all(|c| c.heading.as_deref() == Some("Guide")));
        assert_eq!(chunks[1].text, fence);
    }

    #[test]
    fn markdown_fence_larger_than_limit_falls_back_to_line_windows() {
        let body: Vec<String> = (0..20).map(|i| format!("let x{i} = {i};")).collect();
        let text = format!("# Code\n\n```rust\n{}\n```\n", body.join("\n"));
        let chunks = checked("a.md", &text, &opts(60, 1));
        assert!(chunks.len() > 3);
        assert!(chunks.iter().all(|c| c.heading.as_deref() == Some("Code")));
        for w in chunks.windows(2).skip(1) {
            assert_eq!(w[1].start_line, w[0].end_line, "one line of overlap");
        }
    }

    #[test]
    fn markdown_setext_headings_and_trailing_empty_heading() {
        let text = "Title\n=====\n\nintro\n\nPart\n----\ntext\n\nnot a heading\n\n---\n\n## End\n";
        let chunks = checked("a.markdown", text, &ChunkOptions::default());
        assert_eq!(ranges(&chunks), vec![(1, 4), (6, 12), (14, 14)]);
        assert_eq!(
            headings(&chunks),
            vec![Some("Title"), Some("Title > Part"), Some("Title > End")]
        );
    }

    #[test]
    fn markdown_rules_are_not_setext_underlines() {
        let text = "# A\n\n---\n---\n***\n---\ntext\n";
        let chunks = checked("a.md", text, &ChunkOptions::default());
        assert_eq!(ranges(&chunks), vec![(1, 7)]);
        assert_eq!(headings(&chunks), vec![Some("A")]);
    }

    /// Found by proptest: a heading with an empty title and an empty body was dropped, with its
    /// line, instead of joining the next section.
    #[test]
    fn regression_empty_title_heading_is_not_dropped() {
        let chunks = checked("a.md", "#\n}\n=", &ChunkOptions::default());
        assert_eq!(ranges(&chunks), vec![(1, 3)]);
        assert_eq!(headings(&chunks), vec![Some("}")]);
    }

    #[test]
    fn markdown_unclosed_front_matter_is_ordinary_text() {
        let text = "---\nnot: closed\n\n# H\nbody\n";
        let chunks = checked("a.md", text, &ChunkOptions::default());
        assert_eq!(ranges(&chunks), vec![(1, 2), (4, 5)]);
        assert_eq!(headings(&chunks), vec![None, Some("H")]);
    }

    const RUST: &str = "\
//! A tiny module.

use std::fmt;

/// A point.
#[derive(Debug)]
pub struct Point {
    x: i32,
    y: i32,
}

impl Point {
    /// Makes one.
    pub fn new(x: i32, y: i32) -> Self {
        Self { x, y }
    }

    /// Adds.
    pub fn add(&self, other: &Point) -> Point {
        let x = self.x + other.x;

        let y = self.y + other.y;
        Point { x, y }
    }
}

// Formatting is plain.
impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, \"({}, {})\", self.x, self.y)
    }
}
";

    #[test]
    fn code_chunks_start_at_items_with_their_comments() {
        let all = checked("src/point.rs", RUST, &ChunkOptions::default());
        assert_eq!(ranges(&all), vec![(1, 32)]);

        let chunks = checked("src/point.rs", RUST, &opts(200, 2));
        // The impl block is too large for one chunk, so it is packed by its blank-line blocks.
        assert_eq!(ranges(&chunks), vec![(1, 10), (12, 20), (22, 25), (27, 32)]);
        assert!(
            chunks[0]
                .text
                .contains("/// A point.\n#[derive(Debug)]\npub struct Point")
        );
        assert!(
            chunks[3]
                .text
                .starts_with("// Formatting is plain.\nimpl fmt::Display")
        );
        assert!(chunks.iter().all(|c| c.heading.is_none()));
    }

    #[test]
    fn python_decorators_and_comments_stay_with_their_function() {
        let text = "\
import os


# Reads the config.
@cache
def load(path):
    with open(path) as f:
        data = f.read()

    return data


class Store:
    def __init__(self):
        self.items = []

    def add(self, item):
        self.items.append(item)


if __name__ == \"__main__\":
    load(\"x\")
";
        let chunks = checked("tool.py", text, &opts(120, 2));
        assert_eq!(ranges(&chunks), vec![(1, 1), (4, 10), (13, 18), (21, 22)]);
        assert!(
            chunks[1]
                .text
                .starts_with("# Reads the config.\n@cache\ndef load")
        );
    }

    #[test]
    fn jsonl_is_one_chunk_per_record() {
        let long = "x".repeat(250);
        let text = format!(
            "{{\"role\":\"user\",\"content\":\"hi\"}}\n\n{{\"role\":\"assistant\",\"content\":\"hello\"}}\r\n   \n{{\"role\":\"tool\",\"content\":\"{long}\"}}"
        );
        let chunks = checked("/memories/chat.jsonl", &text, &opts(100, 2));
        assert_eq!(chunks[0].text, r#"{"role":"user","content":"hi"}"#);
        assert_eq!(chunks[1].text, r#"{"role":"assistant","content":"hello"}"#);
        assert_eq!(ranges(&chunks[..2]), vec![(1, 1), (3, 3)]);
        assert!(chunks[2..].len() >= 3);
        assert!(
            chunks[2..]
                .iter()
                .all(|c| (c.start_line, c.end_line) == (5, 5))
        );
        assert_eq!(kind_for("log.ndjson"), FileKind::Jsonl);
    }

    #[test]
    fn prose_paragraphs_merge_up_to_the_limit() {
        let text = "First paragraph is short.\n\nSecond one too.\n\n\
                    Third paragraph is long enough that it cannot join the others here.\n";
        let chunks = checked("notes.txt", text, &opts(80, 2));
        assert_eq!(ranges(&chunks), vec![(1, 3), (5, 5)]);
        assert_eq!(
            chunks[0].text,
            "First paragraph is short.\n\nSecond one too."
        );
        // The third paragraph is one 68-char line: cut into pieces, preferring a space.
        let chunks = checked("notes.txt", text, &opts(40, 2));
        let pieces: Vec<_> = chunks.iter().filter(|c| c.start_line == 5).collect();
        assert_eq!(pieces.len(), 2);
        assert!(
            pieces
                .iter()
                .all(|c| c.end_line == 5 && c.text.chars().count() <= 40)
        );
        assert!(pieces[0].text.ends_with(' '), "{pieces:?}");
    }

    #[test]
    fn crlf_line_endings_are_stripped() {
        let text = "# A\r\nbody one\r\n\r\n# B\r\nbody two";
        let chunks = checked("x.md", text, &ChunkOptions::default());
        assert_eq!(ranges(&chunks), vec![(1, 2), (4, 5)]);
        assert_eq!(chunks[0].text, "# A\nbody one");
        assert_eq!(chunks[1].text, "# B\nbody two");
        let chunks = checked("x.txt", "a\r\nb\r\n", &ChunkOptions::default());
        assert_eq!(chunks[0].text, "a\nb");
    }

    #[test]
    fn empty_and_whitespace_only_input_gives_nothing() {
        for path in ["a.md", "a.rs", "a.jsonl", "a.txt"] {
            for text in ["", "\n", "   \n\t\n\r\n", " \u{3000} "] {
                assert!(
                    chunk(path, text, &ChunkOptions::default()).is_empty(),
                    "{path} {text:?}"
                );
            }
        }
    }

    #[test]
    fn unicode_with_tiny_limits_never_splits_a_char() {
        let text = "héllo wörld 👩‍👩‍👧 家族 e\u{301}e\u{301}e\u{301}\n🇫🇷🇫🇷 👍🏽👍🏽\n\n漢字かな交じり文\n";
        for path in ["u.md", "u.rs", "u.jsonl", "u.txt"] {
            for max in 0..8 {
                for overlap in 0..3 {
                    let chunks = checked(path, text, &opts(max, overlap));
                    assert!(!chunks.is_empty());
                }
            }
        }
        // A combining accent stays with its letter when there is room.
        let chunks = checked("u.txt", "e\u{301}e\u{301}e\u{301}", &opts(3, 0));
        assert!(
            chunks.iter().all(|c| !c.text.starts_with('\u{301}')),
            "{chunks:?}"
        );
    }

    #[test]
    fn a_ten_thousand_char_line_is_cut_into_pieces_sharing_its_line() {
        let line: String = (0..10_000)
            .map(|i| if i % 7 == 6 { ' ' } else { 'é' })
            .collect();
        let text = format!("before\n{line}\nafter\n");
        let chunks = checked("big.txt", &text, &ChunkOptions::default());
        let middle: Vec<_> = chunks.iter().filter(|c| c.start_line == 2).collect();
        assert!(middle.len() >= 7);
        assert!(middle.iter().all(|c| c.end_line == 2));
        assert_eq!(
            middle.iter().map(|c| c.text.as_str()).collect::<String>(),
            line
        );
        assert_eq!(ranges(&chunks).first(), Some(&(1, 1)));
        assert_eq!(ranges(&chunks).last(), Some(&(3, 3)));
    }

    #[test]
    fn line_windows_overlap_by_the_configured_lines() {
        let text: String = (1..=30).map(|i| format!("line {i:02}\n")).collect();
        let chunks = checked("a.txt", &text, &opts(40, 2)); // 4 lines of 7 chars fit
        assert_eq!(ranges(&chunks[..3]), vec![(1, 5), (4, 8), (7, 11)]);
        let chunks = checked("a.txt", &text, &opts(40, 0));
        assert_eq!(ranges(&chunks[..3]), vec![(1, 5), (6, 10), (11, 15)]);
        // An overlap as large as the window still makes progress.
        let chunks = checked("a.txt", &text, &opts(7, 5));
        assert_eq!(chunks.len(), 30);
    }

    #[test]
    fn kinds_follow_extensions() {
        assert_eq!(kind_for("/docs/Guide.MD"), FileKind::Markdown);
        assert_eq!(kind_for("page.mdx"), FileKind::Markdown);
        assert_eq!(kind_for("/code/src/main.rs"), FileKind::Code);
        assert_eq!(kind_for("app.tsx"), FileKind::Code);
        assert_eq!(kind_for("config.yaml"), FileKind::Code);
        assert_eq!(kind_for("/code/Makefile"), FileKind::Code);
        assert_eq!(kind_for("notes.txt"), FileKind::Text);
        assert_eq!(kind_for("README"), FileKind::Text);
        assert_eq!(kind_for(".md"), FileKind::Text);
        assert_eq!(kind_for("dir.md/file"), FileKind::Text);
    }

    /// Lines that exercise every structural rule, mixed with arbitrary text.
    fn structured_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("   ".to_owned()),
            Just("---".to_owned()),
            Just("+++".to_owned()),
            Just("===".to_owned()),
            Just("```".to_owned()),
            Just("~~~~".to_owned()),
            Just("# Title".to_owned()),
            Just("### Deep ###".to_owned()),
            Just("#".to_owned()),
            Just("- item".to_owned()),
            Just("fn main() {".to_owned()),
            Just("    let x = 1;".to_owned()),
            Just("}".to_owned()),
            Just("@decorator".to_owned()),
            Just("e\u{301}👩‍👧家".to_owned()),
            "\\PC{0,30}",
            "[ a-z#`~=\\-]{0,12}",
        ]
    }

    fn structured_text() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(structured_line(), 0..40),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(lines, crlf, final_newline)| {
                let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
                if final_newline {
                    text.push('\n');
                }
                text
            })
    }

    const PATHS: [&str; 4] = ["a.md", "a.rs", "a.jsonl", "a.txt"];

    proptest! {
        #[test]
        fn arbitrary_text_keeps_every_guarantee(
            text in "(?s).{0,300}",
            path in prop::sample::select(&PATHS[..]),
            max in 0usize..40,
            overlap in 0usize..4,
        ) {
            check(path, &text, &opts(max, overlap))?;
        }

        #[test]
        fn structured_text_keeps_every_guarantee(
            text in structured_text(),
            path in prop::sample::select(&PATHS[..]),
            max in 0usize..120,
            overlap in 0usize..4,
        ) {
            check(path, &text, &opts(max, overlap))?;
        }

        #[test]
        fn whole_lines_chunks_fit_when_the_limit_is_generous(text in structured_text()) {
            for path in PATHS {
                let chunks = check(path, &text, &opts(100_000, 2))?;
                prop_assert!(chunks.iter().all(|c| reference_lines(&text)
                    [c.start_line as usize - 1..c.end_line as usize].join("\n") == c.text));
            }
        }
    }
}
