//! The headless command line: the same engine, codecs, presets and reply rules as the window, without one,
//! so a lab script can check a board.
//!
//! Every way in becomes a [`Preset`](crate::preset::Preset): `run PRESET.ron` loads one, the other subcommands start from the
//! default, and flags override its values. The preset then gives the engine configuration (with its rules),
//! the framing and the display, exactly as in the window. Events go through a [`TrafficLog`](crate::traffic::TrafficLog), so the lines
//! printed are the log's rows (framed messages and connection notes) in the window's line format, or one
//! JSON object each with `--json`. `--expect` flags are checked in order against received messages.
//!
//! Exit codes ([`run`]): 0 when every expectation was met (or none was given and the session ended
//! cleanly), 1 when one was not met in time, 2 for bad arguments or a bad preset (or a `--pcap` file that
//! cannot be created), 3 when the network refused (bind or connect failed). `netassist doctor` runs the
//! [connection doctor](crate::doctor) instead of a session: 0 when no finding is a problem, 1 when one is,
//! 2 for bad arguments.
//!
//! `netassist replay FILE --as device|pc` replays a recording ([`crate::replay`]) as a check, with the same
//! exit codes (2 for a file that cannot be replayed).
//!
//! `netassist check PRESET.ron` runs the preset's device checks ([`crate::check`]) instead: 0 when every
//! check passed, 1 when one failed (or was stopped by Ctrl+C), 2 for a bad preset, a check with a mistake
//! or no such check, 3 when the network refused.
//!
//! The parts: `args` (clap's types), `plan` (flags and preset to a checked plan), `runner` (the session
//! loop), `output` (text or JSON lines and the summary), `check` (the checks' run and its lines), `junit`
//! (the checks' results as `JUnit` XML), `report` (`--report FILE`), `replay` (a recording replayed as a check).

mod args;
mod check;
mod junit;
mod output;
mod plan;
mod replay;
mod report;
mod runner;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use args::{
    CheckArgs, Cli, CliCommand, Common, DoctorArgs, ReplayArgs, SendFlags, Sends, SessionFlags,
};
use plan::Plan;

/// Exit code: bad arguments or a bad preset.
const EXIT_USAGE: u8 = 2;
/// Exit code: an expectation was not met in time.
const EXIT_UNMET: u8 = 1;
/// Exit code of `doctor`: a finding is a problem.
const EXIT_PROBLEM: u8 = 1;
/// Exit code: the network refused (bind or connect failed).
const EXIT_NETWORK: u8 = 3;

/// Runs the command line on `args` (the program name first) and says how it ended.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        // Help and version are "errors" that print to stdout and exit 0; usage errors exit 2.
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match Cli::from_arg_matches(&matches).map(|cli| cli.command) {
        Ok(CliCommand::Doctor(args)) => return runner::doctor(&args),
        Ok(CliCommand::Check(args)) => return check::run(&args),
        Ok(CliCommand::Replay(args)) => return replay::run(&args),
        _ => {}
    }
    match Plan::new(&matches) {
        Ok(plan) => runner::run(plan),
        Err(message) => {
            eprintln!("netassist: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
