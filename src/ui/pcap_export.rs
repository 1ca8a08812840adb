//! Log → Export as pcapng: the window records every session as pcapng from the first one on, live like
//! a capture, in a temporary folder removed when the window closes; the export writes what was recorded
//! so far to the file the user picks, under a section header that says when and how it was exported.
//!
//! Why a recording and not the log: the log's rows are messages as the receive framing cut them
//! (delimiters and length headers stripped), and its oldest rows go when it is full. The recording has
//! every byte read and sent, in the reads and sends they came in, whatever the framing, and nothing is
//! dropped from it: it stops at [`RECORDING_LIMIT`] (or on a disk error), the window says so once, and an
//! export then says in its header that later traffic is not in it. Clearing the log does not clear it.

use std::path::PathBuf;
use std::time::Duration;

use super::app::{NetAssistApp, Notice};
use super::files::{FileKind as DialogKind, with_extension};
use crate::i18n::Lang;
use crate::pcap::{self, PcapOptions};
use crate::recording::RecordingError;
use crate::report::{FileKind, WrittenFile};

/// The most the window's recording writes: 256 MiB, four times the log's default budget; it stops there.
pub const RECORDING_LIMIT: u64 = 256 << 20;

/// How long an export waits for the recording to write what it has queued.
const SETTLE_WAIT: Duration = Duration::from_secs(2);

/// The pcapng file extension.
const EXTENSION: &str = "pcapng";

/// The window's pcapng recording: its folder, once a session opened, and why it stopped, if it did.
#[derive(Default)]
pub struct PcapRecording {
    /// The temporary folder holding the recording; removed when the window closes.
    folder: Option<tempfile::TempDir>,
    /// Why the recording stopped early; it is not started again, so what it holds stays.
    ended: Option<RecordingError>,
}

impl PcapRecording {
    fn path(folder: &tempfile::TempDir) -> PathBuf {
        folder.path().join("sessions.pcapng")
    }
}

impl NetAssistApp {
    /// Whether anything was recorded for Export as pcapng: a session has opened since the window did.
    #[must_use]
    pub fn pcap_recorded(&self) -> bool {
        self.pcap.folder.is_some()
    }

    /// Starts the recording when the first session has opened; later sessions go on in the same file.
    pub(crate) fn record_pcap(&mut self) {
        if self.pcap.folder.is_some() {
            return;
        }
        let started = tempfile::Builder::new()
            .prefix("netassist-")
            .tempdir()
            .map_err(|error| (error.to_string(), error.to_string()))
            .and_then(|folder| {
                let options = PcapOptions {
                    limit: Some(RECORDING_LIMIT),
                };
                self.ctl
                    .start_pcap(&PcapRecording::path(&folder), options)
                    .map_err(|error| (error.why(Lang::En), error.why(Lang::Zh)))?;
                self.pcap.folder = Some(folder);
                Ok(())
            });
        if let Err((en, zh)) = started {
            self.notice = Some(Notice::error(
                format!("Cannot record this session for Export as pcapng: {en}."),
                format!("无法记录本次会话以供导出为 pcapng：{zh}。"),
            ));
        }
    }

    /// Notices, once, that the recording stopped (its limit, a disk error), and says so.
    pub(crate) fn check_pcap(&mut self) {
        if !self.ctl.pcap_failed() {
            return;
        }
        if let Some(Err(error)) = self.ctl.stop_pcap() {
            self.notice = Some(Notice::error(
                format!(
                    "Recording for Export as pcapng stopped: {}. The traffic before it can still be \
                     exported; the session goes on.",
                    error.why(Lang::En)
                ),
                format!(
                    "供“导出为 pcapng”的记录已停止：{}。之前的流量仍可导出；会话仍在继续。",
                    error.why(Lang::Zh)
                ),
            ));
            self.pcap.ended = Some(error);
        }
    }

    /// Asks where, then writes what was recorded so far as pcapng.
    pub(crate) fn export_pcap(&mut self) {
        if self.pcap.folder.is_none() {
            return;
        }
        let now = chrono::Local::now();
        let name = format!("netassist-{}.{EXTENSION}", now.format("%Y%m%d-%H%M%S"));
        let Some(to) = self.dialogs.save(DialogKind::Pcapng, &name) else {
            return;
        };
        let to = with_extension(to, EXTENSION);
        self.check_pcap();
        let mut notes = vec![format!(
            "Exported from NetAssist's window at {}: connections still open then end here, without a \
             close.",
            now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
        )];
        let len = match (&self.pcap.ended, self.ctl.pcap()) {
            (Some(error), _) => {
                notes.push(format!(
                    "The recording stopped early ({}): later traffic is not in this file.",
                    error.why(Lang::En)
                ));
                error.written
            }
            (None, Some(recording)) => {
                if let Some(len) = recording.settle(SETTLE_WAIT) {
                    len
                } else {
                    self.notice = Some(Notice::error(
                        "The recording is still writing the latest traffic: export again in a moment.",
                        "记录仍在写入最新的流量：请稍后再导出。",
                    ));
                    return;
                }
            }
            (None, None) => return,
        };
        let Some(folder) = &self.pcap.folder else {
            return;
        };
        let exported = pcap::export(&PcapRecording::path(folder), len, &to, &notes);
        if exported.is_ok() {
            self.written.push(WrittenFile {
                kind: FileKind::Pcapng,
                path: to.clone(),
                since: now.into(),
            });
        }
        self.notice = Some(match exported {
            Ok(()) if self.pcap.ended.is_some() => Notice::info(
                format!(
                    "Exported the traffic recorded to {} as pcapng, up to where the recording \
                         stopped.",
                    to.display()
                ),
                format!("已将记录停止前的流量导出为 pcapng：{}。", to.display()),
            ),
            Ok(()) => Notice::info(
                format!(
                    "Exported the traffic recorded so far to {} as pcapng.",
                    to.display()
                ),
                format!("已将目前记录的流量导出为 pcapng：{}。", to.display()),
            ),
            Err(error) => Notice::export_failed(&to, &error),
        });
    }
}
