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
        #[cfg(all(windows, not(debug_assertions)))]
        attach_parent_console();
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

/// A Windows release build is a windows-subsystem program (see the top of this file), which starts with no
/// console, so the command line's output would go nowhere. Attaching to the console of the terminal that
/// started it gives the output back; started from Explorer there is none, the call fails, and nothing
/// changes. cmd.exe does not wait for such a program: scripts that need its exit code run it with
/// `start /wait`.
#[cfg(all(windows, not(debug_assertions)))]
#[allow(unsafe_code)]
fn attach_parent_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // SAFETY: AttachConsole takes a process id by value and touches none of this program's memory; on
    // failure it changes nothing, so its result needs no handling.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}
