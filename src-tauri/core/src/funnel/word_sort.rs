//! The search words of an import's new contacts put in `search_terms`' order (term, then
//! sort name, then contact id) here, not by SQLite's sorter: SQLite sorts rows of three
//! values through a general record format and merges its spilled runs level by level (at a
//! million contacts it wrote 1.7 GB of temporary files for 8 million words); this sorts
//! fixed-size keys over one copy of each contact, spills runs of a bounded size next to the
//! database and merges them all at once, so the words' insert only appends.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// One word in a run held in memory: the first eight bytes of the term (big-endian, padded
/// with zeroes: comparing them compares the terms unless both begin alike), where the term
/// lies in the arena, and where its contact does.
#[derive(Clone, Copy)]
struct Key {
    prefix: u64,
    term: u32,
    term_len: u32,
    contact: u32,
}

/// A run being gathered: each contact once (its id, sort name and search text, back to
/// back) and a key per word of its text.
#[derive(Default)]
struct Batch {
    arena: Vec<u8>,
    keys: Vec<Key>,
}

/// One word as `search_terms` keeps it, in its order (texts compare as SQLite's BINARY).
pub(crate) type Word<'a> = (&'a [u8], &'a [u8], i64);

impl Batch {
    fn bytes(&self) -> usize {
        self.arena.len() + self.keys.len() * std::mem::size_of::<Key>()
    }

    fn push(&mut self, id: i64, sort_name: &[u8], text: &[u8]) {
        let contact = self.arena.len() as u32;
        self.arena.extend_from_slice(&id.to_le_bytes());
        self.arena
            .extend_from_slice(&(sort_name.len() as u32).to_le_bytes());
        self.arena.extend_from_slice(sort_name);
        let text_at = self.arena.len();
        self.arena.extend_from_slice(text);
        for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
            let start = word.as_ptr() as usize - text.as_ptr() as usize;
            let mut prefix = [0u8; 8];
            let n = word.len().min(8);
            prefix[..n].copy_from_slice(&word[..n]);
            self.keys.push(Key {
                prefix: u64::from_be_bytes(prefix),
                term: (text_at + start) as u32,
                term_len: word.len() as u32,
                contact,
            });
        }
    }

    fn word(&self, key: &Key) -> Word<'_> {
        let a = &self.arena;
        let term = &a[key.term as usize..(key.term + key.term_len) as usize];
        let c = key.contact as usize;
        let mut id = [0u8; 8];
        id.copy_from_slice(&a[c..c + 8]);
        let mut len = [0u8; 4];
        len.copy_from_slice(&a[c + 8..c + 12]);
        let name = &a[c + 12..c + 12 + u32::from_le_bytes(len) as usize];
        (term, name, i64::from_le_bytes(id))
    }

    /// Sorts the keys by term, then by contact: the contacts were pushed in the order of
    /// their sort names and ids (`WordSorter::push`), so their places in the arena compare
    /// as their names and ids do.
    fn sort(&mut self) {
        let arena = &self.arena;
        let term = |k: &Key| &arena[k.term as usize..(k.term + k.term_len) as usize];
        self.keys.sort_unstable_by(|a, b| {
            a.prefix
                .cmp(&b.prefix)
                .then_with(|| term(a).cmp(term(b)))
                .then(a.contact.cmp(&b.contact))
        });
    }

    /// Sorts the batch and writes it to a new temporary file in `dir`, rewound; leaves the
    /// batch empty, for reuse.
    fn spill(&mut self, dir: &Path) -> std::io::Result<File> {
        self.sort();
        let mut out = BufWriter::with_capacity(1 << 20, tempfile::tempfile_in(dir)?);
        for key in &self.keys {
            let (term, name, id) = self.word(key);
            write_len(&mut out, term.len())?;
            out.write_all(term)?;
            write_len(&mut out, name.len())?;
            out.write_all(name)?;
            out.write_all(&id.to_le_bytes())?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        self.arena.clear();
        self.keys.clear();
        Ok(file)
    }
}

/// Gathers contacts' words, spilling a sorted run to a temporary file whenever what it holds
/// reaches its budget; `finish` merges the runs. A full run goes to a helper thread when it
/// is idle (it then sorts and writes it while this one reads on), else is spilled here: at
/// most two runs are held at once.
pub(crate) struct WordSorter {
    budget: usize,
    spill_dir: PathBuf,
    batch: Batch,
    runs: Vec<File>,
    helper: Option<Helper>,
}

/// The helper thread: full runs to it (only when it waits for one), emptied ones back.
struct Helper {
    to: SyncSender<Batch>,
    back: Receiver<Batch>,
    thread: JoinHandle<std::io::Result<Vec<File>>>,
}

impl Helper {
    fn start(first: Batch, dir: PathBuf) -> std::io::Result<Helper> {
        let (to, runs) = sync_channel::<Batch>(0);
        let (emptied, back) = sync_channel::<Batch>(1);
        let thread = std::thread::Builder::new()
            .name("cardfile-word-sort".into())
            .spawn(move || {
                let mut files = Vec::new();
                for mut batch in std::iter::once(first).chain(runs) {
                    files.push(batch.spill(&dir)?);
                    // Kept for reuse if the other thread has none waiting, else let go.
                    let _ = emptied.try_send(batch);
                }
                Ok(files)
            })?;
        Ok(Helper { to, back, thread })
    }
}

impl WordSorter {
    /// `budget`: the bytes a run may hold in memory (capped at 1 GB: keys address the
    /// arena with 32 bits); `spill_dir`: where full runs go.
    pub(crate) fn new(budget: usize, spill_dir: PathBuf) -> WordSorter {
        WordSorter {
            budget: budget.clamp(1, 1 << 30),
            spill_dir,
            batch: Batch::default(),
            runs: Vec::new(),
            helper: None,
        }
    }

    /// Adds a contact's words: its search text's runs of bytes other than a space. Contacts
    /// come in the order of their sort names, then ids.
    pub(crate) fn push(&mut self, id: i64, sort_name: &[u8], text: &[u8]) -> std::io::Result<()> {
        self.batch.push(id, sort_name, text);
        match self.batch.bytes() >= self.budget {
            true => self.spill(),
            false => Ok(()),
        }
    }

    /// Hands the full run to the helper if it waits (starting it with the first), else
    /// spills it here.
    fn spill(&mut self) -> std::io::Result<()> {
        let full = std::mem::take(&mut self.batch);
        let mut full = match &self.helper {
            None => {
                self.helper = Some(Helper::start(full, self.spill_dir.clone())?);
                return Ok(());
            }
            Some(helper) => match helper.to.try_send(full) {
                Ok(()) => {
                    self.batch = helper.back.try_recv().unwrap_or_default();
                    return Ok(());
                }
                Err(TrySendError::Full(full) | TrySendError::Disconnected(full)) => full,
            },
        };
        self.runs.push(full.spill(&self.spill_dir)?);
        self.batch = full;
        Ok(())
    }

    /// All the words pushed, in order; the last run is merged from memory.
    pub(crate) fn finish(mut self) -> std::io::Result<Words> {
        self.batch.sort();
        if let Some(helper) = self.helper {
            drop(helper.to);
            let spilled = helper
                .thread
                .join()
                .map_err(|_| std::io::Error::other("the thread sorting the words stopped"))??;
            self.runs.extend(spilled);
        }
        let mut sources: Vec<Source> = Vec::with_capacity(self.runs.len() + 1);
        for file in self.runs {
            sources.push(Source::Spilled(Spilled::open(file)?));
        }
        sources.push(Source::Memory {
            batch: self.batch,
            next: 0,
        });
        let mut merge = Merge {
            heap: (0..sources.len())
                .filter(|&i| sources[i].current().is_some())
                .collect(),
            sources,
        };
        for at in (0..merge.heap.len()).rev() {
            merge.sift_down(at);
        }
        Words::start(merge)
    }
}

/// A length: one byte below 255, else 255 and four bytes.
fn write_len(out: &mut impl Write, len: usize) -> std::io::Result<()> {
    match u8::try_from(len) {
        Ok(n) if n < u8::MAX => out.write_all(&[n]),
        _ => {
            out.write_all(&[u8::MAX])?;
            out.write_all(&(len as u32).to_le_bytes())
        }
    }
}

/// A spilled run read back a word at a time.
struct Spilled {
    reader: BufReader<File>,
    term: Vec<u8>,
    name: Vec<u8>,
    id: i64,
    done: bool,
}

impl Spilled {
    fn open(file: File) -> std::io::Result<Spilled> {
        let mut run = Spilled {
            reader: BufReader::with_capacity(64 << 10, file),
            term: Vec::new(),
            name: Vec::new(),
            id: 0,
            done: false,
        };
        run.advance()?;
        Ok(run)
    }

    fn advance(&mut self) -> std::io::Result<()> {
        let mut first = [0u8; 1];
        if self.reader.read(&mut first)? == 0 {
            self.done = true;
            return Ok(());
        }
        let len = self.read_len(first[0])?;
        read_into(&mut self.reader, &mut self.term, len)?;
        let mut byte = [0u8; 1];
        self.reader.read_exact(&mut byte)?;
        let len = self.read_len(byte[0])?;
        read_into(&mut self.reader, &mut self.name, len)?;
        let mut id = [0u8; 8];
        self.reader.read_exact(&mut id)?;
        self.id = i64::from_le_bytes(id);
        Ok(())
    }

    fn read_len(&mut self, first: u8) -> std::io::Result<usize> {
        if first < u8::MAX {
            return Ok(first as usize);
        }
        let mut len = [0u8; 4];
        self.reader.read_exact(&mut len)?;
        Ok(u32::from_le_bytes(len) as usize)
    }
}

fn read_into(reader: &mut impl Read, into: &mut Vec<u8>, len: usize) -> std::io::Result<()> {
    into.resize(len, 0);
    reader.read_exact(into)
}

/// A run being merged.
enum Source {
    Spilled(Spilled),
    Memory { batch: Batch, next: usize },
}

impl Source {
    fn current(&self) -> Option<Word<'_>> {
        match self {
            Source::Spilled(run) => (!run.done).then(|| (&run.term[..], &run.name[..], run.id)),
            Source::Memory { batch, next } => batch.keys.get(*next).map(|key| batch.word(key)),
        }
    }

    fn advance(&mut self) -> std::io::Result<()> {
        match self {
            Source::Spilled(run) => run.advance(),
            Source::Memory { next, .. } => {
                *next += 1;
                Ok(())
            }
        }
    }
}

/// The runs merged: a heap of the runs not yet done, the one with the least word on top.
struct Merge {
    sources: Vec<Source>,
    heap: Vec<usize>,
}

impl Merge {
    /// The least word not yet passed, or None once all are.
    fn current(&self) -> Option<Word<'_>> {
        self.heap.first().and_then(|&i| self.sources[i].current())
    }

    /// Passes the current word.
    fn advance(&mut self) -> std::io::Result<()> {
        let Some(&top) = self.heap.first() else {
            return Ok(());
        };
        self.sources[top].advance()?;
        if self.sources[top].current().is_none() {
            let last = self.heap.len() - 1;
            self.heap.swap(0, last);
            self.heap.pop();
        }
        self.sift_down(0);
        Ok(())
    }

    fn less(&self, a: usize, b: usize) -> bool {
        let (a, b) = (&self.sources[self.heap[a]], &self.sources[self.heap[b]]);
        a.current().cmp(&b.current()) == Ordering::Less
    }

    fn sift_down(&mut self, mut at: usize) {
        loop {
            let (left, right) = (2 * at + 1, 2 * at + 2);
            let mut least = at;
            if left < self.heap.len() && self.less(left, least) {
                least = left;
            }
            if right < self.heap.len() && self.less(right, least) {
                least = right;
            }
            if least == at {
                return;
            }
            self.heap.swap(at, least);
            at = least;
        }
    }
}

/// How many bytes of merged words go to the writing thread at once.
const BLOCK: usize = 256 << 10;

/// The merged words, made a block at a time by a thread of their own while SQLite writes
/// the ones before: each word as its term's and name's lengths (four bytes each), its
/// contact's id (eight), then the two texts.
pub(crate) struct Words {
    blocks: Receiver<std::io::Result<Vec<u8>>>,
    emptied: SyncSender<Vec<u8>>,
    block: Vec<u8>,
    at: usize,
    done: bool,
}

impl Words {
    fn start(mut merge: Merge) -> std::io::Result<Words> {
        let (to, blocks) = sync_channel::<std::io::Result<Vec<u8>>>(4);
        let (emptied, back) = sync_channel::<Vec<u8>>(4);
        std::thread::Builder::new()
            .name("cardfile-word-merge".into())
            .spawn(move || loop {
                let mut block = back.try_recv().unwrap_or_default();
                block.clear();
                while block.len() < BLOCK {
                    let Some((term, name, id)) = merge.current() else {
                        break;
                    };
                    block.extend_from_slice(&(term.len() as u32).to_le_bytes());
                    block.extend_from_slice(&(name.len() as u32).to_le_bytes());
                    block.extend_from_slice(&id.to_le_bytes());
                    block.extend_from_slice(term);
                    block.extend_from_slice(name);
                    if let Err(e) = merge.advance() {
                        let _ = to.send(Err(e));
                        return;
                    }
                }
                // All sent (the channel's end says so), or no one reads any more.
                if block.is_empty() || to.send(Ok(block)).is_err() {
                    return;
                }
            })?;
        let mut words = Words {
            blocks,
            emptied,
            block: Vec::new(),
            at: 0,
            done: false,
        };
        words.next_block()?;
        Ok(words)
    }

    fn next_block(&mut self) -> std::io::Result<()> {
        let read = std::mem::take(&mut self.block);
        let _ = self.emptied.try_send(read);
        self.at = 0;
        match self.blocks.recv() {
            Ok(Ok(block)) => self.block = block,
            Ok(Err(e)) => {
                self.done = true;
                return Err(e);
            }
            Err(_) => self.done = true,
        }
        Ok(())
    }

    /// The current word's texts' lengths.
    fn lengths(&self) -> (usize, usize) {
        let field = |at: usize| {
            let mut n = [0u8; 4];
            n.copy_from_slice(&self.block[at..at + 4]);
            u32::from_le_bytes(n) as usize
        };
        (field(self.at), field(self.at + 4))
    }

    /// The least word not yet passed, or None once all are.
    pub(crate) fn current(&self) -> Option<Word<'_>> {
        if self.done {
            return None;
        }
        let (term_len, name_len) = self.lengths();
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.block[self.at + 8..self.at + 16]);
        let term = self.at + 16;
        let name = term + term_len;
        Some((
            &self.block[term..name],
            &self.block[name..name + name_len],
            i64::from_le_bytes(id),
        ))
    }

    /// Passes the current word.
    pub(crate) fn advance(&mut self) -> std::io::Result<()> {
        if self.done {
            return Ok(());
        }
        let (term_len, name_len) = self.lengths();
        self.at += 16 + term_len + name_len;
        match self.at >= self.block.len() {
            true => self.next_block(),
            false => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of `contacts` as merged, and whether a run was spilled.
    fn sorted(budget: usize, contacts: &[(i64, &str, &str)]) -> (Vec<(String, String, i64)>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = WordSorter::new(budget, dir.path().to_path_buf());
        for (id, name, text) in contacts {
            sorter.push(*id, name.as_bytes(), text.as_bytes()).unwrap();
        }
        let spilled = sorter.helper.is_some();
        let mut words = sorter.finish().unwrap();
        let mut out = Vec::new();
        while let Some((term, name, id)) = words.current() {
            let text = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
            out.push((text(term), text(name), id));
            words.advance().unwrap();
        }
        (out, spilled)
    }

    #[test]
    fn words_come_out_in_the_search_indexs_order_from_memory_and_from_spilled_runs() {
        // Terms alike in their first eight bytes, a term longer than 255 bytes, names that
        // decide between equal terms, a prefix of another term, and non-ASCII text.
        let long = "x".repeat(300);
        let mut contacts: Vec<(i64, String, String)> = Vec::new();
        for i in 0..500i64 {
            let name = format!("name{:03}", (i * 37) % 101);
            let text = format!(
                " abcdefgh{} abcdefgh w{} josé{} {}{}",
                i % 7,
                i % 13,
                i % 3,
                long,
                i % 2
            );
            contacts.push((i + 1, name, text));
        }
        contacts.push((900, "z".into(), "   ".into()));
        contacts.push((901, "a".into(), String::new()));
        // Pushed in the order of their names, then ids, as the sorter asks.
        contacts.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
        let borrowed: Vec<(i64, &str, &str)> = contacts
            .iter()
            .map(|(i, n, t)| (*i, n.as_str(), t.as_str()))
            .collect();
        let mut want: Vec<(String, String, i64)> = contacts
            .iter()
            .flat_map(|(id, name, text)| {
                text.split(' ')
                    .filter(|w| !w.is_empty())
                    .map(|w| (w.to_string(), name.clone(), *id))
                    .collect::<Vec<_>>()
            })
            .collect();
        want.sort();
        let (in_memory, spilled) = sorted(1 << 30, &borrowed);
        assert!(!spilled);
        assert_eq!(in_memory, want);
        let (merged, spilled) = sorted(4096, &borrowed);
        assert!(spilled);
        assert_eq!(merged, want);
    }

    #[test]
    fn no_contacts_give_no_words() {
        assert_eq!(sorted(4096, &[]).0, vec![]);
    }
}
