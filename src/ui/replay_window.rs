//! Log → Replay…: a recording (a pcapng file) replayed as the device or as the PC ([`crate::replay`]).
//! The window picks the file, the connection, the side, the timing and where to connect or listen; Start
//! runs the replay as a session with its check (over TLS when asked, with the connection panel's TLS
//! settings), whose traffic fills the log as any session's does, and
//! whose progress and result the window shows; Stop ends the check, and the session ends with it.

use std::path::PathBuf;
use std::time::Duration;

use super::app::{NetAssistApp, Notice, UiAction};
use super::files::FileKind;
use crate::check::{Outcome, Report, StepState};
use crate::i18n::{Lang, Text};
use crate::pcap::read::{Recording, Transport, read};
use crate::preset::{ModeKind, TlsSettings};
use crate::replay::{self, Options, Replay, Side, Timing};

/// How long the replay's session may take, once its check ended, for what it queued to go out.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// What the user asked of the Replay window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayAction {
    /// Show the window.
    Open,
    /// Ask for a recording and read it.
    PickFile,
    /// Start the replay as a session.
    Start,
    /// Stop the replay running.
    Stop,
}

/// The Replay window's state (not saved).
#[derive(Default)]
pub struct ReplayWindow {
    /// Whether the window is shown.
    pub open: bool,
    /// The recording picked, and what it holds.
    file: Option<(PathBuf, Recording)>,
    /// Which end, when, which connection and where, as chosen.
    pub options: Options,
    /// Where to connect or listen instead of the recorded address, as typed (empty: as recorded).
    pub target: String,
    /// Replay over TLS, with the connection panel's TLS settings (a TLS session's recording holds its
    /// plaintext, so it replays over TLS as it went; `netassist replay` takes the TLS flags for this).
    pub tls: bool,
    /// Why the file could not be read or the replay could not start, until the next try.
    error: Option<Notice>,
    /// A replay started here runs: its session stops when its check ends.
    running: bool,
    /// The last replay planned, with the choices it was planned for.
    planned: Option<((Options, String), Result<Replay, replay::ReplayError>)>,
}

impl ReplayWindow {
    /// The replay the window's choices describe, or why there is none; made again only when a choice
    /// changed (a replay holds every byte of its connection, too much to make each frame).
    fn plan(&mut self) -> Option<&Result<Replay, replay::ReplayError>> {
        let (path, recording) = self.file.as_ref()?;
        let choices = (self.options.clone(), self.target.trim().to_owned());
        if self
            .planned
            .as_ref()
            .is_none_or(|(made_for, _)| *made_for != choices)
        {
            let mut options = self.options.clone();
            let target = &choices.1;
            if !target.is_empty() {
                // Where the replay's own session goes: a server listens there, a client or UDP sends
                // there.
                let as_recorded = replay::plan(recording, path, &options);
                match as_recorded.map(|r| r.preset.mode) {
                    Ok(ModeKind::TcpServer) => options.bind = Some(target.clone()),
                    _ => options.connect = Some(target.clone()),
                }
            }
            self.planned = Some((choices, replay::plan(recording, path, &options)));
        }
        self.planned.as_ref().map(|(_, plan)| plan)
    }

    /// The recording picked, and which of its connections.
    fn recording_ui(&mut self, ui: &mut egui::Ui, lang: Lang, actions: &mut Vec<UiAction>) {
        ui.horizontal(|ui| {
            if ui.button(lang.pick("File…", "文件…")).clicked() {
                actions.push(UiAction::Replay(ReplayAction::PickFile));
            }
            match &self.file {
                Some((path, recording)) => ui.label(format!(
                    "{} ({} {})",
                    path.display(),
                    recording.conversations.len(),
                    lang.pick("connections", "个连接")
                )),
                None => ui.weak(lang.pick("a pcapng recording", "pcapng 记录文件")),
            };
        });
        let count = self.file.as_ref().map_or(0, |(_, r)| r.conversations.len());
        if count > 1 {
            let mut number = self.options.connection.unwrap_or(1);
            ui.horizontal(|ui| {
                ui.label(lang.pick("Connection", "连接"));
                ui.add(egui::DragValue::new(&mut number).range(1..=count));
            });
            self.options.connection = Some(number);
        }
    }

    /// Draws the window; `report` is the last check's, `open` whether a session is open.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        lang: Lang,
        report: Option<&Report>,
        session_open: bool,
        actions: &mut Vec<UiAction>,
    ) {
        let mut shown = self.open;
        egui::Window::new(lang.pick("Replay", "回放"))
            .open(&mut shown)
            .resizable(false)
            .show(ctx, |ui| {
                self.contents(ui, lang, report, session_open, actions);
            });
        self.open = shown;
    }

    fn contents(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        report: Option<&Report>,
        session_open: bool,
        actions: &mut Vec<UiAction>,
    ) {
        self.recording_ui(ui, lang, actions);
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut self.options.side,
                Side::Device,
                lang.pick("As the device", "作为设备"),
            );
            ui.radio_value(
                &mut self.options.side,
                Side::Pc,
                lang.pick("As the PC", "作为电脑"),
            );
        });
        ui.horizontal(|ui| {
            ui.radio_value(
                &mut self.options.timing,
                Timing::Original,
                lang.pick("Original gaps", "原始间隔"),
            );
            ui.radio_value(
                &mut self.options.timing,
                Timing::Wait,
                lang.pick("Wait for the other side", "等待对方"),
            );
        });
        let listens = matches!(self.plan(), Some(Ok(r)) if r.preset.mode == ModeKind::TcpServer);
        ui.horizontal(|ui| {
            ui.label(if listens {
                lang.pick("Listen on", "监听")
            } else {
                lang.pick("Connect to", "连接到")
            });
            ui.add(
                egui::TextEdit::singleline(&mut self.target)
                    .hint_text(lang.pick("as recorded", "按记录"))
                    .desired_width(180.0),
            );
        });
        if matches!(self.plan(), Some(Ok(r)) if r.transport == Transport::Tcp) {
            ui.checkbox(
                &mut self.tls,
                lang.pick(
                    "Over TLS, as set in the connection panel",
                    "使用 TLS（按连接面板的 TLS 设置）",
                ),
            )
            .on_hover_text(lang.pick(
                "A TLS session's recording holds the plaintext: replay it over TLS as it went. The \
                 certificate (listening) or how the server's is verified (connecting) come from the \
                 connection panel's TLS settings.",
                "TLS 会话的记录保存的是明文：按原样通过 TLS 回放。证书（监听时）或如何验证服务器证书\
                 （连接时）取自连接面板的 TLS 设置。",
            ));
        }
        match self.plan() {
            Some(Ok(replay)) => {
                ui.weak(format!(
                    "{} {}, {} {}: {} {}",
                    lang.pick("device", "设备"),
                    replay.device,
                    lang.pick("PC", "电脑"),
                    replay.pc,
                    replay.check().steps.len(),
                    lang.pick("steps", "步")
                ));
            }
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
            }
            None => {}
        }
        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
        }
        ui.horizontal(|ui| {
            if self.running {
                if ui.button(lang.pick("Stop", "停止")).clicked() {
                    actions.push(UiAction::Replay(ReplayAction::Stop));
                }
            } else {
                let ready = matches!(self.plan(), Some(Ok(_))) && !session_open;
                let start = ui
                    .add_enabled(ready, egui::Button::new(lang.pick("Start", "开始")))
                    .on_disabled_hover_text(lang.pick(
                        "Pick a recording, and close the open session first",
                        "请选择记录文件，并先关闭当前会话",
                    ));
                if start.clicked() {
                    actions.push(UiAction::Replay(ReplayAction::Start));
                }
            }
            if let Some(report) = report.filter(|r| r.name.starts_with("replay ")) {
                ui.label(progress(report, lang));
            }
        });
    }
}

/// How far the replay's check got: `step 3 of 12`, `PASS in 2.074 s`, or `FAIL at step 3`.
fn progress(report: &Report, lang: Lang) -> String {
    let Some((outcome, took)) = report.finished else {
        let done = report
            .steps
            .iter()
            .filter(|s| matches!(s.latest, Some((_, StepState::Passed { .. }))))
            .count();
        return format!("{done} / {}", report.steps.len());
    };
    let at = match outcome {
        Outcome::Failed(step) => report
            .step(step)
            .map(|s| format!(" {} {}", lang.pick("at step", "于第"), s.path))
            .unwrap_or_default(),
        Outcome::Passed | Outcome::Stopped => String::new(),
    };
    format!(
        "{}{at} ({})",
        outcome.text(lang),
        crate::check::duration_text(took)
    )
}

impl NetAssistApp {
    /// Acts on what the Replay window asked for.
    pub(crate) fn replay_action(&mut self, action: ReplayAction) {
        match action {
            ReplayAction::Open => self.replay.open = true,
            ReplayAction::PickFile => {
                if let Some(path) = self.dialogs.open(FileKind::Recording) {
                    self.replay.error = None;
                    match read(&path) {
                        Ok(recording) => {
                            self.replay.options.connection = None;
                            self.replay.planned = None;
                            self.replay.file = Some((path, recording));
                        }
                        Err(error) => {
                            self.replay.file = None;
                            self.replay.planned = None;
                            self.replay.error = Some(Notice::error(error.to_string(), error.zh()));
                        }
                    }
                }
            }
            ReplayAction::Start => self.start_replay(),
            ReplayAction::Stop => self.ctl.stop_check(),
        }
    }

    fn start_replay(&mut self) {
        let Some(Ok(replay)) = self.replay.plan() else {
            return;
        };
        let mut replay = replay.clone();
        if self.replay.tls {
            replay.preset.tls = TlsSettings {
                enabled: true,
                ..self.preset_to_open().tls
            };
        }
        let check = replay.check().clone();
        let started = replay
            .preset
            .compile_check(&check)
            .map_err(|e| Notice::error(e.to_string(), e.zh()))
            .and_then(|compiled| {
                let mut config = replay
                    .preset
                    .session()
                    .map_err(|e| Notice::error(e.en, e.zh))?;
                config.check = Some(Box::new(compiled));
                Ok(config)
            });
        match started {
            Ok(config) => {
                self.replay.error = None;
                self.replay.running = self.start_session(config, replay.preset.mode);
            }
            Err(notice) => self.replay.error = Some(notice),
        }
    }

    /// Once the replay's check has ended, its session stops (after what it queued went out).
    pub(crate) fn finish_replay(&mut self) {
        if self.replay.running && (!self.is_open() || !self.ctl.check_running()) {
            self.replay.running = false;
            self.ctl.stop_when_sent(STOP_WAIT);
        }
    }
}
