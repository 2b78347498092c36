//! Progress bars on a terminal; nothing when quiet or piped.

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use xinli_analyze::Progress;

pub struct Bars {
    enabled: bool,
    /// Keeps each step on its own line, so finished steps stay readable.
    lines: MultiProgress,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        Bars { enabled: !quiet && std::io::stderr().is_terminal(), lines: MultiProgress::new(), current: Mutex::new(None) }
    }
}

impl Progress for Bars {
    fn step(&self, name: &str) {
        if !self.enabled {
            return;
        }
        let bar = ProgressBar::new_spinner()
            .with_style(ProgressStyle::with_template("{prefix:>10} {spinner} {elapsed}").expect("valid template"));
        let bar = self.lines.add(bar);
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        let mut current = self.current.lock().expect("progress lock");
        if let Some(previous) = current.take() {
            finish(&previous);
        }
        *current = Some(bar);
    }
    fn finish_step(&self) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            finish(&bar);
        }
    }
}

impl Bars {
    /// The importer's byte counter: turns the current spinner into a bar once the size is known.
    pub fn bytes(&self, done: u64, total: u64) {
        self.advance(done, total, "{bytes}/{total_bytes}");
    }

    /// A counter of things (customers, …) toward a known total.
    pub fn count(&self, done: u64, total: u64) {
        self.advance(done, total, "{human_pos}/{human_len}");
    }

    fn advance(&self, done: u64, total: u64, figures: &str) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            if bar.length() != Some(total) {
                bar.set_length(total);
                bar.set_style(bar_style(figures));
            }
            bar.set_position(done);
        }
    }
}

fn bar_style(figures: &str) -> ProgressStyle {
    ProgressStyle::with_template(&format!("{{prefix:>10}} [{{bar:30}}] {figures} {{eta}}"))
        .expect("valid template")
        .progress_chars("=> ")
}

/// Leaves a finished step on screen as one line: its name, a tick and how long it took.
fn finish(bar: &ProgressBar) {
    bar.set_style(ProgressStyle::with_template("{prefix:>10} ✓ {elapsed}").expect("valid template"));
    bar.finish();
}
