//! The `netassist` binary: with no arguments it opens the NetAssist window; with arguments it is the
//! headless command line. All logic lives in the library.

// Release builds on Windows open no console window; debug builds keep it for logs.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

use std::process::ExitCode;

// mimalloc keeps freed blocks for reuse; with the system allocator every received block was faulted in
// afresh and the engine's ingest rate halved (see benches/engine.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    if std::env::args_os().len() > 1 {
        return netassist::cli::run(std::env::args_os());
    }
    match netassist::ui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("netassist: {error}");
            ExitCode::FAILURE
        }
    }
}
