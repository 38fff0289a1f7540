//! Keyword search: two tantivy indexes, BM25-ranked — one of chunks (the regions a hit
//! points at) and one of whole files (the file-level view: title, headings, path, all text).
//!
//! A chunk document holds its catalog id (the join key), its virtual path (exact, for
//! deleting a file's chunks), its folder as a facet (tantivy indexes a facet with all its
//! ancestors, so "everything under /docs/book" is one term query), its heading and file name
//! (boosted), and its text. A file document holds the path (stored: it is what a file-level
//! hit returns), the folder facet, and the fields of the file-level view. Text goes through a
//! code-aware tokenizer that keeps identifiers whole *and* splits `snake_case` and `camelCase`
//! into their words, so `parse_config`, `parseConfig` and "parse config" find each other.
//!
//! Queries are never parsed as query syntax: [`Terms::of`] runs user text through the same
//! analyzer and ranking is a weighted disjunction of those terms, so any text is a valid
//! query. Chunk text itself lives in the catalog, not here. One writer at a time (the caller
//! holds the index lock); readers see the last commit.

use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    Language, LowerCaser, Stemmer, StopWordFilter, TextAnalyzer, Token, TokenStream, Tokenizer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::error::{Error, ErrorKind, Result};

const TOKENIZER: &str = "ax_code";

/// Splits text into words and identifier parts.
#[derive(Clone, Default)]
pub struct CodeTokenizer {
    tokens: Vec<Token>,
}

/// The token stream of [`CodeTokenizer`].
pub struct CodeTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for CodeTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for CodeTokenizer {
    type TokenStream<'a> = CodeTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CodeTokenStream<'a> {
        self.tokens.clear();
        split_code(text, &mut self.tokens);
        CodeTokenStream {
            tokens: &mut self.tokens,
            next: 0,
        }
    }
}

/// Words are runs of alphanumerics and `_`; a word with inner boundaries (`_`, lower→upper,
/// letter↔digit) also yields its parts, at the same position.
fn split_code(text: &str, out: &mut Vec<Token>) {
    let mut position = 0;
    let mut start: Option<usize> = None;
    let flush = |s: usize, e: usize, out: &mut Vec<Token>, position: &mut usize| {
        let word = &text[s..e];
        let trimmed = word.trim_matches('_');
        if trimmed.is_empty() {
            return;
        }
        let parts = identifier_parts(word, s);
        out.push(Token {
            offset_from: s,
            offset_to: e,
            position: *position,
            text: trimmed.to_string(),
            position_length: 1,
        });
        if parts.len() > 1 {
            for (ps, pe) in parts {
                out.push(Token {
                    offset_from: ps,
                    offset_to: pe,
                    position: *position,
                    text: text[ps..pe].to_string(),
                    position_length: 1,
                });
            }
        }
        *position += 1;
    };
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() || c == '_' {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            flush(s, i, out, &mut position);
        }
    }
    if let Some(s) = start {
        flush(s, text.len(), out, &mut position);
    }
}

/// Byte ranges (absolute, from `base`) of the parts of an identifier.
fn identifier_parts(word: &str, base: usize) -> Vec<(usize, usize)> {
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut prev: Option<char> = None;
    for (i, c) in word.char_indices() {
        if c == '_' {
            if let Some(s) = part_start.take() {
                parts.push((base + s, base + i));
            }
            prev = None;
            continue;
        }
        let boundary = match prev {
            Some(p) => {
                (p.is_lowercase() && c.is_uppercase()) || (p.is_alphabetic() != c.is_alphabetic())
            }
            None => false,
        };
        if boundary && let Some(s) = part_start.take() {
            parts.push((base + s, base + i));
        }
        part_start.get_or_insert(i);
        prev = Some(c);
    }
    if let Some(s) = part_start {
        parts.push((base + s, base + word.len()));
    }
    parts
}

/// Words a query drops before ranking, unless nothing else is left: the glue of questions
/// ("how do I …", "what is the …"), which BM25 would otherwise reward in every long page.
/// Documents keep every word; only queries are filtered.
const QUERY_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "its", "me", "my", "of", "on", "or", "that", "the", "this", "to",
    "what", "when", "where", "which", "why", "with", "you", "your",
];

/// A query as ranking sees it: its words run through the index's own analyzer (identifier
/// parts, lower case, stems), de-duplicated, in order. Built from any text: nothing in it is
/// query syntax, so quotes, dashes, `::`, `*` and brackets are just separators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Terms(Vec<String>);

impl Terms {
    /// The analysed words of `text` (see [`Terms`]).
    pub fn of(text: &str) -> Terms {
        let all = analyse(&mut analyzer(), text);
        let kept: Vec<String> = {
            let mut a = query_analyzer();
            analyse(&mut a, text)
        };
        Terms(if kept.is_empty() { all } else { kept })
    }

    /// No word to look for (the text was only punctuation).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The words.
    pub fn words(&self) -> &[String] {
        &self.0
    }
}

fn analyse(a: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut stream = a.token_stream(text);
    while stream.advance() {
        let t = &stream.token().text;
        if !out.iter().any(|o| o == t) {
            out.push(t.clone());
        }
    }
    out
}

/// Field weights of the keyword ranking (see `index::Tuning`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boosts {
    /// A chunk's heading path and file name, against its text (1).
    pub chunk_title: f32,
    /// A file's title (its first heading, else its name).
    pub file_title: f32,
    /// A file's headings.
    pub file_headings: f32,
    /// A file's path and name.
    pub file_path: f32,
    /// A file's whole text.
    pub file_body: f32,
}

/// The fields of the chunk index.
#[derive(Clone, Copy)]
struct ChunkFields {
    id: Field,
    path: Field,
    folder: Field,
    title: Field,
    body: Field,
}

/// The fields of the file index.
#[derive(Clone, Copy)]
struct FileFields {
    path: Field,
    folder: Field,
    title: Field,
    headings: Field,
    name: Field,
    body: Field,
}

/// One tantivy index: chunks or files. Two indexes rather than two kinds of document in one,
/// because BM25's document count and average length are per index: mixed, every file would
/// look seven times longer than average.
struct Part {
    index: Index,
    reader: IndexReader,
}

/// The keyword indexes on disk: one of chunks (regions) and one of whole files.
pub struct FullText {
    chunks: Part,
    files: Part,
    cf: ChunkFields,
    ff: FileFields,
}

/// A writer of both indexes (the caller holds the index lock, so there is only ever one).
pub struct Writer {
    chunks: IndexWriter,
    files: IndexWriter,
}

/// One chunk to index.
pub struct ChunkDoc<'a> {
    /// Catalog id.
    pub id: u64,
    /// Full virtual path of the file.
    pub path: &'a str,
    /// Heading path and file name, boosted.
    pub title: &'a str,
    /// The chunk text.
    pub body: &'a str,
}

/// One whole file to index: the file-level view of ranking.
pub struct FileDoc<'a> {
    /// Full virtual path.
    pub path: &'a str,
    /// Its title: the first heading, else the file name's words.
    pub title: &'a str,
    /// Every heading, one per line.
    pub headings: &'a str,
    /// The whole text.
    pub body: &'a str,
}

fn text_options() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

fn chunk_schema() -> (Schema, ChunkFields) {
    let mut b = Schema::builder();
    let id = b.add_u64_field("id", INDEXED | STORED | FAST);
    let path = b.add_text_field("path", STRING | STORED);
    let folder = b.add_facet_field("folder", FacetOptions::default());
    let title = b.add_text_field("title", text_options());
    let body = b.add_text_field("body", text_options());
    let fields = ChunkFields {
        id,
        path,
        folder,
        title,
        body,
    };
    (b.build(), fields)
}

fn file_schema() -> (Schema, FileFields) {
    let mut b = Schema::builder();
    let path = b.add_text_field("path", STRING | STORED);
    let folder = b.add_facet_field("folder", FacetOptions::default());
    let title = b.add_text_field("title", text_options());
    let headings = b.add_text_field("headings", text_options());
    let name = b.add_text_field("name", text_options());
    let body = b.add_text_field("body", text_options());
    let fields = FileFields {
        path,
        folder,
        title,
        headings,
        name,
        body,
    };
    (b.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CodeTokenizer::default())
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn query_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CodeTokenizer::default())
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            QUERY_STOP_WORDS.iter().map(|w| (*w).to_string()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

fn ft_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("search index: {what}: {e}"))
        .advise(crate::error::Advice::RebuildIndex)
}

/// The facet of a file's folder (`/docs/book/a.md` → `/docs/book`).
fn folder_facet(path: &str) -> Facet {
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    if dir.is_empty() {
        Facet::root()
    } else {
        Facet::from_text(dir).unwrap_or_else(|_| Facet::root())
    }
}

/// Matches documents at or below `scope` (`/` for all): in its folder, or the file itself.
fn scope_filter(folder: Field, path: Field, scope: &str) -> Result<Option<Box<dyn Query>>> {
    if scope == "/" {
        return Ok(None);
    }
    let facet = Facet::from_text(scope).map_err(|e| ft_err("bad scope", e))?;
    let in_folder: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_facet(folder, &facet),
        IndexRecordOption::Basic,
    ));
    let is_file: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(path, scope),
        IndexRecordOption::Basic,
    ));
    Ok(Some(Box::new(BooleanQuery::new(vec![
        (Occur::Should, in_folder),
        (Occur::Should, is_file),
    ]))))
}

/// Any of the terms in any of the fields, each field with its weight; BM25 sums the matches.
fn disjunction(fields: &[(Field, f32)], terms: &Terms) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for t in terms.words() {
        for &(field, boost) in fields {
            if boost <= 0.0 {
                continue;
            }
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, t),
                IndexRecordOption::WithFreqs,
            ));
            clauses.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
        }
    }
    Box::new(BooleanQuery::new(clauses))
}

fn restrict(query: Box<dyn Query>, filter: Option<Box<dyn Query>>) -> Box<dyn Query> {
    match filter {
        None => query,
        Some(f) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Must, f),
        ])),
    }
}

impl Part {
    /// Opens the index in `dir`; `true` when it was just created (empty).
    fn open(dir: &Path, schema: Schema) -> Result<(Part, bool)> {
        std::fs::create_dir_all(dir).map_err(|e| ft_err("cannot create its folder", e))?;
        let mmap =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| ft_err("cannot open", e))?;
        let created = !Index::exists(&mmap).map_err(|e| ft_err("cannot open", e))?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| ft_err("cannot open", e))?;
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| ft_err("cannot read", e))?;
        Ok((Part { index, reader }, created))
    }

    fn writer(&self) -> Result<IndexWriter> {
        // One thread, a small arena: indexing is bounded by the embedder, not by tantivy,
        // and memory is what a 2-core agent box has least of.
        self.index
            .writer_with_num_threads(1, WRITER_BYTES)
            .map_err(|e| ft_err("cannot write", e))
    }

    fn top(&self, query: &dyn Query, limit: usize) -> Result<Vec<(f32, TantivyDocument)>> {
        let searcher = self.reader.searcher();
        let top = searcher
            .search(query, &TopDocs::with_limit(limit.max(1)).order_by_score())
            .map_err(|e| ft_err("search failed", e))?;
        top.into_iter()
            .map(|(score, addr)| {
                searcher
                    .doc(addr)
                    .map(|d| (score, d))
                    .map_err(|e| ft_err("cannot read a hit", e))
            })
            .collect()
    }
}

/// Memory budget of each index writer (tantivy's minimum is 15 MB).
const WRITER_BYTES: usize = 20_000_000;

impl FullText {
    /// Opens the indexes in `dir`, creating them if missing; `true` when either was just
    /// created, so the caller knows to fill it from the catalog.
    pub fn open(dir: &Path) -> Result<(FullText, bool)> {
        let (cs, cf) = chunk_schema();
        let (fs, ff) = file_schema();
        let (chunks, new_chunks) = Part::open(&dir.join("chunks"), cs)?;
        let (files, new_files) = Part::open(&dir.join("files"), fs)?;
        let ft = FullText {
            chunks,
            files,
            cf,
            ff,
        };
        Ok((ft, new_chunks || new_files))
    }

    /// A writer of both indexes.
    pub fn writer(&self) -> Result<Writer> {
        Ok(Writer {
            chunks: self.chunks.writer()?,
            files: self.files.writer()?,
        })
    }

    /// Deletes the file at `path`: its chunks and its file-level document.
    pub fn delete_file(&self, w: &Writer, path: &str) {
        w.chunks
            .delete_term(Term::from_field_text(self.cf.path, path));
        w.files
            .delete_term(Term::from_field_text(self.ff.path, path));
    }

    /// Deletes everything.
    pub fn delete_all(&self, w: &mut Writer) -> Result<()> {
        w.chunks
            .delete_all_documents()
            .and_then(|_| w.files.delete_all_documents())
            .map(|_| ())
            .map_err(|e| ft_err("cannot clear", e))
    }

    /// Adds one chunk.
    pub fn add(&self, w: &Writer, c: &ChunkDoc<'_>) -> Result<()> {
        let f = self.cf;
        w.chunks
            .add_document(doc!(
                f.id => c.id,
                f.path => c.path,
                f.folder => folder_facet(c.path),
                f.title => c.title,
                f.body => c.body,
            ))
            .map(|_| ())
            .map_err(|e| ft_err("cannot add a chunk", e))
    }

    /// Adds one file's file-level document.
    pub fn add_file(&self, w: &Writer, d: &FileDoc<'_>) -> Result<()> {
        let f = self.ff;
        w.files
            .add_document(doc!(
                f.path => d.path,
                f.folder => folder_facet(d.path),
                f.title => d.title,
                f.headings => d.headings,
                f.name => d.path,
                f.body => d.body,
            ))
            .map(|_| ())
            .map_err(|e| ft_err("cannot add a file", e))
    }

    /// Commits both indexes (chunks first) and makes the change visible to this process.
    pub fn commit(&self, w: Writer) -> Result<()> {
        for (mut writer, part) in [(w.chunks, &self.chunks), (w.files, &self.files)] {
            writer.commit().map_err(|e| ft_err("cannot commit", e))?;
            writer
                .wait_merging_threads()
                .map_err(|e| ft_err("cannot merge", e))?;
            part.reader
                .reload()
                .map_err(|e| ft_err("cannot reload", e))?;
        }
        Ok(())
    }

    /// The best `limit` chunks for `terms` under `scope` (a virtual path, `/` for everything;
    /// a file path restricts to that file): `(chunk id, virtual path, score)`, best first.
    pub fn search(
        &self,
        terms: &Terms,
        scope: &str,
        limit: usize,
        boosts: &Boosts,
    ) -> Result<Vec<(u64, String, f32)>> {
        let f = self.cf;
        let query = disjunction(&[(f.title, boosts.chunk_title), (f.body, 1.0)], terms);
        let full = restrict(query, scope_filter(f.folder, f.path, scope)?);
        let mut out = Vec::new();
        for (score, d) in self.chunks.top(&*full, limit)? {
            let id = d.get_first(f.id).and_then(|v| v.as_u64());
            let path = d.get_first(f.path).and_then(|v| v.as_str());
            if let (Some(id), Some(path)) = (id, path) {
                out.push((id, path.to_string(), score));
            }
        }
        Ok(out)
    }

    /// The best `limit` files for `terms` under `scope`, ranked on the file-level view
    /// (title, headings, path, whole text): `(virtual path, score)`, best first.
    pub fn search_files(
        &self,
        terms: &Terms,
        scope: &str,
        limit: usize,
        boosts: &Boosts,
    ) -> Result<Vec<(String, f32)>> {
        let f = self.ff;
        let query = disjunction(
            &[
                (f.title, boosts.file_title),
                (f.headings, boosts.file_headings),
                (f.name, boosts.file_path),
                (f.body, boosts.file_body),
            ],
            terms,
        );
        let full = restrict(query, scope_filter(f.folder, f.path, scope)?);
        let mut out = Vec::new();
        for (score, d) in self.files.top(&*full, limit)? {
            if let Some(p) = d.get_first(f.path).and_then(|v| v.as_str()) {
                out.push((p.to_string(), score));
            }
        }
        Ok(out)
    }

    /// A snippet of `text` around `terms`, matched terms in `**bold**`.
    pub fn snippet(&self, terms: &Terms, text: &str, max_chars: usize) -> Option<String> {
        self.snippets(terms, max_chars).of(text)
    }

    /// A snippet maker for one query: its term statistics are read once, then reused for
    /// every hit of a search.
    pub fn snippets(&self, terms: &Terms, max_chars: usize) -> Snippets {
        let q = disjunction(&[(self.cf.body, 1.0)], terms);
        let searcher = self.chunks.reader.searcher();
        let generator = tantivy::snippet::SnippetGenerator::create(&searcher, &*q, self.cf.body)
            .ok()
            .map(|mut g| {
                g.set_max_num_chars(max_chars);
                g
            });
        Snippets { generator }
    }
}

/// Makes snippets for one query (see [`FullText::snippets`]).
pub struct Snippets {
    generator: Option<tantivy::snippet::SnippetGenerator>,
}

impl Snippets {
    /// The snippet of `text`, or `None` when no query term occurs in it.
    pub fn of(&self, text: &str) -> Option<String> {
        let s = self.generator.as_ref()?.snippet(text);
        if s.highlighted().is_empty() {
            return None;
        }
        let frag = s.fragment();
        // The tokenizer emits an identifier and its parts at overlapping offsets: merge the
        // highlighted ranges before marking them, so the slices never run backwards.
        let mut ranges: Vec<std::ops::Range<usize>> = s.highlighted().to_vec();
        ranges.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        let mut out = String::new();
        let mut last = 0;
        for r in merged {
            let (Some(before), Some(hit)) = (frag.get(last..r.start), frag.get(r.start..r.end))
            else {
                continue;
            };
            out.push_str(before);
            out.push_str("**");
            out.push_str(hit);
            out.push_str("**");
            last = r.end;
        }
        out.push_str(frag.get(last..).unwrap_or_default());
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        split_code(text, &mut v);
        v.into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn identifiers_keep_whole_and_parts() {
        assert_eq!(words("parse_config"), ["parse_config", "parse", "config"]);
        assert_eq!(words("parseConfig()"), ["parseConfig", "parse", "Config"]);
        assert_eq!(words("JWT token v2"), ["JWT", "token", "v2", "v", "2"]);
        assert_eq!(words("naïve café 東京"), ["naïve", "café", "東京"]);
        assert_eq!(words("__init__"), ["init"]);
    }

    const BOOSTS: Boosts = Boosts {
        chunk_title: 2.0,
        file_title: 3.0,
        file_headings: 1.5,
        file_path: 1.5,
        file_body: 1.0,
    };

    fn t(text: &str) -> Terms {
        Terms::of(text)
    }

    #[test]
    fn any_text_is_terms_never_syntax() {
        assert_eq!(
            t("std::fs::read_to_string").words(),
            ["std", "fs", "read_to_str", "read", "string"]
        );
        assert_eq!(
            t("\"unbalanced (quote* -x").words(),
            ["unbalanc", "quot", "x"]
        );
        assert_eq!(t("AND OR NOT title:foo").words(), ["not", "titl", "foo"]);
        assert!(t("*** (( \" -").is_empty());
        // Stop words go, unless nothing else is left.
        assert_eq!(t("how do I borrow").words(), ["borrow"]);
        assert_eq!(t("the").words(), ["the"]);
    }

    #[test]
    fn snippets_survive_overlapping_highlights() {
        let dir = tempfile::tempdir().unwrap();
        let (ft, created) = FullText::open(dir.path()).unwrap();
        assert!(created);
        let text = "# File 399\n\nunique399 words about quokka number 399";
        let w = ft.writer().unwrap();
        ft.add(
            &w,
            &ChunkDoc {
                id: 1,
                path: "/n/f.md",
                title: "f",
                body: text,
            },
        )
        .unwrap();
        ft.commit(w).unwrap();
        let snip = ft.snippet(&t("unique399 quokka"), text, 200).unwrap();
        assert!(
            snip.contains("**unique399**") && snip.contains("**quokka**"),
            "{snip}"
        );
    }

    #[test]
    fn index_search_delete() {
        let dir = tempfile::tempdir().unwrap();
        let (ft, _) = FullText::open(dir.path()).unwrap();
        let w = ft.writer().unwrap();
        ft.add(
            &w,
            &ChunkDoc {
                id: 1,
                path: "/code/auth.rs",
                title: "auth.rs",
                body: "fn validate_jwt_token(t: &str)",
            },
        )
        .unwrap();
        ft.add_file(
            &w,
            &FileDoc {
                path: "/code/auth.rs",
                title: "auth",
                headings: "",
                body: "fn validate_jwt_token(t: &str)",
            },
        )
        .unwrap();
        ft.add(
            &w,
            &ChunkDoc {
                id: 2,
                path: "/docs/bread.md",
                title: "Bread",
                body: "baking sourdough bread",
            },
        )
        .unwrap();
        ft.add_file(
            &w,
            &FileDoc {
                path: "/docs/bread.md",
                title: "Bread",
                headings: "Bread\nSourdough",
                body: "baking sourdough bread",
            },
        )
        .unwrap();
        ft.commit(w).unwrap();
        let hits = ft
            .search(&t("JWT token validation"), "/", 10, &BOOSTS)
            .unwrap();
        assert_eq!(hits.first().map(|h| h.0), Some(1));
        let files = ft.search_files(&t("sourdough"), "/", 10, &BOOSTS).unwrap();
        assert_eq!(files.first().map(|h| h.0.as_str()), Some("/docs/bread.md"));
        assert!(
            ft.search(&t("jwt"), "/docs", 10, &BOOSTS)
                .unwrap()
                .is_empty(),
            "scope filters by folder"
        );
        assert!(
            ft.search_files(&t("jwt"), "/docs", 10, &BOOSTS)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            ft.search(&t("jwt"), "/code/auth.rs", 10, &BOOSTS)
                .unwrap()
                .len(),
            1,
            "scope may be a file"
        );
        let snip = ft
            .snippet(&t("jwt token"), "fn validate_jwt_token(t: &str)", 150)
            .unwrap();
        assert!(snip.contains("**"), "{snip}");
        let w = ft.writer().unwrap();
        ft.delete_file(&w, "/code/auth.rs");
        ft.commit(w).unwrap();
        assert!(ft.search(&t("jwt"), "/", 10, &BOOSTS).unwrap().is_empty());
        assert!(
            ft.search_files(&t("jwt"), "/", 10, &BOOSTS)
                .unwrap()
                .is_empty()
        );
        let (_, created) = FullText::open(dir.path()).unwrap();
        assert!(!created, "an existing index is opened, not created");
    }
}
