//! The window's files: opening and saving presets (with the questions asked before anything is lost),
//! recent presets and dropped files, exporting the log, and capturing traffic to a file (the pcapng export
//! is [`super::pcap_export`]).
//!
//! File dialogs sit behind the [`Dialogs`] trait, so tests hand over paths without a native dialog.

use std::path::{Path, PathBuf};

use super::app::{NetAssistApp, Notice, UiAction};
use crate::capture::{self, CaptureOptions};
use crate::format::Display;
use crate::i18n::Lang;
use crate::preset::{self, Loaded, Preset};
use crate::report::{FileKind as ReportFileKind, WrittenFile};

/// What a file dialog is for: its title and filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Any file, to send.
    Send,
    /// A `.ron` preset.
    Preset,
    /// A text export of the log.
    LogText,
    /// A CSV export of the log.
    LogCsv,
    /// A capture file.
    Capture,
    /// A pcapng file, for Wireshark.
    Pcapng,
    /// A report to hand in (Markdown, or HTML).
    Report,
    /// A recording to replay (pcapng).
    Recording,
    /// A PEM file: a TLS certificate, key or CA certificates.
    Pem,
}

impl FileKind {
    /// The file-name filter: a name and its extensions (none for any file).
    #[must_use]
    pub fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Self::Send => ("", &[]),
            Self::Preset => ("NetAssist preset", &[preset::EXTENSION]),
            Self::LogText | Self::Capture => ("Text", &["txt", "log"]),
            Self::LogCsv => ("CSV", &["csv"]),
            Self::Pcapng | Self::Recording => ("pcapng", &["pcapng"]),
            Self::Report => ("Markdown, HTML", &["md", "html"]),
            Self::Pem => ("PEM", &["pem", "crt", "cer", "key"]),
        }
    }
}

/// Asks the user for files; the real one shows native dialogs, tests pass their own.
pub trait Dialogs {
    /// A file to read; `None` if the user cancelled.
    fn open(&mut self, kind: FileKind) -> Option<PathBuf>;
    /// A file to write, offering `name`; `None` if the user cancelled.
    fn save(&mut self, kind: FileKind, name: &str) -> Option<PathBuf>;
}

/// The native file dialogs.
pub struct NativeDialogs;

impl NativeDialogs {
    fn dialog(kind: FileKind) -> rfd::FileDialog {
        let (name, extensions) = kind.filter();
        let dialog = rfd::FileDialog::new();
        if extensions.is_empty() {
            dialog
        } else {
            dialog.add_filter(name, extensions)
        }
    }
}

impl Dialogs for NativeDialogs {
    fn open(&mut self, kind: FileKind) -> Option<PathBuf> {
        Self::dialog(kind).pick_file()
    }

    fn save(&mut self, kind: FileKind, name: &str) -> Option<PathBuf> {
        Self::dialog(kind).set_file_name(name).save_file()
    }
}

/// A question the window waits on before going ahead.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    /// A preset was read; loading it would close the session or drop unsaved changes.
    Load {
        /// Where it came from.
        path: PathBuf,
        /// What it holds (boxed: a preset is large beside the other questions).
        loaded: Box<Loaded>,
    },
    /// The window is closing with unsaved changes to the open preset.
    Quit,
    /// Something the user must read and dismiss: a preset that could not be opened, say.
    Message(Notice),
}

/// An answer to a [`Pending`] question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Go ahead (load the preset; close without saving).
    Proceed,
    /// Save the preset, then go ahead.
    SaveFirst,
    /// Do nothing.
    Cancel,
}

/// Which rows an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// Every row the log holds.
    All,
    /// The rows the filter shows.
    Shown,
}

impl NetAssistApp {
    /// Asks for a preset file and opens it.
    pub(crate) fn open_preset_dialog(&mut self) {
        if let Some(path) = self.dialogs.open(FileKind::Preset) {
            self.open_preset(&path);
        }
    }

    /// Reads a preset; loads it at once if nothing would be lost, else asks first. A file that cannot be
    /// read changes nothing and says why.
    pub(crate) fn open_preset(&mut self, path: &Path) {
        let loaded = match Preset::load(path) {
            Ok(loaded) => loaded,
            Err(error) => {
                if matches!(error, preset::PresetError::Io { .. }) {
                    self.settings.forget_recent(path);
                }
                self.pending = Some(Pending::Message(Notice::error(
                    error.to_string(),
                    error.zh(),
                )));
                return;
            }
        };
        if self.is_open() || self.settings.is_modified() {
            self.pending = Some(Pending::Load {
                path: path.to_owned(),
                loaded: Box::new(loaded),
            });
        } else {
            self.load_preset(path, loaded);
        }
    }

    /// Makes a read preset the session's settings, closing the session first.
    fn load_preset(&mut self, path: &Path, loaded: Loaded) {
        if self.is_open() {
            self.apply(UiAction::Close);
        }
        self.field_error = None;
        self.settings.adopt_preset(path, loaded.preset);
        self.apply(UiAction::Reframe);
        let name = self.settings.preset_name().unwrap_or_default();
        let mut notice = Notice::info(format!("Opened {name}."), format!("已打开 {name}。"));
        for warning in &loaded.warnings {
            notice.en.push(' ');
            notice.en.push_str(&warning.to_string());
            notice.zh.push_str(&warning.zh());
        }
        self.notice = Some(notice);
    }

    /// Saves to the open preset file, or asks where if there is none. Returns whether it was saved.
    pub(crate) fn save_preset(&mut self) -> bool {
        match self.settings.preset_file.clone() {
            Some(path) => self.save_preset_to(&path),
            None => self.save_preset_as(),
        }
    }

    /// Asks where to save the preset, then saves it there. Returns whether it was saved.
    pub(crate) fn save_preset_as(&mut self) -> bool {
        let name = format!(
            "{}.{}",
            self.settings
                .preset_name()
                .unwrap_or_else(|| "netassist".to_owned()),
            preset::EXTENSION
        );
        match self.dialogs.save(FileKind::Preset, &name) {
            Some(path) => self.save_preset_to(&with_extension(path, preset::EXTENSION)),
            None => false,
        }
    }

    fn save_preset_to(&mut self, path: &Path) -> bool {
        match self.settings.preset.save(path) {
            Ok(()) => {
                let preset = self.settings.preset.clone();
                self.settings.adopt_preset(path, preset);
                let name = self.settings.preset_name().unwrap_or_default();
                self.notice = Some(Notice::info(
                    format!("Saved {name}."),
                    format!("已保存 {name}。"),
                ));
                true
            }
            Err(error) => {
                self.notice = Some(Notice::error(error.to_string(), error.zh()));
                false
            }
        }
    }

    /// Acts on the answer to the pending question.
    pub(crate) fn answer(&mut self, answer: Answer) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        match (pending, answer) {
            (Pending::Load { path, loaded }, Answer::Proceed) => self.load_preset(&path, *loaded),
            (Pending::Load { path, loaded }, Answer::SaveFirst) => {
                if self.save_preset() {
                    self.load_preset(&path, *loaded);
                }
            }
            (Pending::Quit, Answer::Proceed) => self.close_window(),
            (Pending::Quit, Answer::SaveFirst) => {
                if self.save_preset() {
                    self.close_window();
                }
            }
            (Pending::Load { .. } | Pending::Quit | Pending::Message(_), _) => {}
        }
    }

    fn close_window(&mut self) {
        self.closing = true;
        if let Some(ctx) = &self.repaint {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Whether the window may close now; if not, the user has been asked.
    pub(crate) fn may_close(&mut self) -> bool {
        if self.closing || !self.settings.is_modified() {
            return true;
        }
        self.pending = Some(Pending::Quit);
        false
    }

    /// The window title: the open preset's name, with `*` when it has unsaved changes.
    #[must_use]
    pub fn window_title(&self) -> String {
        match self.settings.preset_name() {
            Some(name) => {
                let marker = if self.settings.is_modified() { "*" } else { "" };
                format!("{name}{marker} - {}", super::TITLE)
            }
            None => super::TITLE.to_owned(),
        }
    }

    /// Asks where to export the log, then writes the rows there as text or CSV.
    pub(crate) fn export(&mut self, csv: bool, rows: Rows) {
        let (kind, extension) = if csv {
            (FileKind::LogCsv, "csv")
        } else {
            (FileKind::LogText, "txt")
        };
        let name = format!(
            "netassist-{}.{extension}",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let Some(path) = self.dialogs.save(kind, &name) else {
            return;
        };
        let indices: Vec<usize> = match rows {
            Rows::All => (0..self.log().len()).collect(),
            Rows::Shown => self.view.shown_indices().collect(),
        };
        let written = std::fs::File::create(&path).and_then(|file| {
            if csv {
                capture::export_csv(
                    self.log(),
                    indices.iter().copied(),
                    self.settings.preset.encoding,
                    file,
                )
            } else {
                let display = Display::of(&self.settings.preset);
                capture::export_text(self.log(), indices.iter().copied(), &display, file)
            }
        });
        self.notice = Some(match written {
            Ok(()) => Notice::info(
                format!(
                    "Exported {} {} to {}.",
                    indices.len(),
                    if indices.len() == 1 { "row" } else { "rows" },
                    path.display()
                ),
                format!("已导出 {} 行到 {}。", indices.len(), path.display()),
            ),
            Err(e) => Notice::export_failed(&path, &e),
        });
    }

    /// Asks where to capture to, then starts streaming every event there.
    pub(crate) fn start_capture(&mut self) {
        let name = format!(
            "netassist-capture-{}.log",
            chrono::Local::now().format("%Y%m%d-%H%M%S")
        );
        let Some(path) = self.dialogs.save(FileKind::Capture, &name) else {
            return;
        };
        let options = CaptureOptions {
            display: Display::of(&self.settings.preset),
            raw_per_peer: self.settings.capture_raw,
        };
        self.stop_capture();
        let since = std::time::SystemTime::now();
        match self.ctl.start_capture(&path, options) {
            Ok(()) => {
                self.written.push(WrittenFile {
                    kind: ReportFileKind::Capture {
                        raw_per_peer: options.raw_per_peer,
                    },
                    path: path.clone(),
                    since,
                });
                self.notice = Some(Notice::info(
                    format!("Capturing to {}.", path.display()),
                    format!("正在记录到 {}。", path.display()),
                ));
            }
            Err(error) => self.notice = Some(Notice::error(error.to_string(), error.zh())),
        }
    }

    /// Stops the capture, flushing its file; a write failure is reported.
    pub(crate) fn stop_capture(&mut self) {
        let Some(result) = self.ctl.stop_capture() else {
            return;
        };
        self.notice = Some(match result {
            Ok(path) => Notice::info(
                format!("Capture saved to {}.", path.display()),
                format!("记录已保存到 {}。", path.display()),
            ),
            Err(error) => Notice::error(error.to_string(), error.zh()),
        });
    }

    /// Opens the first preset among files dropped on the window.
    pub(crate) fn dropped(&mut self, paths: &[PathBuf]) {
        let preset = paths.iter().find(|path| {
            path.extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case(preset::EXTENSION))
        });
        match preset {
            Some(path) => self.open_preset(path),
            None if !paths.is_empty() => {
                self.notice = Some(Notice::error(
                    "Only preset files (.ron) can be dropped on the window.",
                    "只能把预设文件（.ron）拖到窗口上。",
                ));
            }
            None => {}
        }
    }
}

/// Adds `extension` to a path the user typed without it.
pub(crate) fn with_extension(path: PathBuf, extension: &str) -> PathBuf {
    if path.extension().is_some() {
        path
    } else {
        path.with_extension(extension)
    }
}

impl NetAssistApp {
    /// Draws the pending question, if any, as a modal dialog; returns the user's answer once given.
    pub(crate) fn pending_ui(&self, ctx: &egui::Context) -> Option<Answer> {
        let pending = self.pending.as_ref()?;
        let lang = self.settings.lang;
        let unsaved = self
            .settings
            .is_modified()
            .then(|| self.settings.preset_name())
            .flatten();
        question_ui(ctx, pending, lang, self.is_open(), unsaved.as_deref())
    }
}

/// Draws a question as a modal dialog: `session_open` and `unsaved` (the preset with unsaved changes) say
/// what would be lost.
fn question_ui(
    ctx: &egui::Context,
    pending: &Pending,
    lang: Lang,
    session_open: bool,
    unsaved: Option<&str>,
) -> Option<Answer> {
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("pending")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        match pending {
            Pending::Load { path, .. } => {
                let name = path
                    .file_stem()
                    .unwrap_or(path.as_os_str())
                    .to_string_lossy();
                ui.heading(format!("{} {name}?", lang.pick("Open preset", "打开预设")));
                if session_open {
                    ui.label(lang.pick(
                        "Opening it closes the open session.",
                        "打开它会关闭当前会话。",
                    ));
                }
                if let Some(current) = unsaved {
                    ui.label(format!(
                        "{} {current}",
                        lang.pick("Unsaved changes to", "以下预设有未保存的更改：")
                    ));
                }
                ui.horizontal(|ui| {
                    if ui.button(lang.pick("Open", "打开")).clicked() {
                        answer = Some(Answer::Proceed);
                    }
                    if unsaved.is_some()
                        && ui
                            .button(lang.pick("Save, then open", "先保存再打开"))
                            .clicked()
                    {
                        answer = Some(Answer::SaveFirst);
                    }
                    if ui.button(lang.pick("Cancel", "取消")).clicked() {
                        answer = Some(Answer::Cancel);
                    }
                });
            }
            Pending::Quit => {
                ui.heading(format!(
                    "{} {}?",
                    lang.pick("Save changes to", "保存更改到"),
                    unsaved.unwrap_or_default()
                ));
                ui.label(lang.pick(
                    "The preset has changes that are not saved to its file.",
                    "预设有尚未保存到文件的更改。",
                ));
                ui.horizontal(|ui| {
                    if ui.button(lang.pick("Save", "保存")).clicked() {
                        answer = Some(Answer::SaveFirst);
                    }
                    if ui.button(lang.pick("Don't save", "不保存")).clicked() {
                        answer = Some(Answer::Proceed);
                    }
                    if ui.button(lang.pick("Cancel", "取消")).clicked() {
                        answer = Some(Answer::Cancel);
                    }
                });
            }
            Pending::Message(notice) => {
                ui.heading(lang.pick("Cannot open the preset", "无法打开预设"));
                ui.label(notice.text(lang));
                if ui.button("OK").clicked() {
                    answer = Some(Answer::Cancel);
                }
            }
        }
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(Answer::Cancel);
    }
    answer
}
