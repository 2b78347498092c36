//! Progress bars on a terminal; nothing when quiet or piped.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use xinli_analyze::Progress;

pub struct Bars {
    enabled: bool,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new(quiet: bool) -> Bars {
        Bars { enabled: !quiet && std::io::stderr().is_terminal(), current: Mutex::new(None) }
    }
}

impl Progress for Bars {
    fn step(&self, name: &str, total: Option<u64>) {
        if !self.enabled {
            return;
        }
        let bar = match total {
            Some(total) => ProgressBar::new(total).with_style(byte_style()),
            None => ProgressBar::new_spinner()
                .with_style(ProgressStyle::with_template("{prefix:>10} {spinner} {elapsed}").expect("valid template")),
        };
        bar.set_prefix(name.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        if let Some(previous) = self.current.lock().expect("progress lock").replace(bar) {
            previous.finish_and_clear();
        }
    }
    fn advance(&self, done: u64) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            bar.set_position(done);
        }
    }
    fn finish_step(&self) {
        if let Some(bar) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
        }
    }
}

impl Bars {
    /// The importer's byte counter: turns the current spinner into a bar once the size is known.
    pub fn bytes(&self, done: u64, total: u64) {
        if let Some(bar) = self.current.lock().expect("progress lock").as_ref() {
            if bar.length() != Some(total) {
                bar.set_length(total);
                bar.set_style(byte_style());
            }
            bar.set_position(done);
        }
    }
}

fn byte_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:>10} [{bar:30}] {bytes}/{total_bytes} {eta}")
        .expect("valid template")
        .progress_chars("=> ")
}
