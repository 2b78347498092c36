//! A SQLite VFS that hands each WAL commit to the kernel in a few large writes.
//!
//! SQLite writes a commit's WAL frames one at a time, two `pwrite`s per page (the 24-byte frame
//! header, then the page), and then syncs the file. The server's writer commits ~1,000 events
//! at a time, which dirty ~1,800 pages (each event touches its customer's profile and the
//! customer index of events at random places): 3,600 system calls per commit, and a third of
//! the writer thread's time in the kernel (perf, `bench/serve.sh`).
//!
//! This VFS is the platform default with two changes. First, a WAL file gathers consecutive
//! writes in memory and writes them as one run (in 64 KiB pieces) when anything else touches the
//! file — a sync, a read, a truncation, a size query, a file control, a write elsewhere, or
//! closing. Durability is unchanged: a commit is acknowledged after SQLite's sync of the WAL,
//! and that sync writes the gathered frames first; a crash before it loses only frames SQLite
//! had not committed. Second, the deferred syncs below.
//!
//! It relies on every commit syncing the WAL (`synchronous = FULL`, which
//! [`crate::sql::SqliteConn`] sets): with `NORMAL`, a commit would become visible to readers
//! (through the shared-memory index) before its frames reached the file.
//!
//! A thread may also defer its commits' syncs ([`deferring_syncs`]): the sync writes the
//! gathered frames (so readers find them) and records the sync as owed instead of performing
//! it; the caller then has it performed on another thread before it tells anyone the commits
//! are durable, and goes on to the next transaction meanwhile. Two syncs are never deferred,
//! because what follows them on disk depends on them:
//! - the sync of a new WAL generation's header (a run starting at offset 0): until the new
//!   salt is on disk, the old generation's frames behind it would still pass recovery's checks;
//! - any sync owed when the thread writes or syncs the database file itself (a checkpoint):
//!   a page must not reach the database before its WAL frame is durable.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;

use rusqlite::ffi;

thread_local! {
    /// Set inside [`deferring_syncs`]: this thread's WAL syncs are written, not performed.
    static DEFERRING: Cell<bool> = const { Cell::new(false) };
    /// The WAL file (and sync flags) whose sync this thread skipped and still owes.
    static OWED: Cell<(*mut ffi::sqlite3_file, c_int)> = const { Cell::new((std::ptr::null_mut(), 0)) };
}

/// Runs `f` with this thread's WAL commit syncs deferred (see the module's documentation);
/// returns whether a sync is still owed at its end: the caller must then sync the WAL file
/// (any descriptor of it: a sync covers the file's data, whoever wrote it) before it
/// acknowledges what `f` committed.
pub(crate) fn deferring_syncs<T>(f: impl FnOnce() -> T) -> (T, bool) {
    /// Ends the deferral even if `f` unwinds; a sync owed then is performed at once.
    struct Deferral;
    impl Drop for Deferral {
        fn drop(&mut self) {
            DEFERRING.set(false);
            // SAFETY: OWED is only set, on this thread, to a WAL file of a connection this
            // thread is using inside the deferral; it is still open.
            unsafe { settle_owed() };
        }
    }
    DEFERRING.set(true);
    let deferral = Deferral;
    let out = f();
    let owed = !OWED.replace((std::ptr::null_mut(), 0)).0.is_null();
    drop(deferral);
    (out, owed)
}

/// Performs the sync this thread owes, if any.
unsafe fn settle_owed() -> c_int {
    let (file, flags) = OWED.replace((std::ptr::null_mut(), 0));
    if file.is_null() {
        return ffi::SQLITE_OK;
    }
    let (real, methods) = real(file);
    methods.xSync.map_or(ffi::SQLITE_IOERR_FSYNC, |sync| sync(real, flags))
}

/// The name connections open the database with.
pub(crate) const NAME: &str = "xinli-wal-gather";
const NAME_C: &CStr = c"xinli-wal-gather";

/// A gathered run is written out once it reaches this size (a very large transaction).
const MAX_GATHERED: usize = 16 << 20;

/// The most one write hands to the default VFS: its unix write takes under 128 KiB a call
/// (it masks the length with 0x1ffff).
const WRITE_PIECE: usize = 64 << 10;

/// The VFS this one wraps (the platform default).
static REAL_VFS: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(std::ptr::null_mut());

/// Registers the VFS once per process; returns SQLite's error code if that failed.
pub(crate) fn register() -> Result<(), c_int> {
    static REGISTERED: OnceLock<Result<(), c_int>> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        // SAFETY: sqlite3_vfs_find initialises SQLite and returns the default VFS, which lives
        // for the process. The copy shares its methods and app data, so every method but xOpen
        // behaves as the default's; the leaked copy lives for the process, as SQLite requires.
        unsafe {
            let real = ffi::sqlite3_vfs_find(std::ptr::null());
            if real.is_null() {
                return Err(ffi::SQLITE_ERROR);
            }
            REAL_VFS.store(real, Ordering::Release);
            let mut vfs: ffi::sqlite3_vfs = std::ptr::read(real);
            vfs.szOsFile = (std::mem::size_of::<File>() + (*real).szOsFile as usize) as c_int;
            vfs.zName = NAME_C.as_ptr();
            vfs.pNext = std::ptr::null_mut();
            vfs.xOpen = Some(open);
            match ffi::sqlite3_vfs_register(Box::leak(Box::new(vfs)), 0) {
                ffi::SQLITE_OK => Ok(()),
                rc => Err(rc),
            }
        }
    })
}

/// What SQLite holds for an open file: this header, then the default VFS's own file object in
/// the same allocation (`szOsFile` covers both).
#[repr(C)]
struct File {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// Null for every file but a WAL.
    gathered: *mut Gathered,
}

#[derive(Default)]
struct Gathered {
    offset: i64,
    bytes: Vec<u8>,
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real_vfs = REAL_VFS.load(Ordering::Acquire);
    let this = file.cast::<File>();
    let real = file.cast::<u8>().add(std::mem::size_of::<File>()).cast::<ffi::sqlite3_file>();
    // SQLite hands over uninitialised memory of szOsFile bytes.
    this.write(File { base: ffi::sqlite3_file { pMethods: std::ptr::null() }, real, gathered: std::ptr::null_mut() });
    (*real).pMethods = std::ptr::null();
    let Some(real_open) = (*real_vfs).xOpen else { return ffi::SQLITE_ERROR };
    let rc = real_open(real_vfs, name, real, flags, out_flags);
    // SQLite closes the file (through these methods) exactly when pMethods is set, even if the
    // open failed; the default VFS sets its own under the same rule.
    if !(*real).pMethods.is_null() {
        if flags & ffi::SQLITE_OPEN_WAL != 0 {
            (*this).gathered = Box::into_raw(Box::default());
        }
        (*this).base.pMethods = &METHODS;
    }
    rc
}

/// The default VFS's file object and methods behind `file`.
unsafe fn real(file: *mut ffi::sqlite3_file) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
    let real = (*file.cast::<File>()).real;
    (real, &*(*real).pMethods)
}

/// Writes the gathered run, if any, to the file.
unsafe fn write_gathered(file: *mut ffi::sqlite3_file) -> c_int {
    let gathered = (*file.cast::<File>()).gathered;
    if gathered.is_null() || (*gathered).bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    let g = &mut *gathered;
    let (real, methods) = real(file);
    let Some(write) = methods.xWrite else { return ffi::SQLITE_IOERR_WRITE };
    let mut rc = ffi::SQLITE_OK;
    let (mut offset, mut rest) = (g.offset, g.bytes.as_slice());
    while !rest.is_empty() && rc == ffi::SQLITE_OK {
        // Pieces end on WRITE_PIECE boundaries of the file, so only a run's first and last
        // kernel pages are written in part.
        let piece = rest.len().min(WRITE_PIECE - (offset as usize % WRITE_PIECE));
        rc = write(real, rest.as_ptr().cast(), piece as c_int, offset);
        (offset, rest) = (offset + piece as i64, &rest[piece..]);
    }
    // After a failure SQLite abandons the transaction and writes its frames again.
    g.bytes.clear();
    rc
}

/// Writes the gathered run, then forwards the call to the default VFS (for anything but a write
/// that follows the run: it must see the file as SQLite wrote it).
unsafe fn after_gathered(
    file: *mut ffi::sqlite3_file,
    forward: impl FnOnce(*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) -> c_int,
) -> c_int {
    match write_gathered(file) {
        ffi::SQLITE_OK => {
            let (real, methods) = real(file);
            forward(real, methods)
        }
        rc => rc,
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    let written = match write_gathered(file) {
        ffi::SQLITE_OK if OWED.get().0 == file => settle_owed(),
        rc => rc,
    };
    let (real, methods) = real(file);
    let closed = methods.xClose.map_or(ffi::SQLITE_OK, |close| close(real));
    let this = file.cast::<File>();
    if !(*this).gathered.is_null() {
        drop(Box::from_raw((*this).gathered));
        (*this).gathered = std::ptr::null_mut();
    }
    if written != ffi::SQLITE_OK {
        written
    } else {
        closed
    }
}

unsafe extern "C" fn write(file: *mut ffi::sqlite3_file, data: *const c_void, amount: c_int, offset: i64) -> c_int {
    let gathered = (*file.cast::<File>()).gathered;
    if gathered.is_null() {
        // The database file (a checkpoint): the WAL frames it copies must be durable first.
        let rc = settle_owed();
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        let (real, methods) = real(file);
        return methods.xWrite.map_or(ffi::SQLITE_IOERR_WRITE, |write| write(real, data, amount, offset));
    }
    let (start, len) = ((*gathered).offset, (*gathered).bytes.len());
    if len > 0 && (start + len as i64 != offset || len + amount as usize > MAX_GATHERED) {
        let rc = write_gathered(file);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    let g = &mut *gathered;
    if g.bytes.is_empty() {
        g.offset = offset;
    }
    g.bytes.extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), amount as usize));
    ffi::SQLITE_OK
}

unsafe extern "C" fn read(file: *mut ffi::sqlite3_file, data: *mut c_void, amount: c_int, offset: i64) -> c_int {
    after_gathered(file, |real, methods| methods.xRead.map_or(ffi::SQLITE_IOERR_READ, |read| read(real, data, amount, offset)))
}

unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    after_gathered(file, |real, methods| methods.xTruncate.map_or(ffi::SQLITE_IOERR_TRUNCATE, |truncate| truncate(real, size)))
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    let gathered = (*file.cast::<File>()).gathered;
    let is_wal = !gathered.is_null();
    let new_generation = is_wal && !(*gathered).bytes.is_empty() && (*gathered).offset == 0;
    if is_wal && DEFERRING.get() && !new_generation {
        // One owed sync at a time: another WAL's (another connection's) is performed first.
        if !OWED.get().0.is_null() && OWED.get().0 != file {
            let rc = settle_owed();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        let rc = write_gathered(file);
        if rc == ffi::SQLITE_OK {
            OWED.set((file, flags));
        }
        return rc;
    }
    let owed = OWED.get();
    if owed.0 == file {
        // This sync covers what was owed, unless it fails.
        OWED.set((std::ptr::null_mut(), 0));
    } else if !is_wal && !owed.0.is_null() {
        // The database file's sync must come after the WAL's.
        let rc = settle_owed();
        if rc != ffi::SQLITE_OK {
            return rc;
        }
    }
    let rc = after_gathered(file, |real, methods| methods.xSync.map_or(ffi::SQLITE_IOERR_FSYNC, |sync| sync(real, flags)));
    if rc != ffi::SQLITE_OK && owed.0 == file {
        OWED.set(owed);
    }
    rc
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    after_gathered(file, |real, methods| methods.xFileSize.map_or(ffi::SQLITE_IOERR_FSTAT, |file_size| file_size(real, size)))
}

unsafe extern "C" fn file_control(file: *mut ffi::sqlite3_file, op: c_int, arg: *mut c_void) -> c_int {
    after_gathered(file, |real, methods| methods.xFileControl.map_or(ffi::SQLITE_NOTFOUND, |control| control(real, op, arg)))
}

unsafe extern "C" fn lock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (real, methods) = real(file);
    methods.xLock.map_or(ffi::SQLITE_OK, |lock| lock(real, level))
}

unsafe extern "C" fn unlock(file: *mut ffi::sqlite3_file, level: c_int) -> c_int {
    let (real, methods) = real(file);
    methods.xUnlock.map_or(ffi::SQLITE_OK, |unlock| unlock(real, level))
}

unsafe extern "C" fn check_reserved_lock(file: *mut ffi::sqlite3_file, out: *mut c_int) -> c_int {
    let (real, methods) = real(file);
    methods.xCheckReservedLock.map_or(ffi::SQLITE_OK, |check| check(real, out))
}

unsafe extern "C" fn sector_size(file: *mut ffi::sqlite3_file) -> c_int {
    let (real, methods) = real(file);
    methods.xSectorSize.map_or(4096, |size| size(real))
}

unsafe extern "C" fn device_characteristics(file: *mut ffi::sqlite3_file) -> c_int {
    let (real, methods) = real(file);
    methods.xDeviceCharacteristics.map_or(0, |characteristics| characteristics(real))
}

unsafe extern "C" fn shm_map(file: *mut ffi::sqlite3_file, page: c_int, page_size: c_int, extend: c_int, out: *mut *mut c_void) -> c_int {
    let (real, methods) = real(file);
    methods.xShmMap.map_or(ffi::SQLITE_IOERR_SHMMAP, |map| map(real, page, page_size, extend, out))
}

unsafe extern "C" fn shm_lock(file: *mut ffi::sqlite3_file, offset: c_int, n: c_int, flags: c_int) -> c_int {
    let (real, methods) = real(file);
    methods.xShmLock.map_or(ffi::SQLITE_IOERR_SHMLOCK, |lock| lock(real, offset, n, flags))
}

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    let (real, methods) = real(file);
    if let Some(barrier) = methods.xShmBarrier {
        barrier(real);
    }
}

unsafe extern "C" fn shm_unmap(file: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
    let (real, methods) = real(file);
    methods.xShmUnmap.map_or(ffi::SQLITE_OK, |unmap| unmap(real, delete))
}

unsafe extern "C" fn fetch(file: *mut ffi::sqlite3_file, offset: i64, amount: c_int, out: *mut *mut c_void) -> c_int {
    let (real, methods) = real(file);
    match methods.xFetch {
        Some(fetch) => fetch(real, offset, amount, out),
        None => {
            *out = std::ptr::null_mut();
            ffi::SQLITE_OK
        }
    }
}

unsafe extern "C" fn unfetch(file: *mut ffi::sqlite3_file, offset: i64, page: *mut c_void) -> c_int {
    let (real, methods) = real(file);
    methods.xUnfetch.map_or(ffi::SQLITE_OK, |unfetch| unfetch(real, offset, page))
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

#[cfg(test)]
mod tests {
    use crate::sql::{Conn, SqliteConn};

    fn fresh_db(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xinli-wal-vfs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("t.db")
    }

    fn count(conn: &mut SqliteConn) -> i64 {
        conn.query_one("SELECT COUNT(*) FROM t", &[]).unwrap().unwrap().int(0)
    }

    fn intact(conn: &mut SqliteConn) {
        assert_eq!(conn.query_one("PRAGMA integrity_check", &[]).unwrap().unwrap().text(0), "ok");
    }

    /// Inserts rows `from..to` with a text of `width` bytes each.
    fn insert(conn: &mut SqliteConn, from: i64, to: i64, width: usize) {
        for k in from..to {
            conn.exec("INSERT INTO t (k, v) VALUES ($1, $2)", &[k.into(), format!("{k:0width$}").into()]).unwrap();
        }
    }

    /// A fresh database with an empty table `t`: its path, a writer and a reader.
    fn writer_and_reader(name: &str) -> (std::path::PathBuf, SqliteConn, SqliteConn) {
        let path = fresh_db(name);
        let mut writer = SqliteConn::open(&path).unwrap();
        writer.batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)").unwrap();
        let reader = SqliteConn::open(&path).unwrap();
        (path, writer, reader)
    }

    #[test]
    fn each_commit_is_seen_by_another_connection() {
        let (_, mut writer, mut reader) = writer_and_reader("seen");
        for round in 0..5 {
            writer.batch("BEGIN").unwrap();
            insert(&mut writer, round * 2_000, (round + 1) * 2_000, 40);
            writer.batch("COMMIT").unwrap();
            assert_eq!(count(&mut reader), (round + 1) * 2_000);
        }
        intact(&mut reader);
    }

    /// A transaction larger than the page cache writes frames before its commit and then
    /// rewrites some of them in place and reads them back (SQLite's cache spill): writes that
    /// do not follow the gathered run, and reads of gathered frames.
    #[test]
    fn spilled_and_rewritten_frames_and_a_run_past_the_gathering_bound_stay_correct() {
        let path = fresh_db("spill");
        let mut writer = SqliteConn::open(&path).unwrap();
        writer.batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL); PRAGMA cache_size = 8").unwrap();
        writer.batch("BEGIN").unwrap();
        insert(&mut writer, 0, 5_000, 200);
        writer.exec("UPDATE t SET v = 'rewritten ' || k WHERE k % 7 = 0", &[]).unwrap();
        writer.batch("COMMIT").unwrap();
        // One commit of ~24 MB of pages, all in the cache until it commits: more than MAX_GATHERED.
        writer.batch("PRAGMA cache_size = -65536; BEGIN").unwrap();
        insert(&mut writer, 5_000, 25_000, 1_000);
        writer.batch("COMMIT").unwrap();
        drop(writer);
        let mut reopened = SqliteConn::open(&path).unwrap();
        intact(&mut reopened);
        assert_eq!(count(&mut reopened), 25_000);
        let rewritten = reopened.query_one("SELECT COUNT(*) FROM t WHERE v LIKE 'rewritten %'", &[]).unwrap().unwrap().int(0);
        assert_eq!(rewritten, (0..5_000).filter(|k| k % 7 == 0).count() as i64);
        assert_eq!(reopened.query_one("SELECT v FROM t WHERE k = 24999", &[]).unwrap().unwrap().text(0).len(), 1_000);
    }

    /// The process dies (abort: no close, no flush) with a transaction's frames gathered but
    /// not committed: every committed transaction is there after recovery, the open one is not.
    #[test]
    fn a_writer_killed_mid_transaction_keeps_exactly_its_commits() {
        killed_mid_transaction("a_writer_killed_mid_transaction_keeps_exactly_its_commits", false);
    }

    /// The same with the commits' syncs deferred and never performed: a process crash loses
    /// none of them (their frames are in the OS's cache).
    #[test]
    fn a_writer_killed_owing_syncs_keeps_exactly_its_commits() {
        killed_mid_transaction("a_writer_killed_owing_syncs_keeps_exactly_its_commits", true);
    }

    /// Runs the test `name` in a child process that commits three transactions (with their
    /// syncs deferred when `deferring`), opens a fourth and aborts; checks what recovery finds.
    fn killed_mid_transaction(name: &str, deferring: bool) {
        const CHILD: &str = "XINLI_WAL_VFS_CHILD_DB";
        if let Ok(path) = std::env::var(CHILD) {
            let mut writer = SqliteConn::open(std::path::Path::new(&path)).unwrap();
            writer.batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)").unwrap();
            let mut commits = || {
                for round in 0..3 {
                    writer.batch("BEGIN").unwrap();
                    insert(&mut writer, round * 1_000, (round + 1) * 1_000, 100);
                    writer.batch("COMMIT").unwrap();
                }
                writer.batch("BEGIN").unwrap();
                insert(&mut writer, 3_000, 4_000, 100);
                std::process::abort();
            };
            if deferring {
                super::deferring_syncs(commits);
            } else {
                commits();
            }
        }
        let path = fresh_db(name);
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &format!("wal_vfs::tests::{name}"), "--nocapture"])
            .env(CHILD, &path)
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "the child must die mid-transaction");
        let mut recovered = SqliteConn::open(&path).unwrap();
        intact(&mut recovered);
        assert_eq!(count(&mut recovered), 3_000);
    }

    /// Deferred commits are seen by readers at once and leave a sync owed; a checkpoint run on
    /// the deferring thread performs it before it writes the database file, so none is owed
    /// after it; and once the deferral ends, this thread's syncs are performed again.
    #[test]
    fn deferred_syncs_are_owed_until_a_checkpoint_or_the_caller_performs_them() {
        let (path, mut writer, mut reader) = writer_and_reader("deferred");
        let ((), owed) = super::deferring_syncs(|| {
            writer.batch("BEGIN").unwrap();
            insert(&mut writer, 0, 2_000, 40);
            writer.batch("COMMIT").unwrap();
        });
        assert!(owed, "the commit's sync is owed");
        assert_eq!(count(&mut reader), 2_000, "readers see a deferred commit at once");
        let ((), owed) = super::deferring_syncs(|| {
            writer.batch("BEGIN").unwrap();
            insert(&mut writer, 2_000, 4_000, 40);
            writer.batch("COMMIT").unwrap();
            let checkpointed = writer.query_one("PRAGMA wal_checkpoint(PASSIVE)", &[]).unwrap().unwrap();
            assert_eq!(checkpointed.int(0), 0, "the checkpoint ran");
            assert!(checkpointed.int(2) > 0, "the checkpoint copied pages to the database");
        });
        assert!(!owed, "the checkpoint performed the owed sync before writing the database");
        assert!(super::OWED.get().0.is_null());
        assert!(!super::DEFERRING.get());
        insert(&mut writer, 4_000, 4_001, 40);
        assert!(super::OWED.get().0.is_null(), "outside a deferral, commits sync themselves");
        drop(writer);
        let mut reopened = SqliteConn::open(&path).unwrap();
        intact(&mut reopened);
        assert_eq!(count(&mut reopened), 4_001);
    }
}
