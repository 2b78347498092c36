//! The dashboard end to end, in a real browser: `xinli demo --no-serve` builds the demo store
//! (simulated shop, imported and analysed with write-back), `xinli serve` serves it, and
//! ui-tests/dashboard.mjs drives Debian's headless chromium through playwright-core over every
//! page (console errors, a segment created through the UI, the customer 360's traits and
//! evidence, the language switch, laptop and phone widths). scripts/setup-ui-tests.sh installs
//! chromium and playwright-core when they are missing. Screenshots go to
//! the target directory's tmp/ui-screenshots (the path is printed).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{temp_dir, xinli_ok};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The server process, stopped when the test ends (passed or not).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn dashboard_works_in_headless_chromium() {
    let root = repo_root();
    let setup = Command::new("bash").arg(root.join("scripts/setup-ui-tests.sh")).status().expect("bash runs");
    assert!(setup.success(), "scripts/setup-ui-tests.sh failed");

    let out = temp_dir("dashboard");
    let data_dir = out.join("store");
    xinli_ok(&["demo", "--out", out.to_str().unwrap(), "--no-serve", "--quiet"]);
    let key = xinli_ok(&["keys", "create", "--role", "admin", "--name", "ui test", "--data-dir", data_dir.to_str().unwrap()]).trim().to_string();

    let mut child = Command::new(env!("CARGO_BIN_EXE_xinli"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir", data_dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("xinli serve starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("xinli serve printed its address").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    let run = Command::new("node")
        .arg(root.join("ui-tests/dashboard.mjs"))
        .current_dir(root.join("ui-tests"))
        .env("XINLI_URL", &url)
        .env("XINLI_KEY", &key)
        .env("XINLI_SHOTS", &shots)
        .output()
        .expect("node runs");
    drop(server);
    let report = String::from_utf8_lossy(&run.stdout);
    println!("{report}");
    eprintln!("{}", String::from_utf8_lossy(&run.stderr));
    println!("screenshots: {}", shots.display());
    assert!(run.status.success(), "the browser test failed:\n{report}");
    assert!(report.contains(" passed, 0 failed"), "{report}");
    let _ = std::fs::remove_dir_all(&out);
}
