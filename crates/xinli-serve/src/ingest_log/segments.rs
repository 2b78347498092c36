//! The ingest log's files: a directory beside the SQLite database (`shop.db-log/`) holding a
//! lock file and segments named by their first record's sequence number
//! (`00000000000000000001.log`).
//!
//! A segment is a 16-byte magic line, then records:
//! `length (u32 LE) ‖ CRC-32 of the rest (u32 LE) ‖ sequence number (u64 LE) ‖ payload`,
//! where the payload is one request's messages as JSON, sealed with the PII cipher
//! (AES-256-GCM, [`xinli_store::PiiCipher`]): nothing in these files is readable without the key.
//!
//! A record is written and `fdatasync`ed before its request is answered, so a crash can only
//! tear the last segment's tail, and only records no one was told about: reading stops at the
//! first record that is short or fails its checksum there, and the tail is cut off. The same
//! in an earlier segment is damage, reported with the file and byte offset.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 16] = b"xinli ingest v1\n";
/// length, checksum, sequence number.
const RECORD_HEADER: usize = 16;
/// A record longer than this is damage, not a request (the batch limit is far below).
const MAX_RECORD: usize = 64 << 20;
/// A segment past this size is closed and a new one begun.
pub(crate) const SEGMENT_BYTES: u64 = 32 << 20;

pub(crate) struct Record {
    pub seq: u64,
    pub sealed: Vec<u8>,
}

/// The log directory, locked against a second server on the same store.
pub(crate) struct LogDir {
    dir: PathBuf,
    /// Held (flock) while the directory is in use.
    _lock: File,
}

/// A segment's file and the sequence number of its first record (its name).
pub(crate) struct Segment {
    pub path: PathBuf,
    pub first_seq: u64,
}

impl LogDir {
    pub fn open(dir: &Path) -> Result<LogDir, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating the ingest log {}: {e}", dir.display()))?;
        let lock_path = dir.join("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("opening {}: {e}", lock_path.display()))?;
        lock.try_lock().map_err(|_| {
            format!("{} is in use: another xinli serve runs on this store / 另一个 xinli serve 正在使用此存储", dir.display())
        })?;
        Ok(LogDir { dir: dir.to_path_buf(), _lock: lock })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The segments, oldest first.
    pub fn segments(&self) -> Result<Vec<Segment>, String> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| format!("reading {}: {e}", self.dir.display()))?;
        let mut segments = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| format!("reading {}: {e}", self.dir.display()))?.path();
            let first = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".log")).and_then(|n| n.parse::<u64>().ok());
            if let Some(first_seq) = first {
                segments.push(Segment { path, first_seq });
            }
        }
        segments.sort_by_key(|s| s.first_seq);
        Ok(segments)
    }

    /// A new segment for records from `first_seq` on, its name made durable in the directory.
    pub fn create(&self, first_seq: u64) -> Result<SegmentWriter, String> {
        let path = self.dir.join(format!("{first_seq:020}.log"));
        let failed = |e: std::io::Error| format!("creating {}: {e}", path.display());
        let mut file = File::options().create_new(true).write(true).open(&path).map_err(failed)?;
        file.write_all(MAGIC).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        File::open(&self.dir).and_then(|d| d.sync_all()).map_err(failed)?;
        Ok(SegmentWriter { file, segment: Segment { path, first_seq }, len: MAGIC.len() as u64, last_seq: None, buffer: Vec::new() })
    }
}

/// Reads a segment's records. `last`: the newest segment, whose torn tail is cut off (and
/// reported in the returned count of bytes dropped) rather than refused.
pub(crate) fn read_segment(segment: &Segment, last: bool) -> Result<(Vec<Record>, u64), String> {
    let path = &segment.path;
    let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        if last && MAGIC.starts_with(&bytes) {
            // Created and never written past its first bytes.
            return Ok((Vec::new(), 0));
        }
        return Err(format!("{}: not an ingest log segment (bad header) / 不是摄取日志文件", path.display()));
    }
    let mut records = Vec::new();
    let mut at = MAGIC.len();
    while at < bytes.len() {
        match record_at(&bytes, at) {
            Some(record) => {
                at += RECORD_HEADER + record.sealed.len();
                records.push(record);
            }
            None if last => {
                let dropped = (bytes.len() - at) as u64;
                let file = File::options().write(true).open(path).map_err(|e| format!("opening {}: {e}", path.display()))?;
                file.set_len(at as u64).and_then(|_| file.sync_all()).map_err(|e| format!("cutting the torn tail of {}: {e}", path.display()))?;
                return Ok((records, dropped));
            }
            None => return Err(format!("{}: damaged record at byte {at} / 第 {at} 字节处记录损坏", path.display())),
        }
    }
    Ok((records, 0))
}

/// The whole, checksummed record at `at`, if there is one.
fn record_at(bytes: &[u8], at: usize) -> Option<Record> {
    let header = bytes.get(at..at + RECORD_HEADER)?;
    let length = u32::from_le_bytes(header[0..4].try_into().ok()?) as usize;
    let checksum = u32::from_le_bytes(header[4..8].try_into().ok()?);
    if length == 0 || length > MAX_RECORD {
        return None;
    }
    let body = bytes.get(at + 8..at + RECORD_HEADER + length)?;
    if crc32fast::hash(body) != checksum {
        return None;
    }
    let seq = u64::from_le_bytes(body[0..8].try_into().ok()?);
    Some(Record { seq, sealed: body[8..].to_vec() })
}

/// The segment being appended to.
pub(crate) struct SegmentWriter {
    file: File,
    pub segment: Segment,
    len: u64,
    pub last_seq: Option<u64>,
    /// Records pushed and not written yet.
    buffer: Vec<u8>,
}

impl SegmentWriter {
    /// Adds a record, written by the next [`SegmentWriter::write_durably`].
    pub fn push(&mut self, seq: u64, sealed: &[u8]) {
        let mut checksum = crc32fast::Hasher::new();
        checksum.update(&seq.to_le_bytes());
        checksum.update(sealed);
        self.buffer.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
        self.buffer.extend_from_slice(&checksum.finalize().to_le_bytes());
        self.buffer.extend_from_slice(&seq.to_le_bytes());
        self.buffer.extend_from_slice(sealed);
        self.last_seq = Some(seq);
    }

    /// Writes the pushed records and waits for the disk (`fdatasync`).
    pub fn write_durably(&mut self) -> std::io::Result<usize> {
        let written = self.buffer.len();
        self.file.write_all(&self.buffer)?;
        self.buffer.clear();
        self.file.sync_data()?;
        self.len += written as u64;
        Ok(written)
    }

    pub fn is_full(&self) -> bool {
        self.len >= SEGMENT_BYTES
    }

    pub fn is_empty(&self) -> bool {
        self.last_seq.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_log() -> (PathBuf, LogDir) {
        let dir = std::env::temp_dir().join(format!("xinli-log-test-{}-{}", std::process::id(), rand_suffix()));
        let log = LogDir::open(&dir).unwrap();
        (dir, log)
    }

    fn rand_suffix() -> u64 {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    fn written(log: &LogDir, first: u64, payloads: &[&[u8]]) -> Segment {
        let mut w = log.create(first).unwrap();
        for (i, p) in payloads.iter().enumerate() {
            w.push(first + i as u64, p);
        }
        w.write_durably().unwrap();
        w.segment
    }

    #[test]
    fn records_read_back_in_order() {
        let (dir, log) = temp_log();
        written(&log, 7, &[b"one", b"two"]);
        written(&log, 9, &[b"three"]);
        let segments = log.segments().unwrap();
        assert_eq!(segments.iter().map(|s| s.first_seq).collect::<Vec<_>>(), [7, 9]);
        let (records, dropped) = read_segment(&segments[0], false).unwrap();
        assert_eq!(dropped, 0);
        assert_eq!(records.iter().map(|r| (r.seq, r.sealed.as_slice())).collect::<Vec<_>>(), [(7, &b"one"[..]), (8, &b"two"[..])]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A crash mid-append leaves part of a record: the newest segment loses that tail (no
    /// request was answered for it); the same in an older segment is reported as damage.
    #[test]
    fn a_torn_tail_is_cut_off_and_damage_elsewhere_is_refused() {
        let (dir, log) = temp_log();
        let segment = written(&log, 1, &[b"kept", b"torn away"]);
        let full = std::fs::metadata(&segment.path).unwrap().len();
        File::options().write(true).open(&segment.path).unwrap().set_len(full - 3).unwrap();
        let err = read_segment(&segment, false).err().unwrap();
        assert!(err.contains("damaged record at byte 36"), "{err}");
        let (records, dropped) = read_segment(&segment, true).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].sealed, b"kept");
        assert_eq!(dropped, (RECORD_HEADER + 9 - 3) as u64);
        // The tail is gone from the file: reading again finds nothing to drop.
        assert_eq!(read_segment(&segment, true).unwrap().1, 0);
        // A flipped byte fails the checksum.
        let mut bytes = std::fs::read(&segment.path).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        std::fs::write(&segment.path, bytes).unwrap();
        assert!(read_segment(&segment, false).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_second_server_cannot_take_the_log() {
        let (dir, _log) = temp_log();
        let err = LogDir::open(&dir).err().unwrap();
        assert!(err.contains("another xinli serve"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
