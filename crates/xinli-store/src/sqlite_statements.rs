//! SQLite prepared statements run through the C API, without rusqlite's statement cache.
//!
//! Two costs of the writer's multi-row statements (a few hundred rows of ~17 values each, whose
//! texts run to 25 KB) came from rusqlite, not SQLite: every bound text was copied into SQLite
//! (`SQLITE_TRANSIENT`) and freed again, and every return of a statement to its cache hashed
//! the whole text with SipHash — together ~20 % of the writer's instructions (callgrind). Here
//! values are bound in place (`SQLITE_STATIC`: they outlive the run, and the bindings are
//! cleared before it returns) and statements are found by the caller's text (`$n`
//! placeholders) with a fast hash, rewritten to SQLite's `?n` once, when first prepared.

use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};

use rusqlite::ffi;

use crate::sql::{Row, Val};
use crate::StoreError;

/// Statements kept at most; past it the cache starts again (segment previews compile one
/// statement per expression typed, so the texts are not a fixed set).
const CAPACITY: usize = 256;

/// The prepared statements of one connection, by the caller's text.
#[derive(Default)]
pub(crate) struct Statements {
    prepared: HashMap<String, Prepared, foldhash::fast::RandomState>,
}

/// A statement handle owned by [`Statements`] (finalised by it).
struct Prepared(*mut ffi::sqlite3_stmt);

// SAFETY: a statement is only used through the `&mut Statements` of the connection it belongs
// to, and the connection (rusqlite's) may move between threads; SQLite in multi-thread mode
// allows that as long as one thread at a time uses them.
unsafe impl Send for Prepared {}

impl Statements {
    /// Runs `sql` with `params` on connection `db`, giving each result row to `on_row`; returns
    /// the rows the statement changed.
    ///
    /// # Safety
    /// `db` is the open connection these statements were prepared on, used by this thread only.
    pub(crate) unsafe fn run(
        &mut self,
        db: *mut ffi::sqlite3,
        sql: &str,
        params: &[Val],
        mut on_row: impl FnMut(Row),
    ) -> Result<u64, StoreError> {
        let stmt = self.statement(db, sql)?;
        let outcome = bind(db, stmt, params).and_then(|()| {
            let columns = ffi::sqlite3_column_count(stmt);
            loop {
                match ffi::sqlite3_step(stmt) {
                    ffi::SQLITE_ROW => on_row(row(stmt, columns)),
                    ffi::SQLITE_DONE => return Ok(ffi::sqlite3_changes64(db) as u64),
                    _ => return Err(error(db)),
                }
            }
        });
        // The bound values are the caller's and are about to go: nothing may keep pointing at them.
        ffi::sqlite3_reset(stmt);
        ffi::sqlite3_clear_bindings(stmt);
        outcome
    }

    unsafe fn statement(&mut self, db: *mut ffi::sqlite3, sql: &str) -> Result<*mut ffi::sqlite3_stmt, StoreError> {
        if let Some(p) = self.prepared.get(sql) {
            return Ok(p.0);
        }
        if self.prepared.len() >= CAPACITY {
            self.prepared.clear();
        }
        let text = crate::sql::sqlite_placeholders(sql);
        let mut stmt = std::ptr::null_mut();
        let mut tail: *const c_char = std::ptr::null();
        let rc = ffi::sqlite3_prepare_v3(
            db,
            text.as_ptr().cast(),
            text.len() as c_int,
            ffi::SQLITE_PREPARE_PERSISTENT as u32,
            &mut stmt,
            &mut tail,
        );
        if rc != ffi::SQLITE_OK {
            return Err(error(db));
        }
        let prepared = Prepared(stmt);
        let rest = text.len() - (tail as usize - text.as_ptr() as usize);
        if stmt.is_null() || !text[text.len() - rest..].trim().is_empty() {
            return Err(StoreError::Corrupt(format!("not exactly one SQL statement: {sql}")));
        }
        self.prepared.insert(sql.to_string(), prepared);
        Ok(stmt)
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the handle came from sqlite3_prepare_v3 and is finalised once, here.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

/// Binds `params` to `stmt`'s `?1, ?2, …` without copying texts or blobs.
unsafe fn bind(db: *mut ffi::sqlite3, stmt: *mut ffi::sqlite3_stmt, params: &[Val]) -> Result<(), StoreError> {
    let expected = ffi::sqlite3_bind_parameter_count(stmt) as usize;
    if params.len() != expected {
        return Err(rusqlite::Error::InvalidParameterCount(params.len(), expected).into());
    }
    for (i, value) in params.iter().enumerate() {
        let at = i as c_int + 1;
        let rc = match value {
            Val::Null => ffi::sqlite3_bind_null(stmt, at),
            Val::Int(x) => ffi::sqlite3_bind_int64(stmt, at, *x),
            Val::Real(x) => ffi::sqlite3_bind_double(stmt, at, *x),
            Val::Text(s) => ffi::sqlite3_bind_text64(stmt, at, s.as_ptr().cast(), s.len() as u64, ffi::SQLITE_STATIC(), ffi::SQLITE_UTF8 as u8),
            Val::Blob(b) => ffi::sqlite3_bind_blob64(stmt, at, b.as_ptr().cast(), b.len() as u64, ffi::SQLITE_STATIC()),
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(db));
        }
    }
    Ok(())
}

/// The current result row of `stmt`.
unsafe fn row(stmt: *mut ffi::sqlite3_stmt, columns: c_int) -> Row {
    // SQLite's order: the pointer first, then its length.
    unsafe fn bytes<'a>(stmt: *mut ffi::sqlite3_stmt, i: c_int, data: *const u8) -> &'a [u8] {
        match ffi::sqlite3_column_bytes(stmt, i) as usize {
            0 => &[],
            n => std::slice::from_raw_parts(data, n),
        }
    }
    Row(
        (0..columns)
            .map(|i| match ffi::sqlite3_column_type(stmt, i) {
                ffi::SQLITE_INTEGER => Val::Int(ffi::sqlite3_column_int64(stmt, i)),
                ffi::SQLITE_FLOAT => Val::Real(ffi::sqlite3_column_double(stmt, i)),
                ffi::SQLITE_TEXT => Val::Text(String::from_utf8_lossy(bytes(stmt, i, ffi::sqlite3_column_text(stmt, i))).into_owned()),
                ffi::SQLITE_BLOB => Val::Blob(bytes(stmt, i, ffi::sqlite3_column_blob(stmt, i).cast()).to_vec()),
                _ => Val::Null,
            })
            .collect(),
    )
}

/// The connection's last error, as rusqlite reports it.
unsafe fn error(db: *mut ffi::sqlite3) -> StoreError {
    let code = ffi::sqlite3_extended_errcode(db);
    let message = CStr::from_ptr(ffi::sqlite3_errmsg(db)).to_string_lossy().into_owned();
    rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(message)).into()
}
