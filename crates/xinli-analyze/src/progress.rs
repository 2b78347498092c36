//! How the pipeline reports long work without knowing whether a terminal is watching.

/// Receives the pipeline's steps. The CLI draws progress lines; tests and `--quiet` ignore it.
/// (Byte progress of the import comes through `ImportOptions::progress`.)
pub trait Progress: Sync {
    /// A new step starts.
    fn step(&self, name: &str);
    /// The current step finished.
    fn finish_step(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: &str) {}
    fn finish_step(&self) {}
}
