//! Log → Save report…: asks where, then writes the report to hand in ([`crate::report`]) about every
//! session of the window, in the window's language, with the SHA-256 of the captures and pcapng exports
//! written since the window opened.

use std::time::Duration;

use super::app::{NetAssistApp, Notice};
use super::files::{FileKind, with_extension};
use crate::report::{self, Subject};

/// How long saving a report waits for a running capture to write what it has queued, so the hash covers
/// everything so far.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

impl NetAssistApp {
    /// Asks where, then writes the report.
    pub(crate) fn save_report(&mut self) {
        let name = format!(
            "netassist-report-{}.md",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let Some(path) = self.dialogs.save(FileKind::Report, &name) else {
            return;
        };
        let path = with_extension(path, "md");
        if let Some(capture) = self.ctl.capture() {
            // A capture that cannot settle in time is hashed as far as it got; its size says how far.
            let _ = capture.settle(SETTLE_WAIT);
        }
        let checks: Vec<_> = self.ctl.check_report().cloned().into_iter().collect();
        let subject = Subject {
            preset: &self.settings.preset,
            preset_file: self.settings.preset_file.as_deref(),
            controller: &self.ctl,
            checks: &checks,
            files: &self.written,
        };
        self.notice = Some(match report::write(&path, &subject, self.settings.lang) {
            Ok(()) => Notice::info(
                format!("Report saved to {}.", path.display()),
                format!("报告已保存到 {}。", path.display()),
            ),
            Err(error) => Notice::error(error.to_string(), error.zh()),
        });
    }
}
