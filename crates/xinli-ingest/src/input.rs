//! Opening an input: gzip detection (decompressed on a separate thread), progress counting,
//! BOM and encoding sniffing, binary detection and a guard against absurdly long lines.

use crate::text::Enc;
use crate::{EncodingChoice, ImportError, ImportOptions};
use std::fmt;
use std::io::{self, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;

/// How many decompressed bytes are looked at to decide encoding and binary-ness.
const SNIFF_BYTES: usize = 64 * 1024;
const CHUNK: usize = 256 * 1024;

/// Shared progress state of one import: bytes read from disk over the total size.
#[derive(Clone)]
pub(crate) struct Progress {
    done: Arc<AtomicU64>,
    total: u64,
    callback: Option<crate::ProgressFn>,
}

impl Progress {
    pub(crate) fn new(total: u64, callback: Option<crate::ProgressFn>) -> Self {
        Progress { done: Arc::new(AtomicU64::new(0)), total, callback }
    }
    fn add(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        if let Some(cb) = &self.callback {
            // Report about every MiB, and at the end.
            let after = before + n;
            if before >> 20 != after >> 20 || after >= self.total {
                cb(after, self.total.max(after));
            }
        }
    }
}

struct ProgressReader<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

/// A fault in the byte stream, carried inside an `io::Error` up to where the file name is known.
#[derive(Debug)]
pub(crate) enum StreamFault {
    LineTooLong { line: u64, limit: u64 },
    Gzip { line: u64, detail: String },
}

impl fmt::Display for StreamFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamFault::LineTooLong { line, limit } => write!(f, "line {line} longer than {limit} bytes"),
            StreamFault::Gzip { line, detail } => write!(f, "corrupt gzip near line {line}: {detail}"),
        }
    }
}
impl std::error::Error for StreamFault {}

#[derive(Debug)]
struct GzMark(String);
impl fmt::Display for GzMark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for GzMark {}

/// Marks every error of a gzip decoder as a gzip fault.
struct GzTag<R>(R);
impl<R: Read> Read for GzTag<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            let detail = if e.kind() == io::ErrorKind::UnexpectedEof {
                "unexpected end of compressed data (truncated file?)".to_string()
            } else {
                e.to_string()
            };
            io::Error::new(io::ErrorKind::InvalidData, GzMark(detail))
        })
    }
}

/// Runs a reader on its own thread, handing over chunks: gzip inflation overlaps parsing.
struct ThreadedReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ThreadedReader {
    fn spawn<R: Read + Send + 'static>(mut inner: R) -> Self {
        let (tx, rx) = sync_channel::<io::Result<Vec<u8>>>(8);
        std::thread::Builder::new()
            .name("xinli-gunzip".into())
            .spawn(move || loop {
                let mut buf = vec![0u8; CHUNK];
                let mut filled = 0;
                let result = loop {
                    match inner.read(&mut buf[filled..]) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            filled += n;
                            if filled == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(filled);
                let eof = filled < CHUNK;
                if filled > 0 && tx.send(Ok(buf)).is_err() {
                    return;
                }
                match result {
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                    Ok(()) if eof => return,
                    Ok(()) => {}
                }
            })
            .expect("spawn decompression thread");
        ThreadedReader { rx, chunk: Vec::new(), pos: 0, done: false }
    }
}

impl Read for ThreadedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Counts lines and refuses any line longer than `limit` bytes, without ever holding it.
pub(crate) struct LineGuard<R> {
    inner: R,
    limit: u64,
    since_newline: u64,
    newlines: u64,
}

impl<R> LineGuard<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        LineGuard { inner, limit: limit.max(1), since_newline: 0, newlines: 0 }
    }
}

impl<R: Read> Read for LineGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let line = self.newlines + 1;
                let is_gz = e.get_ref().map(|r| r.is::<GzMark>()).unwrap_or(false);
                if is_gz {
                    let detail = e.get_ref().map(|r| r.to_string()).unwrap_or_default();
                    return Err(io::Error::new(io::ErrorKind::InvalidData, StreamFault::Gzip { line, detail }));
                }
                return Err(e);
            }
        };
        let data = &buf[..n];
        if self.since_newline + n as u64 <= self.limit {
            // Fast path: no line in this chunk can be over the limit.
            match data.iter().rposition(|&b| b == b'\n') {
                None => self.since_newline += n as u64,
                Some(last) => {
                    self.newlines += data.iter().filter(|&&b| b == b'\n').count() as u64;
                    self.since_newline = (n - last - 1) as u64;
                }
            }
        } else {
            for &b in data {
                if b == b'\n' {
                    self.newlines += 1;
                    self.since_newline = 0;
                } else {
                    self.since_newline += 1;
                    if self.since_newline > self.limit {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            StreamFault::LineTooLong { line: self.newlines + 1, limit: self.limit },
                        ));
                    }
                }
            }
        }
        Ok(n)
    }
}

/// A readable, decompressed, BOM-stripped, guarded input plus what was learnt opening it.
pub(crate) struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub enc: Enc,
    pub encoding_name: String,
    pub compressed: bool,
    pub bytes: u64,
    /// Read (inflate, split records) on a second thread.
    pub threaded: bool,
}

impl Opened {
    /// The file's lines, for line-oriented readers; inflated on a second thread when worthwhile.
    pub(crate) fn into_lines(self) -> Lines {
        let reader: Box<dyn Read + Send> = if self.threaded {
            Box::new(ThreadedReader::spawn(self.reader))
        } else {
            self.reader
        };
        Lines { reader: io::BufReader::with_capacity(256 * 1024, reader), buf: Vec::new(), line: 0 }
    }
}

/// The lines of a file, numbered from 1.
pub(crate) struct Lines {
    reader: io::BufReader<Box<dyn Read + Send>>,
    buf: Vec<u8>,
    line: u64,
}

impl Lines {
    /// The next line (with its line break, if any) and its number, `None` at the end; an error is
    /// classified as one met reading `path`.
    pub(crate) fn next_line(&mut self, path: &str) -> Result<Option<(&[u8], u64)>, ImportError> {
        self.buf.clear();
        let n = io::BufRead::read_until(&mut self.reader, b'\n', &mut self.buf).map_err(|e| classify_io(path, e, self.line + 1))?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        Ok(Some((&self.buf, self.line)))
    }
}

/// Records per batch handed from the reading thread to the parsing one.
const BATCH: usize = 2048;

type Batch = (Vec<csv::ByteRecord>, usize, Option<csv::Error>);

/// CSV records, split on a second thread (together with gzip inflation) for big inputs, or
/// inline. Each record keeps its position (line number).
pub(crate) enum RecordStream {
    Inline(csv::Reader<Box<dyn Read + Send>>, csv::ByteRecord),
    Threaded {
        rx: Receiver<Batch>,
        recycle: std::sync::mpsc::Sender<Vec<csv::ByteRecord>>,
        batch: Vec<csv::ByteRecord>,
        len: usize,
        pos: usize,
        pending_error: Option<csv::Error>,
        done: bool,
    },
}

impl RecordStream {
    pub(crate) fn new(opened: Opened, delimiter: u8) -> Self {
        let threaded = opened.threaded;
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(256 * 1024)
            .from_reader(opened.reader);
        if !threaded {
            return RecordStream::Inline(rdr, csv::ByteRecord::new());
        }
        let (tx, rx) = sync_channel::<Batch>(4);
        let (recycle, recycled) = std::sync::mpsc::channel::<Vec<csv::ByteRecord>>();
        std::thread::Builder::new()
            .name("xinli-read".into())
            .spawn(move || {
                let mut rdr = rdr;
                loop {
                    let mut batch = recycled.try_recv().unwrap_or_else(|_| vec![csv::ByteRecord::new(); BATCH]);
                    let mut len = 0;
                    let mut error = None;
                    let mut eof = false;
                    while len < BATCH {
                        match rdr.read_byte_record(&mut batch[len]) {
                            Ok(true) => len += 1,
                            Ok(false) => {
                                eof = true;
                                break;
                            }
                            Err(e) => {
                                error = Some(e);
                                break;
                            }
                        }
                    }
                    let stop = eof || error.is_some();
                    if tx.send((batch, len, error)).is_err() || stop {
                        return;
                    }
                }
            })
            .expect("spawn reader thread");
        RecordStream::Threaded { rx, recycle, batch: Vec::new(), len: 0, pos: 0, pending_error: None, done: false }
    }

    /// The next record and its line number (0 if unknown), `None` at the end; an error is classified as
    /// one met reading `path`.
    #[inline]
    pub(crate) fn next_line(&mut self, path: &str) -> Result<Option<(&csv::ByteRecord, u64)>, ImportError> {
        match self.next() {
            Ok(Some(rec)) => Ok(Some((rec, rec.position().map(|p| p.line()).unwrap_or(0)))),
            Ok(None) => Ok(None),
            Err(e) => Err(classify_csv(path, e)),
        }
    }

    /// The next record, `None` at the end.
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<&csv::ByteRecord>, csv::Error> {
        match self {
            RecordStream::Inline(rdr, rec) => Ok(if rdr.read_byte_record(rec)? { Some(rec) } else { None }),
            RecordStream::Threaded { rx, recycle, batch, len, pos, pending_error, done } => {
                while *pos >= *len {
                    if let Some(e) = pending_error.take() {
                        *done = true;
                        return Err(e);
                    }
                    if *done {
                        return Ok(None);
                    }
                    match rx.recv() {
                        Ok((b, l, e)) => {
                            let old = std::mem::replace(batch, b);
                            if !old.is_empty() {
                                let _ = recycle.send(old);
                            }
                            *len = l;
                            *pos = 0;
                            *pending_error = e;
                            if l == 0 && pending_error.is_none() {
                                *done = true;
                            }
                        }
                        Err(_) => {
                            *done = true;
                            return Ok(None);
                        }
                    }
                }
                *pos += 1;
                Ok(Some(&batch[*pos - 1]))
            }
        }
    }
}

/// Turns an I/O error met while reading `path` into the import error it stands for.
pub(crate) fn classify_io(path: &str, e: io::Error, line: u64) -> ImportError {
    if let Some(fault) = e.get_ref().and_then(|r| r.downcast_ref::<StreamFault>()) {
        return match fault {
            StreamFault::LineTooLong { line, limit } => {
                ImportError::LineTooLong { path: path.to_string(), line: *line, limit: *limit }
            }
            StreamFault::Gzip { line: l, detail } => ImportError::CorruptGzip {
                path: path.to_string(),
                line: (*l).max(line),
                detail: detail.clone(),
            },
        };
    }
    ImportError::io(path, e)
}

pub(crate) fn classify_csv(path: &str, e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => classify_io(path, io, line),
        other => ImportError::Unrecognised { path: path.to_string(), reason: format!("{other:?}") },
    }
}

/// Opens a file from disk.
pub(crate) fn open_path(
    path: &std::path::Path,
    options: &ImportOptions,
    progress: &Progress,
) -> Result<Opened, ImportError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| ImportError::opening(&name, e))?;
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let raw = ProgressReader { inner: file, progress: progress.clone() };
    open_reader(&name, Box::new(raw), bytes, options, true)
}

/// Opens any byte stream (files, in-memory buffers for tests and fuzzing).
pub(crate) fn open_reader(
    name: &str,
    raw: Box<dyn Read + Send>,
    bytes: u64,
    options: &ImportOptions,
    threaded: bool,
) -> Result<Opened, ImportError> {
    let mut raw = io::BufReader::with_capacity(CHUNK, raw);
    let head = io::BufRead::fill_buf(&mut raw).map_err(|e| ImportError::io(name, e))?;
    let compressed = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let decompressed: Box<dyn Read + Send> = if compressed {
        Box::new(GzTag(flate2::read::MultiGzDecoder::new(raw)))
    } else {
        Box::new(raw)
    };
    let mut guard = LineGuard::new(decompressed, options.max_line_bytes);
    // Sniff the start.
    let mut sniff = vec![0u8; SNIFF_BYTES];
    let mut filled = 0;
    while filled < sniff.len() {
        match guard.read(&mut sniff[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(classify_io(name, e, 1)),
        }
    }
    sniff.truncate(filled);
    if sniff.is_empty() {
        return Err(ImportError::Empty { path: name.to_string() });
    }
    if let Some(offset) = sniff.iter().position(|&b| b == 0) {
        if sniff.starts_with(&[0xFF, 0xFE]) || sniff.starts_with(&[0xFE, 0xFF]) {
            return Err(ImportError::Encoding {
                path: name.to_string(),
                detail: "UTF-16 text; re-save the export as UTF-8 (or GBK)".into(),
            });
        }
        return Err(ImportError::Binary { path: name.to_string(), offset: offset as u64 });
    }
    let mut start = 0;
    let bom = sniff.starts_with(&[0xEF, 0xBB, 0xBF]);
    if bom {
        start = 3;
    }
    if sniff[start..].iter().all(|b| b.is_ascii_whitespace()) && filled < SNIFF_BYTES {
        return Err(ImportError::Empty { path: name.to_string() });
    }
    let (enc, encoding_name) = match options.encoding {
        EncodingChoice::Utf8 => (Enc::Utf8, if bom { "utf-8-bom" } else { "utf-8" }),
        EncodingChoice::Gbk => (Enc::Gb18030, "gbk"),
        EncodingChoice::Gb18030 => (Enc::Gb18030, "gb18030"),
        EncodingChoice::Windows1252 => (Enc::Windows1252, "windows-1252"),
        EncodingChoice::Auto => {
            if bom {
                (Enc::Utf8, "utf-8-bom")
            } else {
                match std::str::from_utf8(&sniff) {
                    Ok(_) => (Enc::Utf8, "utf-8"),
                    // Only an incomplete sequence cut at the end of the sniffed block.
                    Err(e) if e.error_len().is_none() && filled == SNIFF_BYTES => (Enc::Utf8, "utf-8"),
                    Err(_) => (Enc::Gb18030, "gb18030"),
                }
            }
        }
    };
    sniff.drain(..start);
    let reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(sniff).chain(guard));
    // Worth a second thread: anything compressed or over a few MiB.
    let threaded = threaded && (compressed || bytes > 4 << 20);
    Ok(Opened { reader, enc, encoding_name: encoding_name.to_string(), compressed, bytes, threaded })
}
