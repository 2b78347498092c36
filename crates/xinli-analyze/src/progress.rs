//! How the pipeline reports long work without knowing whether a terminal is watching.

/// Receives the pipeline's steps. The CLI draws progress bars; tests and `--quiet` ignore it.
pub trait Progress: Sync {
    /// A new step starts; `total` is its amount of work when known (bytes, customers, …).
    fn step(&self, name: &str, total: Option<u64>);
    /// Work done so far in the current step.
    fn advance(&self, done: u64);
    /// The current step finished.
    fn finish_step(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn step(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
    fn finish_step(&self) {}
}
