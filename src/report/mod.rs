//! A report to hand in: one Markdown file (or HTML made from the same Markdown) that says when, on which
//! PC and with which NetAssist a session ran; the preset (its file and its settings as RON); each session's
//! mode, addresses, start and end; the peers with their counters and close reasons; the device checks'
//! results; the files written with their size and SHA-256, so the files handed in with it can be verified;
//! and what did not go out or was dropped. Students hand it in; engineers attach it to a ticket.
//!
//! The window (Log → Save report…) and the command line (`--report FILE`) both describe a
//! [`Subject`] and call [`write`]; the words are English or Chinese (`markdown.rs`); the hashing is
//! `digest.rs`.

mod digest;
mod markdown;
mod relay;
mod tls;

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use digest::{Digest256, FileKind, WrittenFile, sha256_file};
pub use markdown::markdown;

use crate::check::Report as CheckReport;
use crate::preset::Preset;
use crate::session::Controller;

/// The most peers a report lists one by one; its sessions' totals count them all.
pub const PEERS_LISTED: usize = 1000;

/// The most of the log's notes about drops and unsent data a report lists; its totals count them all.
pub const NOTES_LISTED: usize = 100;

/// What a report is about.
pub struct Subject<'a> {
    /// The session's settings.
    pub preset: &'a Preset,
    /// The preset's file, when it came from one (the window's open preset, `netassist run FILE`).
    pub preset_file: Option<&'a Path>,
    /// The sessions, their log and their history.
    pub controller: &'a Controller,
    /// The device checks run, in order (the window: the last one; `netassist check`: each).
    pub checks: &'a [CheckReport],
    /// The capture and pcapng files written, to list with their SHA-256.
    pub files: &'a [WrittenFile],
}

/// The PC a report was written on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Machine {
    /// The computer's name.
    pub host: String,
    /// The OS and processor (`linux x86_64`), with the distribution's name where the OS says it.
    pub os: String,
}

impl Machine {
    /// This PC.
    #[must_use]
    pub fn this() -> Self {
        let mut os = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
        if let Some(name) = os_release_name() {
            os = format!("{name}, {os}");
        }
        Self {
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            os,
        }
    }
}

/// The distribution's name from `/etc/os-release` (`Debian GNU/Linux 13 (trixie)`), on systems that
/// have one.
fn os_release_name() -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    let line = text.lines().find(|l| l.starts_with("PRETTY_NAME="))?;
    Some(line["PRETTY_NAME=".len()..].trim_matches('"').to_owned())
}

/// A report that could not be written.
#[derive(Debug)]
pub struct ReportError {
    /// The report's file.
    pub path: PathBuf,
    /// What the OS said.
    pub error: io::Error,
}

impl std::fmt::Display for ReportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Cannot write the report to {}: {}",
            self.path.display(),
            self.error
        )
    }
}

impl ReportError {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        format!("无法把报告写入 {}：{}", self.path.display(), self.error)
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Whether `path` names an HTML file (`.html`, `.htm`): the report is then written as HTML.
#[must_use]
pub fn is_html(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("html") || ext.eq_ignore_ascii_case("htm"))
}

/// Writes the report on `subject` to `path`, in `lang`, dated now: Markdown, or HTML made from the same
/// Markdown when the name ends in `.html` or `.htm`.
pub fn write(
    path: &Path,
    subject: &Subject<'_>,
    lang: crate::i18n::Lang,
) -> Result<(), ReportError> {
    let text = markdown(subject, lang, SystemTime::now(), &Machine::this());
    let text = if is_html(path) { html(&text) } else { text };
    std::fs::write(path, text).map_err(|error| ReportError {
        path: path.to_owned(),
        error,
    })
}

/// A whole HTML page of the Markdown `text`, its tables drawn with lines.
#[must_use]
pub fn html(text: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(text, pulldown_cmark::Options::ENABLE_TABLES);
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, parser);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>NetAssist report</title>\n\
         <style>body{{font-family:sans-serif;max-width:70em;margin:auto}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:2px 6px}}\
         pre{{background:#f4f4f4;padding:6px;overflow-x:auto}}</style></head>\n<body>\n{body}</body></html>\n"
    )
}
