//! # spikeport-records — fingerprinted, crash-safe record files for resumable runs
//!
//! A long run (the paper table, a weight-scale sweep, a seed study) is a list of
//! independent *cells*, each producing one record. This crate keeps those records in a
//! JSON-lines file so that a killed run resumes where it stopped, and makes resuming safe:
//!
//! * **Fingerprints.** Every record carries a [`Fingerprint`]: the fields that say *which*
//!   cell it is (its key, e.g. network and platform) and the settings that produced it
//!   (model content hash, platform parameters, seed, image counts, …). On resume a cell
//!   is reused only if its key *and* its settings match; a record with the same key but
//!   other settings is refused with an error that names the differing field
//!   ([`RecordError::Mismatch`]), never silently reused or silently recomputed.
//! * **Nothing is lost before the new run has succeeded.** A run writes to
//!   `<path>.partial` and renames it onto `<path>` only in [`RecordLog::finish`]; a fresh
//!   run refuses to start over an unfinished run's `.partial` file
//!   ([`RecordError::Unfinished`]), so neither a finished file nor an interrupted run's
//!   records are deleted by starting again.
//! * **Torn lines.** A run killed while appending leaves an incomplete last line; resuming
//!   truncates the file to its last complete record before appending again.
//! * **Durability.** Each record is written with one `write` and flushed to disk
//!   (`fsync`) before the call returns.
//!
//! The file starts with a header line naming the format, its version and the kind of
//! record (`{"format":"spikeport-records","version":1,"kind":"table-cell"}`); every other
//! line is `{"fingerprint":{"key":{…},"settings":{…}},"record":{…}}`.
//!
//! ```
//! use spikeport_records::{Fingerprint, RecordLog};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join("points.jsonl");
//! let fp = |w: f64| Fingerprint::new().key("max_weight_us", w).setting("seed", 0);
//! let mut log = RecordLog::<f64>::open(&path, "sweep-point", false)?;
//! log.append(&fp(0.02), &97.5)?;
//! drop(log); // killed before finishing: the records stay in points.jsonl.partial
//!
//! let mut log = RecordLog::<f64>::open(&path, "sweep-point", true)?;
//! assert_eq!(log.lookup(&fp(0.02))?, Some(&97.5));
//! assert_eq!(log.lookup(&fp(0.03))?, None);
//! // the same key with another seed is refused, naming the setting
//! let other = Fingerprint::new().key("max_weight_us", 0.02).setting("seed", 7);
//! assert!(log.lookup(&other).unwrap_err().to_string().contains("seed"));
//! log.append(&fp(0.03), &98.0)?;
//! assert_eq!(log.finish()?.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The `format` field of every record file's header.
pub const FORMAT: &str = "spikeport-records";

/// The version of the record file layout this crate writes and reads.
pub const VERSION: u32 = 1;

/// Suffix of the file a run writes to until it [finishes](RecordLog::finish).
pub const PARTIAL_SUFFIX: &str = ".partial";

/// What went wrong with a record file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// Reading, writing, truncating or renaming failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's message.
        reason: String,
    },
    /// The file is not a record file of this kind and version.
    #[error("{path}: not a spikeport record file of kind {kind:?}: {reason}")]
    NotARecordFile {
        /// The file.
        path: PathBuf,
        /// The kind expected.
        kind: String,
        /// What is wrong with its header.
        reason: String,
    },
    /// A complete line (not a torn last one) does not parse.
    #[error("{path} line {line}: not a {kind} record: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// The kind expected.
        kind: String,
        /// The parser's message.
        reason: String,
    },
    /// A recorded cell has the key asked for but was produced with other settings.
    #[error(transparent)]
    Mismatch(Box<Mismatch>),
    /// The file holds two records with the same key.
    #[error("{path} line {line}: a second record of {key}")]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// Line number of the second record, from 1.
        line: usize,
        /// The cell's key.
        key: String,
    },
    /// A fresh run found the records of an unfinished one.
    #[error(
        "{partial} holds the records of an unfinished run: resume it with --resume, or move the file \
         away to start afresh"
    )]
    Unfinished {
        /// The unfinished run's file.
        partial: PathBuf,
    },
}

/// A record with the key asked for, made with other settings ([`RecordError::Mismatch`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{path} line {line}: the record of {key} was made with other settings: {}; run without --resume \
     (the finished file is replaced only when the new run finishes) or choose another results file",
    list(differences)
)]
pub struct Mismatch {
    /// The file.
    pub path: PathBuf,
    /// Line number of the record, from 1.
    pub line: usize,
    /// The cell's key, `name=value` pairs.
    pub key: String,
    /// Every setting that differs, in name order.
    pub differences: Vec<Difference>,
}

/// One setting that differs between a record and this run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The setting.
    pub field: String,
    /// Its value in the record (`(absent)` if the record lacks it).
    pub recorded: String,
    /// Its value in this run (`(absent)` if this run lacks it).
    pub now: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {} (this run: {})", self.field, self.recorded, self.now)
    }
}

/// The differences joined for a message.
pub fn list(differences: &[Difference]) -> String {
    differences.iter().map(Difference::to_string).collect::<Vec<_>>().join(", ")
}

/// Which cell a record belongs to ([`Fingerprint::key`]) and what produced it
/// ([`Fingerprint::setting`]), as named JSON values.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// Fields that identify the cell (e.g. network, platform).
    pub key: BTreeMap<String, Value>,
    /// Fields that must agree for a record to be reused (e.g. seed, images, model hash).
    pub settings: BTreeMap<String, Value>,
}

/// The JSON value of `value` (`null` if it does not serialise, which the types used in
/// fingerprints — numbers, strings, vectors, plain structs — always do).
fn json(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A short, readable form of a JSON value for messages.
fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(v) => v.to_string(),
    }
}

impl Fingerprint {
    /// An empty fingerprint.
    pub fn new() -> Self {
        Self::default()
    }

    /// With key field `name` = `value`.
    #[must_use]
    pub fn key(mut self, name: &str, value: impl Serialize) -> Self {
        self.key.insert(name.to_string(), json(value));
        self
    }

    /// With setting `name` = `value`.
    #[must_use]
    pub fn setting(mut self, name: &str, value: impl Serialize) -> Self {
        self.settings.insert(name.to_string(), json(value));
        self
    }

    /// With setting `name` = the SHA-256 of `bytes` (lower-case hex): for model weights,
    /// data and long parameter texts.
    #[must_use]
    pub fn setting_hash(self, name: &str, bytes: &[u8]) -> Self {
        let hex = sha256_hex(bytes);
        self.setting(name, hex)
    }

    /// The key as `name=value` pairs, for messages.
    pub fn key_text(&self) -> String {
        self.key.iter().map(|(k, v)| format!("{k}={}", show(Some(v)))).collect::<Vec<_>>().join(", ")
    }

    /// Every setting (in name order) whose value differs between `self` (what a record was
    /// made with) and `now`, with both values; empty if all agree.
    pub fn differences(&self, now: &Fingerprint) -> Vec<Difference> {
        let names: std::collections::BTreeSet<&String> =
            self.settings.keys().chain(now.settings.keys()).collect();
        names
            .into_iter()
            .filter_map(|name| {
                let (a, b) = (self.settings.get(name), now.settings.get(name));
                (a != b).then(|| Difference { field: name.clone(), recorded: show(a), now: show(b) })
            })
            .collect()
    }
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: String,
    version: u32,
    kind: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<T> {
    fingerprint: Fingerprint,
    record: T,
}

/// One record with its fingerprint and line in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<T> {
    /// What produced it.
    pub fingerprint: Fingerprint,
    /// The record.
    pub record: T,
    /// Its line in the file, from 1.
    pub line: usize,
}

/// A record file being written by a run; see the [crate docs](crate).
#[derive(Debug)]
pub struct RecordLog<T> {
    path: PathBuf,
    partial: PathBuf,
    kind: String,
    entries: Vec<Entry<T>>,
    file: File,
    /// The `.partial` file was made by this run (fresh, or a copy of the finished file), so
    /// it holds nothing of its own until the first append.
    made_here: bool,
    /// Records appended by this run.
    appended: usize,
    finished: bool,
    _record: PhantomData<T>,
}

/// A run that ends without finishing (an error, a panic) removes a `.partial` file it made
/// and added no record to: it holds nothing that is not elsewhere. One with new records stays
/// for `--resume`.
impl<T> Drop for RecordLog<T> {
    fn drop(&mut self) {
        if self.made_here && self.appended == 0 && !self.finished {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// `<path>.partial`.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_os_string();
    p.push(PARTIAL_SUFFIX);
    PathBuf::from(p)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> RecordError + '_ {
    move |e| RecordError::Io { path: path.to_path_buf(), reason: e.to_string() }
}

/// The complete lines of a record file's text (each without its newline) and the byte
/// length they span; a last line without a newline is torn and left out.
fn complete_lines(text: &str) -> (Vec<&str>, usize) {
    let end = text.rfind('\n').map_or(0, |i| i + 1);
    (text[..end].lines().collect(), end)
}

/// Parses a record file's complete lines: the header, then one entry per non-blank line.
fn parse<T: DeserializeOwned>(path: &Path, kind: &str, lines: &[&str]) -> Result<Vec<Entry<T>>, RecordError> {
    let not = |reason: String| RecordError::NotARecordFile {
        path: path.to_path_buf(),
        kind: kind.to_string(),
        reason,
    };
    let Some(first) = lines.first() else {
        return Ok(Vec::new());
    };
    let header: Header = serde_json::from_str(first).map_err(|e| {
        not(format!("its first line is not a record-file header ({e}); written by an older spikeport?"))
    })?;
    if header.format != FORMAT {
        return Err(not(format!("format {:?}", header.format)));
    }
    if header.version != VERSION {
        return Err(not(format!("version {} (this spikeport reads version {VERSION})", header.version)));
    }
    if header.kind != kind {
        return Err(not(format!("it holds {:?} records", header.kind)));
    }
    let mut entries: Vec<Entry<T>> = Vec::new();
    for (i, text) in lines.iter().enumerate().skip(1) {
        if text.trim().is_empty() {
            continue;
        }
        let line = i + 1;
        let parsed: Line<T> = serde_json::from_str(text).map_err(|e| RecordError::Malformed {
            path: path.to_path_buf(),
            line,
            kind: kind.to_string(),
            reason: e.to_string(),
        })?;
        if entries.iter().any(|e| e.fingerprint.key == parsed.fingerprint.key) {
            return Err(RecordError::Duplicate {
                path: path.to_path_buf(),
                line,
                key: parsed.fingerprint.key_text(),
            });
        }
        entries.push(Entry { fingerprint: parsed.fingerprint, record: parsed.record, line });
    }
    Ok(entries)
}

/// Reads every record of a finished or unfinished record file of `kind` (a torn last line
/// is ignored), e.g. to merge the files of several shards.
///
/// **Errors** with [`RecordError`] if the file cannot be read, is not a record file of
/// `kind` and [`VERSION`], holds a malformed complete line or a duplicate key.
pub fn read<T: DeserializeOwned>(path: &Path, kind: &str) -> Result<Vec<Entry<T>>, RecordError> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let (lines, _) = complete_lines(&text);
    parse(path, kind, &lines)
}

impl<T: Serialize + DeserializeOwned> RecordLog<T> {
    /// Opens the record file `path` of records of `kind` for a run: with `resume`, continues
    /// the unfinished run in `<path>.partial` if there is one, else starts from a copy of
    /// the finished `<path>` if there is one (so a resumed run can add cells to a finished
    /// file), else starts empty; a torn last line is cut off. Without `resume`, starts an
    /// empty `<path>.partial`. Either way `<path>` itself is untouched until
    /// [`finish`](Self::finish).
    ///
    /// **Errors** with [`RecordError::Unfinished`] if a fresh run finds a `.partial` file,
    /// and as [`read`] for the file resumed from.
    pub fn open(path: &Path, kind: &str, resume: bool) -> Result<Self, RecordError> {
        let partial = partial_path(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        if !resume && partial.exists() {
            return Err(RecordError::Unfinished { partial });
        }
        let made_here = !partial.exists();
        if resume && made_here && path.exists() {
            std::fs::copy(path, &partial).map_err(io(&partial))?;
        }
        let (entries, keep) = if resume && partial.exists() {
            let parsed = std::fs::read_to_string(&partial).map_err(io(&partial)).and_then(|text| {
                let (lines, end) = complete_lines(&text);
                Ok((parse(&partial, kind, &lines)?, (end > 0).then_some(end)))
            });
            match parsed {
                Ok(p) => p,
                Err(e) => {
                    // a copy of the finished file that cannot be resumed is not kept
                    if made_here {
                        let _ = std::fs::remove_file(&partial);
                    }
                    return Err(e);
                }
            }
        } else {
            (Vec::new(), None)
        };
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(false)
            .open(&partial)
            .map_err(io(&partial))?;
        match keep {
            // cut a torn last line (or nothing) off, then append after the last record
            Some(end) => {
                file.set_len(end as u64).map_err(io(&partial))?;
            }
            None => {
                file.set_len(0).map_err(io(&partial))?;
                let header = Header { format: FORMAT.into(), version: VERSION, kind: kind.into() };
                let mut line = serde_json::to_string(&header)
                    .map_err(|e| RecordError::Io { path: partial.clone(), reason: e.to_string() })?;
                line.push('\n');
                file.write_all(line.as_bytes()).map_err(io(&partial))?;
            }
        }
        file.sync_all().map_err(io(&partial))?;
        let mut file = OpenOptions::new().append(true).open(&partial).map_err(io(&partial))?;
        file.flush().map_err(io(&partial))?;
        Ok(Self {
            path: path.to_path_buf(),
            partial,
            kind: kind.into(),
            entries,
            file,
            made_here,
            appended: 0,
            finished: false,
            _record: PhantomData,
        })
    }

    /// The record of the cell with `fp`'s key, if there is one made with the same settings.
    ///
    /// **Errors** with [`RecordError::Mismatch`] if the cell was recorded with other
    /// settings, naming the first differing one.
    pub fn lookup(&self, fp: &Fingerprint) -> Result<Option<&T>, RecordError> {
        let Some(e) = self.entries.iter().find(|e| e.fingerprint.key == fp.key) else {
            return Ok(None);
        };
        let differences = e.fingerprint.differences(fp);
        if differences.is_empty() {
            return Ok(Some(&e.record));
        }
        Err(RecordError::Mismatch(Box::new(Mismatch {
            path: self.partial.clone(),
            line: e.line,
            key: fp.key_text(),
            differences,
        })))
    }

    /// Appends `record` under `fp` and flushes it to disk before returning.
    ///
    /// **Errors** with [`RecordError::Duplicate`] if the file already holds a record with
    /// `fp`'s key, [`RecordError::Io`] if writing fails.
    pub fn append(&mut self, fp: &Fingerprint, record: &T) -> Result<(), RecordError>
    where
        T: Clone,
    {
        let line_no = self.entries.last().map_or(2, |e| e.line + 1);
        if self.entries.iter().any(|e| e.fingerprint.key == fp.key) {
            return Err(RecordError::Duplicate {
                path: self.partial.clone(),
                line: line_no,
                key: fp.key_text(),
            });
        }
        let line = Line { fingerprint: fp.clone(), record };
        let mut text = serde_json::to_string(&line)
            .map_err(|e| RecordError::Io { path: self.partial.clone(), reason: e.to_string() })?;
        text.push('\n');
        self.file.write_all(text.as_bytes()).map_err(io(&self.partial))?;
        self.file.sync_all().map_err(io(&self.partial))?;
        self.appended += 1;
        self.entries.push(Entry { fingerprint: fp.clone(), record: record.clone(), line: line_no });
        Ok(())
    }

    /// The records so far, in file order.
    pub fn entries(&self) -> &[Entry<T>] {
        &self.entries
    }

    /// The file the run writes to until it finishes (`<path>.partial`).
    pub fn partial(&self) -> &Path {
        &self.partial
    }

    /// The kind of record.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Ends the run: the `.partial` file replaces `<path>` (atomically, by rename).
    /// Returns the records.
    ///
    /// **Errors** with [`RecordError::Io`] if flushing or renaming fails (the records then
    /// stay in the `.partial` file).
    pub fn finish(mut self) -> Result<Vec<Entry<T>>, RecordError> {
        self.file.sync_all().map_err(io(&self.partial))?;
        std::fs::rename(&self.partial, &self.path).map_err(io(&self.path))?;
        self.finished = true;
        Ok(std::mem::take(&mut self.entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(net: &str, seed: u64) -> Fingerprint {
        Fingerprint::new()
            .key("network", net)
            .key("platform", "spikey")
            .setting("seed", seed)
            .setting("images", 500)
    }

    #[test]
    fn a_fresh_run_leaves_the_finished_file_alone_until_it_finishes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cells.jsonl");
        let mut log = RecordLog::<u32>::open(&path, "cell", false).expect("open");
        log.append(&fp("a", 0), &1).expect("append");
        log.finish().expect("finish");
        let finished = std::fs::read(&path).expect("read");
        // a new run that fails before finishing
        let mut log = RecordLog::<u32>::open(&path, "cell", false).expect("open");
        log.append(&fp("b", 0), &2).expect("append");
        drop(log);
        assert_eq!(std::fs::read(&path).expect("read"), finished, "the finished file is untouched");
        // starting afresh again is refused: it would discard the unfinished run
        let err = RecordLog::<u32>::open(&path, "cell", false).unwrap_err();
        assert!(matches!(err, RecordError::Unfinished { .. }), "{err}");
        // resuming continues the unfinished run (which did not include a's cell)
        let log = RecordLog::<u32>::open(&path, "cell", true).expect("resume");
        assert_eq!(log.lookup(&fp("b", 0)).expect("lookup"), Some(&2));
        assert_eq!(log.lookup(&fp("a", 0)).expect("lookup"), None);
        let entries = log.finish().expect("finish");
        assert_eq!(entries.len(), 1);
        assert_eq!(read::<u32>(&path, "cell").expect("read").len(), 1);
        assert!(!partial_path(&path).exists());
    }

    #[test]
    fn a_run_that_fails_before_its_first_record_leaves_no_partial_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cells.jsonl");
        let partial = partial_path(&path);
        drop(RecordLog::<u32>::open(&path, "cell", false).expect("open"));
        assert!(!partial.exists(), "a fresh run without records");
        let mut log = RecordLog::<u32>::open(&path, "cell", false).expect("open");
        log.append(&fp("a", 0), &1).expect("append");
        log.finish().expect("finish");
        let finished = std::fs::read(&path).expect("read");
        // a resume of the finished file that fails (a mismatch) before adding a record
        let log = RecordLog::<u32>::open(&path, "cell", true).expect("resume");
        assert!(log.lookup(&fp("a", 7)).is_err());
        drop(log);
        assert!(!partial.exists(), "the copy of the finished file is not kept");
        assert_eq!(std::fs::read(&path).expect("read"), finished);
        // a finished file of another kind cannot be resumed and leaves no copy behind
        assert!(RecordLog::<u32>::open(&path, "other", true).is_err());
        assert!(!partial.exists());
    }

    #[test]
    fn resuming_a_finished_file_extends_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cells.jsonl");
        let mut log = RecordLog::<u32>::open(&path, "cell", true).expect("open");
        log.append(&fp("a", 0), &1).expect("append");
        log.finish().expect("finish");
        let mut log = RecordLog::<u32>::open(&path, "cell", true).expect("resume");
        assert_eq!(log.lookup(&fp("a", 0)).expect("lookup"), Some(&1));
        log.append(&fp("b", 0), &2).expect("append");
        let e = log.finish().expect("finish");
        assert_eq!(e.iter().map(|e| e.record).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn a_torn_last_line_is_cut_before_appending() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cells.jsonl");
        let mut log = RecordLog::<u32>::open(&path, "cell", false).expect("open");
        log.append(&fp("a", 0), &1).expect("append");
        drop(log);
        // a kill in the middle of the second record's write
        let partial = partial_path(&path);
        let mut f = OpenOptions::new().append(true).open(&partial).expect("open");
        f.write_all(br#"{"fingerprint":{"key":{"network":"b""#).expect("write");
        drop(f);
        for round in 0..3 {
            let mut log = RecordLog::<u32>::open(&path, "cell", true).expect("resume");
            assert_eq!(log.entries().len(), 1 + round, "round {round}");
            let net = format!("n{round}");
            log.append(&fp(&net, 0), &(10 + round as u32)).expect("append");
            drop(log);
        }
        let entries = read::<u32>(&partial, "cell").expect("every line parses");
        assert_eq!(entries.iter().map(|e| e.record).collect::<Vec<_>>(), [1, 10, 11, 12]);
    }

    #[test]
    fn a_record_of_other_settings_is_refused_naming_the_field() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cells.jsonl");
        let mut log = RecordLog::<u32>::open(&path, "cell", false).expect("open");
        log.append(&fp("a", 0), &1).expect("append");
        let err = log.lookup(&fp("a", 7)).unwrap_err();
        match &err {
            RecordError::Mismatch(m) => {
                let d = &m.differences;
                assert_eq!(d.len(), 1, "{d:?}");
                assert_eq!(
                    (d[0].field.as_str(), d[0].recorded.as_str(), d[0].now.as_str(), m.line),
                    ("seed", "0", "7", 2)
                );
            }
            other => panic!("{other}"),
        }
        assert!(
            err.to_string().contains("network=\"a\"") && err.to_string().contains("seed = 0 (this run: 7)"),
            "{err}"
        );
        // a setting only one side has is a difference too
        let extra = fp("a", 0).setting("batch", 256);
        let err = log.lookup(&extra).unwrap_err();
        assert!(
            matches!(&err, RecordError::Mismatch(m) if m.differences[0].field == "batch" && m.differences[0].recorded == "(absent)")
        );
        // a second record of the same cell is refused
        assert!(matches!(log.append(&fp("a", 0), &2), Err(RecordError::Duplicate { .. })));
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cells.jsonl");
        let partial = partial_path(&path);
        // an old headerless file, another kind, another version, a corrupt middle line
        let cases: [(&str, &str); 4] = [
            ("{\"network\":\"a\"}\n", "older spikeport"),
            ("{\"format\":\"spikeport-records\",\"version\":1,\"kind\":\"sweep-point\"}\n", "sweep-point"),
            ("{\"format\":\"spikeport-records\",\"version\":9,\"kind\":\"cell\"}\n", "version 9"),
            (
                "{\"format\":\"spikeport-records\",\"version\":1,\"kind\":\"cell\"}\n{oops}\n{\"fingerprint\":{\"key\":{},\"settings\":{}},\"record\":1}\n",
                "line 2",
            ),
        ];
        for (text, says) in cases {
            std::fs::write(&partial, text).expect("write");
            let err = RecordLog::<u32>::open(&path, "cell", true).unwrap_err();
            assert!(err.to_string().contains(says), "{err} should say {says}");
            assert_eq!(std::fs::read_to_string(&partial).expect("read"), text, "the file is left as it was");
        }
    }

    #[test]
    fn sha256_matches_a_known_digest() {
        // FIPS 180-2 example "abc"
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
