//! The `netassist` binary: opens the NetAssist window. All logic lives in the library.

// Release builds on Windows open no console window; debug builds keep it for logs.
#![cfg_attr(all(windows, not(debug_assertions)), windows_subsystem = "windows")]

// mimalloc keeps freed blocks for reuse; with the system allocator every received block was faulted in
// afresh and the engine's ingest rate halved (see benches/engine.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> eframe::Result {
    netassist::ui::run()
}
