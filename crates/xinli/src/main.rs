//! `xinli`: the command line. Parses flags into typed configuration, draws progress, maps
//! errors to exit codes (1 = failure, 2 = bad input or usage). All behaviour lives in the
//! library crates.

mod cli;
mod commands;
mod demo;
mod generate;
mod progress;
mod recommend;
mod reviews;
mod segment;
mod serve;

use clap::Parser;
use std::process::ExitCode;

/// Faster than the system allocator for the many small allocations of `xinli serve`'s
/// ingestion (JSON, rows, statement values).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.exit_code)
        }
    }
}
