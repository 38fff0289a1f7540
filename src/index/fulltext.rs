//! Keyword search: a tantivy index of chunks, BM25-ranked.
//!
//! One document per chunk: its catalog id (the join key), its virtual path (exact, for
//! deleting a file's chunks), its folder as a facet (tantivy indexes a facet with all its
//! ancestors, so "everything under /docs/book" is one term query), its heading and file name
//! (boosted), and its text. Text goes through a code-aware tokenizer that keeps identifiers
//! whole *and* splits `snake_case` and `camelCase` into their words, so `parse_config`,
//! `parseConfig` and "parse config" find each other. Chunk text itself lives in the catalog,
//! not here. One writer at a time (the caller holds the index lock); readers see the last
//! commit.

use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    Language, LowerCaser, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer,
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

/// The fields of the chunk index.
#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    path: Field,
    folder: Field,
    title: Field,
    body: Field,
}

/// The keyword index on disk.
pub struct FullText {
    index: Index,
    reader: IndexReader,
    fields: Fields,
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

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let id = b.add_u64_field("id", INDEXED | STORED | FAST);
    let path = b.add_text_field("path", STRING);
    let folder = b.add_facet_field("folder", FacetOptions::default());
    let title = b.add_text_field("title", text.clone());
    let body = b.add_text_field("body", text);
    (
        b.build(),
        Fields {
            id,
            path,
            folder,
            title,
            body,
        },
    )
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(CodeTokenizer::default())
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn ft_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("search index: {what}: {e}"))
        .hint("`ax index --rebuild` rebuilds the index")
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

impl FullText {
    /// Opens the index in `dir`, creating it if missing.
    pub fn open(dir: &Path) -> Result<FullText> {
        std::fs::create_dir_all(dir).map_err(|e| ft_err("cannot create its folder", e))?;
        let (schema, fields) = schema();
        let mmap =
            tantivy::directory::MmapDirectory::open(dir).map_err(|e| ft_err("cannot open", e))?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| ft_err("cannot open", e))?;
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| ft_err("cannot read", e))?;
        Ok(FullText {
            index,
            reader,
            fields,
        })
    }

    /// A writer (the caller holds the index lock, so there is only ever one).
    pub fn writer(&self) -> Result<IndexWriter> {
        self.index
            .writer_with_num_threads(1, 50_000_000)
            .map_err(|e| ft_err("cannot write", e))
    }

    /// Deletes every chunk of the file at `path`.
    pub fn delete_file(&self, w: &IndexWriter, path: &str) {
        w.delete_term(Term::from_field_text(self.fields.path, path));
    }

    /// Deletes everything.
    pub fn delete_all(&self, w: &mut IndexWriter) -> Result<()> {
        w.delete_all_documents()
            .map(|_| ())
            .map_err(|e| ft_err("cannot clear", e))
    }

    /// Adds one chunk.
    pub fn add(&self, w: &IndexWriter, c: &ChunkDoc<'_>) -> Result<()> {
        let f = self.fields;
        w.add_document(doc!(
            f.id => c.id,
            f.path => c.path,
            f.folder => folder_facet(c.path),
            f.title => c.title,
            f.body => c.body,
        ))
        .map(|_| ())
        .map_err(|e| ft_err("cannot add a chunk", e))
    }

    /// Commits a writer and makes the change visible to this process's reader.
    pub fn commit(&self, mut w: IndexWriter) -> Result<()> {
        w.commit().map_err(|e| ft_err("cannot commit", e))?;
        w.wait_merging_threads()
            .map_err(|e| ft_err("cannot merge", e))?;
        self.reader.reload().map_err(|e| ft_err("cannot reload", e))
    }

    /// The keyword query for `text` (title boosted), for searching and for snippets.
    pub fn query(&self, text: &str) -> Box<dyn Query> {
        let mut qp = QueryParser::for_index(&self.index, vec![self.fields.title, self.fields.body]);
        qp.set_field_boost(self.fields.title, 2.0);
        // Query syntax errors (a stray quote, say) fall back to searching the words.
        let (q, _errors) = qp.parse_query_lenient(text);
        q
    }

    /// The best `limit` chunks for `text` under the folder `scope` (a virtual path, `/` for
    /// everything; a file path restricts to that file): `(chunk id, score)`, best first.
    pub fn search(&self, text: &str, scope: &str, limit: usize) -> Result<Vec<(u64, f32)>> {
        let query = self.query(text);
        let filter: Option<Box<dyn Query>> = if scope == "/" {
            None
        } else {
            let folder = Facet::from_text(scope).map_err(|e| ft_err("bad scope", e))?;
            let in_folder: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_facet(self.fields.folder, &folder),
                IndexRecordOption::Basic,
            ));
            let is_file: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(self.fields.path, scope),
                IndexRecordOption::Basic,
            ));
            Some(Box::new(BooleanQuery::new(vec![
                (Occur::Should, in_folder),
                (Occur::Should, is_file),
            ])))
        };
        let full: Box<dyn Query> = match filter {
            None => query,
            Some(f) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, f),
            ])),
        };
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&full, &TopDocs::with_limit(limit).order_by_score())
            .map_err(|e| ft_err("search failed", e))?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher
                .doc(addr)
                .map_err(|e| ft_err("cannot read a hit", e))?;
            if let Some(id) = d.get_first(self.fields.id).and_then(|v| v.as_u64()) {
                out.push((id, score));
            }
        }
        Ok(out)
    }

    /// A snippet of `text` around the terms of `query`, matched terms in `**bold**`.
    pub fn snippet(&self, query: &str, text: &str, max_chars: usize) -> Option<String> {
        self.snippets(query, max_chars).of(text)
    }

    /// A snippet maker for `query`: the query is parsed and its term statistics read once,
    /// then reused for every hit of a search.
    pub fn snippets(&self, query: &str, max_chars: usize) -> Snippets {
        let q = self.query(query);
        let searcher = self.reader.searcher();
        let generator =
            tantivy::snippet::SnippetGenerator::create(&searcher, &*q, self.fields.body)
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

    #[test]
    fn snippets_survive_overlapping_highlights() {
        let dir = tempfile::tempdir().unwrap();
        let ft = FullText::open(dir.path()).unwrap();
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
        let snip = ft.snippet("unique399 quokka", text, 200).unwrap();
        assert!(
            snip.contains("**unique399**") && snip.contains("**quokka**"),
            "{snip}"
        );
    }

    #[test]
    fn index_search_delete() {
        let dir = tempfile::tempdir().unwrap();
        let ft = FullText::open(dir.path()).unwrap();
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
        ft.commit(w).unwrap();
        let hits = ft.search("JWT token validation", "/", 10).unwrap();
        assert_eq!(hits.first().map(|h| h.0), Some(1));
        assert!(
            ft.search("jwt", "/docs", 10).unwrap().is_empty(),
            "scope filters by folder"
        );
        assert_eq!(
            ft.search("jwt", "/code/auth.rs", 10).unwrap().len(),
            1,
            "scope may be a file"
        );
        let snip = ft
            .snippet("jwt token", "fn validate_jwt_token(t: &str)", 150)
            .unwrap();
        assert!(snip.contains("**"), "{snip}");
        let w = ft.writer().unwrap();
        ft.delete_file(&w, "/code/auth.rs");
        ft.commit(w).unwrap();
        assert!(ft.search("jwt", "/", 10).unwrap().is_empty());
    }
}
