//! `--report FILE`: the file is made before the session starts, so a path that cannot be written ends the
//! run at once (exit 2) rather than after it, and the report is written into it when the session ends.

use std::path::Path;
use std::process::ExitCode;

use super::EXIT_USAGE;
use crate::check::Report as CheckReport;
use crate::i18n::Lang;
use crate::preset::Preset;
use crate::report::{self, Subject, WrittenFile};
use crate::session::Controller;

/// Makes (or empties) the report's file now; the message says why it cannot be written.
pub(super) fn prepare(path: Option<&Path>) -> Result<(), String> {
    match path {
        Some(path) => std::fs::File::create(path)
            .map(drop)
            .map_err(|error| format!("cannot write the report {}: {error}", path.display())),
        None => Ok(()),
    }
}

/// Writes the report, if one was asked for; `Err` with the exit code when it could not be written.
pub(super) fn write(
    path: Option<&Path>,
    preset: &Preset,
    preset_file: Option<&Path>,
    controller: &Controller,
    checks: &[CheckReport],
    files: &[WrittenFile],
) -> Result<(), ExitCode> {
    let Some(path) = path else {
        return Ok(());
    };
    let subject = Subject {
        preset,
        preset_file,
        controller,
        checks,
        files,
    };
    report::write(path, &subject, Lang::En).map_err(|error| {
        eprintln!("netassist: {error}");
        ExitCode::from(EXIT_USAGE)
    })
}
