//! The NetAssist window: owns the settings and the session controller (the running session, the traffic
//! log, the capture). [`NetAssistApp::logic`] takes the engine's events into the record, and runs whether
//! or not the window is drawn (eframe calls it while the window is minimised or covered, too);
//! [`NetAssistApp::frame`] only draws the panels and applies what the user asked for after drawing.

use std::time::{Duration, Instant};

use super::checks_panel::{self, CheckAction, ChecksPanel};
use super::connection_panel;
use super::diagnose::{DiagnoseFields, DiagnoseView};
use super::file_send::FileSend;
use super::files::{Answer, Dialogs, FileKind, NativeDialogs, Pending, Rows};
use super::help::{self, Help};
use super::menu;
use super::pcap_export::PcapRecording;
use super::peers_panel::{self, PeersView};
use super::plots::{self, PlotsView};
use super::replay_window::{ReplayAction, ReplayWindow};
use super::rules_panel::{self, RulesPanel};
use super::send_panel;
use super::sending::SendCounts;
use super::settings::Settings;
use super::status_bar;
use super::traffic_view::TrafficView;
use crate::codec::{FramerConfig, Framing, InputMode, SendOptions};
use crate::engine::{Command, Direction, Event, PeerId, Target};
use crate::i18n::Lang;
use crate::preset::{Field, FieldError, ModeKind, Preset};
use crate::recording::Recording;
use crate::session::{Controller, PeriodicProgress};
use crate::traffic::{LogConfig, TrafficLog};

/// Time a frame may spend taking engine events into the log. If more wait, another frame is requested at
/// once, so a flooding peer delays input handling by one frame at worst instead of freezing the window; the
/// engine stops reading while too much waits, which slows a TCP sender to what the window can show.
///
/// While a peer floods, a frame is this budget plus drawing, which costs about the same whatever the log's
/// size (`cargo bench --bench ui`: 2.9 ms a frame with 1,000,000 rows and with 10; with a 3 ms budget it
/// was 4.2–5.1 ms).
pub const EVENT_TIME_PER_FRAME: Duration = Duration::from_millis(2);

/// Width of a side panel folded to a strip.
const FOLDED_PANEL: f32 = 30.0;

/// Where the send box's bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendTarget {
    /// Every client (TCP server), every remote seen (UDP).
    All,
    /// The session's own remote: the client's server, or the UDP remote in the settings.
    Default,
    /// One peer.
    Peer(PeerId),
}

/// Opens a preset (the Preset menu's Open).
pub const OPEN_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);

/// Exports the whole log as text (the Log menu's first export).
pub const EXPORT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::S);

/// Something the user asked for while a panel was drawn; applied after drawing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UiAction {
    /// Open a session with the current settings.
    Open,
    /// Close the session.
    Close,
    /// Send what is in the send box.
    Send,
    /// Send a quick command.
    SendQuick(usize),
    /// Read the send box as text or hex from now on, converting what it holds.
    SwitchInput(InputMode),
    /// Put this history entry (by index) back in the send box, with the mode and encoding it was sent in.
    Recall(usize),
    /// Edit this quick command (by index) in a window of its own.
    EditQuick(usize),
    /// Move a quick command from one place to another.
    MoveQuick {
        /// Its index now.
        from: usize,
        /// Its index after the move.
        to: usize,
    },
    /// Remove a quick command.
    RemoveQuick(usize),
    /// Start the periodic send of the send box.
    StartPeriodic,
    /// Stop the periodic send.
    StopPeriodic,
    /// Choose a file and send it.
    SendFile,
    /// Stop sending the file.
    CancelFile,
    /// Disconnect a peer.
    Kick(PeerId),
    /// Finish sending to a peer (a TCP half-close: FIN after what is queued); it can still send.
    HalfClose(PeerId),
    /// Send to this target from now on.
    Target(SendTarget),
    /// Show only this peer's rows (or everyone's).
    ShowOnly(Option<PeerId>),
    /// Empty the log.
    Clear,
    /// Counters back to zero.
    ResetCounters,
    /// The framing settings changed.
    Reframe,
    /// The reply rules were edited.
    RulesChanged,
    /// Ask for a preset file and open it.
    OpenPreset,
    /// Open this preset file (a recent one).
    OpenPresetFile(std::path::PathBuf),
    /// Save the preset to its file (or ask where).
    SavePreset,
    /// Ask where to save the preset, then save it.
    SavePresetAs,
    /// Ask where, then export the log.
    Export {
        /// CSV rather than text.
        csv: bool,
        /// Which rows.
        rows: Rows,
    },
    /// Ask where, then capture traffic to a file.
    StartCapture,
    /// Stop capturing.
    StopCapture,
    /// Ask where, then write the traffic recorded so far as pcapng.
    ExportPcap,
    /// Ask where, then write a report to hand in.
    SaveReport,
    /// Something in the Replay window.
    Replay(ReplayAction),
    /// The user answered the question on screen.
    Answer(Answer),
    /// Show the Diagnose window, its fields from the current mode.
    OpenDiagnose,
    /// Run the Diagnose window's checks.
    RunDiagnose,
    /// The server has waited for a client: check its port and the adapters, in the Diagnose window.
    DiagnoseWaiting,
    /// Run or stop a device check (the Checks window).
    Check(CheckAction),
    /// Ask for a TLS file (certificate, key, CA) and put it in its field.
    PickTlsFile(super::tls_options::TlsFile),
}

/// A message for the status bar, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// English.
    pub en: String,
    /// Chinese.
    pub zh: String,
    /// Whether it reports a failure.
    pub is_error: bool,
}

impl Notice {
    /// A failure message.
    #[must_use]
    pub fn error(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            zh: zh.into(),
            is_error: true,
        }
    }

    /// A message that reports success or progress.
    #[must_use]
    pub fn info(en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            zh: zh.into(),
            is_error: false,
        }
    }

    /// The send target `addr` is no longer connected, so nothing was sent.
    #[must_use]
    pub fn target_gone(addr: &str) -> Self {
        Self::error(
            format!(
                "{addr} is no longer connected: nothing sent. Pick another target in the peers panel."
            ),
            format!("{addr} 已断开连接：未发送。请在连接列表中选择其他目标。"),
        )
    }

    /// An export to `path` failed.
    #[must_use]
    pub fn export_failed(path: &std::path::Path, error: &std::io::Error) -> Self {
        Self::error(
            format!("Cannot export to {}: {error}", path.display()),
            format!("无法导出到 {}：{error}", path.display()),
        )
    }

    /// The text in `lang`.
    #[must_use]
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

impl crate::i18n::Text for Notice {
    fn text(&self, lang: Lang) -> String {
        lang.pick_owned(&self.en, &self.zh)
    }
}

/// The application state: saved settings plus everything that lives only while the window is open.
pub struct NetAssistApp {
    /// What is remembered between runs.
    pub settings: Settings,
    /// The open session, if any, its log (every session's, bounded) and the capture to file.
    pub(crate) ctl: Controller,
    /// The pcapng recording behind Log → Export as pcapng. After `ctl`, so the recording in it stops
    /// before its folder is removed.
    pub(crate) pcap: PcapRecording,
    /// The captures and pcapng exports written since the window opened, for a report's hashes.
    pub(crate) written: Vec<crate::report::WrittenFile>,
    /// The traffic log view's filter, selection and pause state.
    pub view: TrafficView,
    /// The peers panel's filter and whether it lists closed peers.
    pub peers_view: PeersView,
    pub(crate) target: SendTarget,
    /// The status bar's message.
    pub(crate) notice: Option<Notice>,
    /// The settings field that stopped the last Open, with the settings it was about: it goes when that
    /// field (or the mode) changes, or a session opens.
    pub(crate) field_error: Option<(FieldError, Preset)>,
    /// Why the last send (or switch between text and hex) did not happen, with what it was about: it goes
    /// when that changes.
    pub(crate) send_error: Option<(Notice, SendState)>,
    /// The quick command being edited in its window, by index.
    pub(crate) quick_edit: Option<usize>,
    /// Framings the user switched away from, one of each kind, so picking one again brings it back as it
    /// was (the delimiter typed before, not the default).
    pub(crate) earlier_framings: Vec<Framing>,
    /// The delimiter field's text while it differs from the framing's delimiter (half-typed, wrong, or
    /// written another way), with the delimiter it was typed over.
    pub(crate) delimiter_typed: Option<(String, Vec<u8>)>,
    /// Periodic send progress: sends made, ticks skipped, and whether it is running.
    pub(crate) periodic: Option<PeriodicProgress>,
    /// How many times the send box and each quick command sent in this session, for `{counter}`.
    pub(crate) send_counts: SendCounts,
    pub(crate) file: Option<FileSend>,
    pub(crate) dialogs: Box<dyn Dialogs>,
    /// The question on screen, if any.
    pub(crate) pending: Option<Pending>,
    /// The reply rules window.
    pub rules_panel: RulesPanel,
    /// The device checks window.
    pub checks_panel: ChecksPanel,
    /// The Diagnose window: the connection doctor, its fields and its last findings.
    pub diagnose: DiagnoseView,
    /// The Plots window: rates over time and the connection timeline.
    pub plots: PlotsView,
    /// The Replay window: a recording replayed as the device or the PC.
    pub replay: ReplayWindow,
    /// Since when the open TCP server has listened without a client, while it does.
    waiting_since: Option<Instant>,
    /// The Help menu's windows and the example presets' folder.
    pub help: Help,
    /// The user chose to close the window; the next close request goes through.
    pub(crate) closing: bool,
    /// The title last given to the window, so it is only sent when it changes.
    title: String,
    /// This PC's interface addresses with their names, for the local IP choices.
    pub(crate) interfaces: Vec<(String, crate::addr::ScopedIp)>,
    /// Whether a font with Chinese glyphs is loaded; checked on the first frame, once fonts exist, and
    /// once more after loading one of Windows' Chinese fonts by name (see [`super::fonts`]).
    pub(crate) cjk_font: Option<bool>,
    /// A Chinese font file was looked for by name; set at most once.
    cjk_font_looked_for: bool,
    /// The window's context, set on the first frame: the engine's waker calls its `request_repaint`, and
    /// closing the window goes through it.
    pub(crate) repaint: Option<egui::Context>,
    /// The window's own folder (where its settings are kept), for files it keeps when no preset file
    /// names a place: a self-signed certificate. `None` when there is none; such a certificate is then
    /// made for each session.
    pub files_dir: Option<std::path::PathBuf>,
}

impl NetAssistApp {
    /// A window with these settings and file dialogs.
    #[must_use]
    pub fn new(settings: Settings, dialogs: Box<dyn Dialogs>) -> Self {
        let log = TrafficLog::new(log_config(&settings, settings.preset.mode));
        Self {
            settings,
            ctl: Controller::new(log),
            pcap: PcapRecording::default(),
            written: Vec::new(),
            view: TrafficView::default(),
            peers_view: PeersView::default(),
            target: SendTarget::All,
            notice: None,
            field_error: None,
            send_error: None,
            quick_edit: None,
            earlier_framings: Vec::new(),
            delimiter_typed: None,
            periodic: None,
            send_counts: SendCounts::default(),
            file: None,
            dialogs,
            pending: None,
            rules_panel: RulesPanel::default(),
            checks_panel: ChecksPanel::default(),
            diagnose: DiagnoseView::default(),
            plots: PlotsView::default(),
            replay: ReplayWindow::default(),
            waiting_since: None,
            help: Help::new(),
            closing: false,
            title: super::TITLE.to_owned(),
            interfaces: interfaces(),
            cjk_font: None,
            cjk_font_looked_for: false,
            repaint: None,
            files_dir: None,
        }
    }

    /// The eframe entry: settings from storage (or defaults), fonts checked, native file dialogs.
    #[must_use]
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>) -> Self {
        let mut settings: Settings = cc
            .storage
            .and_then(|storage| eframe::get_value(storage, eframe::APP_KEY))
            .unwrap_or_default();
        settings.upgrade();
        Self::new(settings, Box::new(NativeDialogs))
    }

    /// Whether a session is open.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.ctl.is_open()
    }

    /// The kind of the open session, if one is open.
    #[must_use]
    pub fn open_mode(&self) -> Option<ModeKind> {
        self.ctl.mode().map(ModeKind::of)
    }

    /// The traffic log.
    #[must_use]
    pub fn log(&self) -> &TrafficLog {
        self.ctl.log()
    }

    /// The question on screen, if any.
    #[must_use]
    pub fn pending(&self) -> Option<&Pending> {
        self.pending.as_ref()
    }

    /// The running capture, if any.
    #[must_use]
    pub fn capture(&self) -> Option<&Recording> {
        self.ctl.capture()
    }

    /// Why the last send did not happen, while it still holds.
    #[must_use]
    pub fn send_error(&self) -> Option<&Notice> {
        self.send_error.as_ref().map(|(notice, _)| notice)
    }

    /// The status bar's current message.
    #[must_use]
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// Takes the engine's events into the record (log, capture, file sends), for at most
    /// [`EVENT_TIME_PER_FRAME`], and schedules the next look when idle-gap framing has a deadline. Draws
    /// nothing: eframe calls it before each frame and also while the window is minimised or covered, when
    /// no frame is drawn, so recording never depends on the window being seen.
    pub fn logic(&mut self, ctx: &egui::Context) {
        if self.repaint.is_none() {
            self.repaint = Some(ctx.clone());
            super::outline_light_widgets(ctx);
        }
        self.take_events(ctx);
        self.diagnose.take_result();
        if self.ctl.capture_failed() {
            self.stop_capture();
        }
        self.check_pcap();
        self.finish_replay();
        self.schedule(ctx);
        self.watch_for_clients(ctx);
    }

    /// Keeps the time the open TCP server has listened without a client, and asks for a frame at the
    /// moment the "no client yet" offer is due ([`Settings::no_client_secs`]); nothing more, so idle stays
    /// idle.
    fn watch_for_clients(&mut self, ctx: &egui::Context) {
        let waiting = self.open_mode() == Some(ModeKind::TcpServer)
            && self.log().local_addr().is_some()
            && self.log().connected_peers() == 0;
        if !waiting {
            self.waiting_since = None;
            return;
        }
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        if self.settings.no_client_secs > 0 {
            let due = since + Duration::from_secs(self.settings.no_client_secs);
            let now = Instant::now();
            if now < due {
                ctx.request_repaint_after(due - now);
            }
        }
    }

    /// Where the TCP server listens, once it has waited [`Settings::no_client_secs`] without a client: the
    /// status bar then offers a diagnosis.
    #[must_use]
    pub fn waiting_without_clients(&self) -> Option<std::net::SocketAddr> {
        let secs = self.settings.no_client_secs;
        let since = self.waiting_since?;
        (secs > 0 && since.elapsed() >= Duration::from_secs(secs))
            .then(|| self.log().local_addr())
            .flatten()
    }

    /// Finds out whether Chinese can be drawn. When the system's fallback has no Chinese font, one of
    /// Windows' is loaded by its file name and the check is made again on the next frame, when it is in use.
    fn check_cjk_font(&mut self, ctx: &egui::Context) {
        if super::fonts::has_cjk(ctx) {
            self.cjk_font = Some(true);
            return;
        }
        let loaded = (!self.cjk_font_looked_for)
            .then(super::fonts::system_fonts_dir)
            .flatten()
            .and_then(|dir| super::fonts::add_known_cjk_font(ctx, &dir));
        self.cjk_font_looked_for = true;
        if let Some(path) = loaded {
            // For whoever started it from a terminal: which font stands in for the system's fallback.
            eprintln!("netassist: Chinese is drawn with {}", path.display());
            ctx.request_repaint();
        } else {
            self.cjk_font = Some(false);
        }
    }

    /// Draws one frame into `ui`: every panel, then the actions the user asked for. Call
    /// [`NetAssistApp::logic`] first.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        if self.cjk_font.is_none() {
            super::fonts::prefer_symbol_fonts(&ctx);
            self.check_cjk_font(&ctx);
        }
        ctx.set_theme(self.settings.theme);

        self.drop_stale_errors();
        let mut actions = Vec::new();
        self.window_input(&ctx, &mut actions);
        egui::Panel::top("menu").show(ui, |ui| menu::ui(ui, self, &mut actions));
        egui::Panel::bottom("status").show(ui, |ui| status_bar::ui(ui, self, &mut actions));
        egui::Panel::bottom("send")
            .resizable(true)
            .default_size(170.0)
            .show(ui, |ui| {
                // On a small screen the send area scrolls rather than pushing controls out of reach.
                egui::ScrollArea::vertical()
                    .id_salt("send scroll")
                    .show(ui, |ui| send_panel::ui(ui, self, &mut actions));
            });
        let width = ctx.content_rect().width();
        let settings_strip = egui::Panel::left("connection folded").exact_size(FOLDED_PANEL);
        let settings_panel = egui::Panel::left("connection")
            .resizable(true)
            .min_size(160.0)
            .default_size((width * 0.16).clamp(160.0, 260.0));
        let was_open = self.settings.panels.settings;
        let mut open = was_open;
        egui::Panel::show_switched(
            ui,
            &mut open,
            settings_strip,
            settings_panel,
            |ui, expanded| {
                if expanded {
                    egui::ScrollArea::vertical()
                        .id_salt("connection scroll")
                        .show(ui, |ui| connection_panel::ui(ui, self, &mut actions));
                } else {
                    self.unfold_button(ui, true);
                }
            },
        );
        if open != was_open {
            self.settings.panels.settings = open;
        }
        let peers_strip = egui::Panel::right("peers folded").exact_size(FOLDED_PANEL);
        let peers_panel = egui::Panel::right("peers")
            .resizable(true)
            .min_size(150.0)
            .default_size((width * 0.15).clamp(170.0, 260.0));
        let was_open = self.settings.panels.peers_open(width);
        let mut open = was_open;
        egui::Panel::show_switched(ui, &mut open, peers_strip, peers_panel, |ui, expanded| {
            if expanded {
                let mut view = std::mem::take(&mut self.peers_view);
                peers_panel::ui(ui, self, &mut view, &mut actions);
                self.peers_view = view;
            } else {
                self.unfold_button(ui, false);
            }
        });
        if open != was_open {
            self.settings.panels.peers = Some(open);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            let lang = self.settings.lang;
            let mut view = std::mem::take(&mut self.view);
            view.ui(ui, self.ctl.log(), &mut self.settings, lang, &mut actions);
            self.view = view;
        });
        rules_panel::ui(&ctx, self, &mut actions);
        checks_panel::ui(&ctx, self, &mut actions);
        help::windows(&ctx, &mut self.help, self.settings.lang);
        send_panel::quick_edit_window(&ctx, self, &mut actions);
        self.diagnose.ui(&ctx, self.settings.lang, &mut actions);
        plots::window(&ctx, self);
        let session_open = self.is_open();
        let report = self.ctl.check_report();
        self.replay
            .ui(&ctx, self.settings.lang, report, session_open, &mut actions);
        if let Some(answer) = self.pending_ui(&ctx) {
            actions.push(UiAction::Answer(answer));
        }
        for action in actions {
            self.apply(action);
        }
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    /// The button on a folded side panel's strip that opens it again: the settings (`left`) or the peers.
    fn unfold_button(&mut self, ui: &mut egui::Ui, left: bool) {
        let lang = self.settings.lang;
        let (arrow, tip) = if left {
            ("▶", lang.pick("Show the settings", "显示设置"))
        } else {
            ("◀", lang.pick("Show the peers", "显示连接对象"))
        };
        let count = self.log().connected_peers();
        if ui.button(arrow).on_hover_text(tip).clicked() {
            if left {
                self.settings.panels.settings = true;
            } else {
                self.settings.panels.peers = Some(true);
            }
        }
        if !left && count > 0 {
            ui.label(count.to_string())
                .on_hover_text(lang.pick("Connected peers", "当前连接数"));
        }
    }

    /// Keyboard shortcuts, files dropped on the window, and a request to close it.
    fn window_input(&mut self, ctx: &egui::Context, actions: &mut Vec<UiAction>) {
        let (open, save, dropped, close) = ctx.input_mut(|input| {
            (
                input.consume_shortcut(&OPEN_SHORTCUT),
                input.consume_shortcut(&EXPORT_SHORTCUT),
                input
                    .raw
                    .dropped_files
                    .iter()
                    .map(|file| file.path().to_owned())
                    .collect::<Vec<_>>(),
                input.viewport().close_requested(),
            )
        });
        if open {
            actions.push(UiAction::OpenPreset);
        }
        if save {
            actions.push(UiAction::Export {
                csv: false,
                rows: Rows::All,
            });
        }
        self.dropped(&dropped);
        if close && !self.may_close() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
    }

    /// Takes engine events into the record for at most [`EVENT_TIME_PER_FRAME`].
    fn take_events(&mut self, ctx: &egui::Context) {
        let Self {
            ctl,
            file,
            periodic,
            notice,
            ..
        } = self;
        let intake = ctl.take_events(EVENT_TIME_PER_FRAME, |event| match event {
            Event::Data {
                dir: Direction::Tx,
                bytes,
                ..
            } => {
                if let Some(file) = file {
                    file.written(bytes.len());
                }
            }
            Event::Unsent { written, .. } => {
                if let Some(file) = file {
                    file.written(written.len());
                }
            }
            Event::Periodic { .. } => *periodic = PeriodicProgress::of(event),
            Event::Error { error, .. } => {
                *notice = Some(Notice::error(error.to_string(), error.zh()));
            }
            _ => {}
        });
        if intake.more {
            ctx.request_repaint();
        }
        if intake.stopped {
            self.session_ended();
        }
        self.feed_file();
    }

    /// The session ended: what belonged to it goes too.
    fn session_ended(&mut self) {
        self.file = None;
        if let Some(periodic) = &mut self.periodic {
            periodic.running = false;
        }
    }

    /// Asks for the next frame when the idle-gap framer has a deadline; otherwise nothing: idle is idle.
    fn schedule(&mut self, ctx: &egui::Context) {
        if let Some(deadline) = self.ctl.poll_idle(Instant::now()) {
            ctx.request_repaint_after(deadline.saturating_duration_since(Instant::now()));
        }
    }

    /// Applies one action.
    pub fn apply(&mut self, action: UiAction) {
        match action {
            UiAction::Open => self.open(),
            UiAction::Close => {
                self.ctl.stop(|_| {});
                self.session_ended();
            }
            UiAction::Send => {
                if self.send_text(None) {
                    self.settings.remember();
                }
            }
            UiAction::SwitchInput(input) => self.switch_input(input),
            UiAction::Recall(index) => self.recall(index),
            UiAction::EditQuick(index) => self.quick_edit = Some(index),
            UiAction::MoveQuick { from, to } => {
                let quick = &mut self.settings.preset.quick;
                if from < quick.len() && to < quick.len() {
                    let moved = quick.remove(from);
                    quick.insert(to, moved);
                    if self.quick_edit == Some(from) {
                        self.quick_edit = Some(to);
                    }
                }
            }
            UiAction::RemoveQuick(index) => {
                if index < self.settings.preset.quick.len() {
                    self.settings.preset.quick.remove(index);
                    self.quick_edit = None;
                }
            }
            UiAction::SendQuick(index) => {
                if let Some(quick) = self.settings.preset.quick.get(index).cloned() {
                    self.send_text(Some(&quick));
                }
            }
            UiAction::StartPeriodic => self.start_periodic(),
            UiAction::StopPeriodic => {
                self.ctl.command(Command::StopPeriodic);
            }
            UiAction::SendFile => self.send_file(),
            UiAction::CancelFile => self.file = None,
            UiAction::Kick(peer) => {
                self.ctl.command(Command::Disconnect(peer));
            }
            UiAction::HalfClose(peer) => {
                self.ctl.command(Command::HalfClose(peer));
            }
            UiAction::Target(target) => self.target = target,
            UiAction::ShowOnly(peer) => self.view.filter.peer = peer,
            UiAction::Clear => self.ctl.log_mut().clear(),
            UiAction::ResetCounters => self.ctl.log_mut().reset_counters(),
            UiAction::OpenPreset => self.open_preset_dialog(),
            UiAction::OpenPresetFile(path) => self.open_preset(&path),
            UiAction::SavePreset => {
                self.save_preset();
            }
            UiAction::SavePresetAs => {
                self.save_preset_as();
            }
            UiAction::Export { csv, rows } => self.export(csv, rows),
            UiAction::StartCapture => self.start_capture(),
            UiAction::StopCapture => self.stop_capture(),
            UiAction::ExportPcap => self.export_pcap(),
            UiAction::SaveReport => self.save_report(),
            UiAction::Replay(action) => self.replay_action(action),
            UiAction::Answer(answer) => self.answer(answer),
            UiAction::Reframe => {
                let mode = self.open_mode().unwrap_or(self.settings.preset.mode);
                let config = log_config(&self.settings, mode);
                self.ctl
                    .log_mut()
                    .set_framing(config.framer, config.datagrams);
                // The rules see messages in the same framing.
                self.send_rules();
            }
            UiAction::RulesChanged => self.send_rules(),
            UiAction::OpenDiagnose => {
                let preset = &self.settings.preset;
                // The open session's address names the port when the preset asks for any.
                let bound = (self.open_mode() == Some(preset.mode)
                    && preset.mode != ModeKind::TcpClient)
                    .then(|| self.log().local_addr())
                    .flatten();
                self.diagnose
                    .show(DiagnoseFields::for_preset(preset, bound));
            }
            UiAction::RunDiagnose => self.run_diagnose(),
            UiAction::Check(action) => self.apply_check(action),
            UiAction::PickTlsFile(file) => self.pick_tls_file(file),
            UiAction::DiagnoseWaiting => {
                if let Some(addr) = self.waiting_without_clients() {
                    self.diagnose.show(DiagnoseFields::listening(addr));
                    self.run_diagnose();
                }
            }
        }
    }

    /// Runs the Diagnose window's checks on its fields.
    fn run_diagnose(&mut self) {
        let own = self.own_session(self.diagnose.fields.protocol());
        if let Some(ctx) = self.repaint.clone() {
            self.diagnose.run(&ctx, own);
        }
    }

    /// Where the open session holds a port in `protocol`: a TCP server's listening address, a UDP socket's.
    fn own_session(&self, protocol: crate::doctor::Protocol) -> Option<std::net::SocketAddr> {
        use crate::doctor::Protocol;
        match (self.open_mode()?, protocol) {
            (ModeKind::TcpServer, Protocol::Tcp) | (ModeKind::Udp, Protocol::Udp) => {
                self.log().local_addr()
            }
            _ => None,
        }
    }

    fn open(&mut self) {
        self.open_with(None);
    }

    /// Opens a session with the current settings, running `check` in it from its start (before any peer
    /// can connect), if one is given.
    pub(crate) fn open_with(&mut self, check: Option<crate::check::CompiledCheck>) {
        if self.is_open() {
            return;
        }
        let preset = self.preset_to_open();
        let checked = match self.delimiter_error() {
            Some(error) => Err(error),
            None => preset
                .session()
                .and_then(|config| preset.check_tls_files().map(|()| config)),
        };
        let mut config = match checked {
            Ok(config) => config,
            Err(error) => {
                // Shown at the field it is about, not again in the status bar.
                self.field_error = Some((error, self.settings.preset.clone()));
                return;
            }
        };
        self.field_error = None;
        config.check = check.map(Box::new);
        self.start_session(config, self.settings.preset.mode);
    }

    /// Starts a session with `config` (its mode `mode`), the log framed as the settings say; `false`,
    /// saying why in the status bar, when it could not start.
    pub(crate) fn start_session(
        &mut self,
        config: crate::engine::SessionConfig,
        mode: ModeKind,
    ) -> bool {
        let repaint = self.repaint.clone();
        let waker = move || {
            if let Some(ctx) = &repaint {
                ctx.request_repaint();
            }
        };
        let framing = log_config(&self.settings, mode);
        self.ctl
            .log_mut()
            .set_framing(framing.framer, framing.datagrams);
        match self.ctl.start(config, waker) {
            Ok(()) => {
                self.target = match mode {
                    ModeKind::TcpServer | ModeKind::Relay => SendTarget::All,
                    ModeKind::TcpClient | ModeKind::Udp => SendTarget::Default,
                };
                self.notice = None;
                self.periodic = None;
                self.send_counts = SendCounts::default();
                self.rules_panel.applied = self.settings.preset.rules.clone();
                self.record_pcap();
                true
            }
            Err(error) => {
                self.notice = Some(Notice::error(
                    error.to_string(),
                    format!("无法启动网络会话：{error}"),
                ));
                false
            }
        }
    }

    /// What is wrong with the delimiter field while the framing is by delimiter and the field holds
    /// something that is not one (the framing keeps the last good delimiter meanwhile).
    fn delimiter_error(&self) -> Option<FieldError> {
        if !matches!(self.settings.preset.framing, Framing::Delimiter { .. }) {
            return None;
        }
        let (typed, _) = self.delimiter_typed.as_ref()?;
        connection_panel::delimiter_error(typed)
    }

    /// Hands the preset's rules to the open session, whose worker answers by them from now on. Rules that
    /// do not compile stay out (the rules window says why) and the session keeps the ones it had.
    fn send_rules(&mut self) {
        if let Ok(rules) = self.settings.preset.rules()
            && self.ctl.command(Command::SetRules(rules))
        {
            self.rules_panel.applied = self.settings.preset.rules.clone();
        }
    }

    /// The engine target for the current selection.
    pub(crate) fn engine_target(&self) -> Target {
        match self.target {
            SendTarget::All => Target::All,
            SendTarget::Default => Target::Default,
            SendTarget::Peer(peer) => Target::Peer(peer),
        }
    }

    fn send_file(&mut self) {
        if !self.is_open() {
            self.fail_send(Notice::error("Open a session first.", "请先打开连接。"));
            return;
        }
        let Some(path) = self.dialogs.open(FileKind::Send) else {
            return;
        };
        let opened = std::fs::File::open(&path).and_then(|file| Ok((file.metadata()?.len(), file)));
        match opened {
            Ok((size, file)) => {
                let fan_out = match self.target {
                    SendTarget::All => self.ctl.log().connected_peers(),
                    SendTarget::Default | SendTarget::Peer(_) => 1,
                };
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                self.file = Some(FileSend::new(Box::new(file), name, size, fan_out));
                self.feed_file();
            }
            Err(e) => {
                self.fail_send(Notice::error(
                    format!("Cannot read {}: {e}", path.display()),
                    format!("无法读取 {}：{e}", path.display()),
                ));
            }
        }
    }

    /// Queues the file's next chunks while its window has room.
    fn feed_file(&mut self) {
        let to = self.engine_target();
        let Some(file) = &mut self.file else {
            return;
        };
        match file.top_up() {
            Ok(chunks) => {
                for bytes in chunks {
                    self.ctl.command(Command::Send {
                        to: to.clone(),
                        bytes,
                    });
                }
                if file.is_done() {
                    self.file = None;
                }
            }
            Err(e) => {
                self.fail_send(Notice::error(
                    format!("Reading the file failed: {e}"),
                    format!("读取文件失败：{e}"),
                ));
                self.file = None;
            }
        }
    }

    /// Shows why a send did not happen until what it was about changes.
    pub(crate) fn fail_send(&mut self, notice: Notice) {
        self.send_error = Some((notice, SendState::of(self)));
    }

    /// Errors go when what caused them changed: a send error when the send box, its options, the session
    /// or its clients changed; a field error when that field (or the mode) was edited.
    fn drop_stale_errors(&mut self) {
        if self
            .send_error
            .as_ref()
            .is_some_and(|(_, state)| *state != SendState::of(self))
        {
            self.send_error = None;
        }
        if self.field_error.as_ref().is_some_and(|(error, typed)| {
            !error.field.same_in(typed, &self.settings.preset)
                || (error.field == Field::Delimiter && self.delimiter_error().is_none())
        }) {
            self.field_error = None;
        }
    }

    /// Reads the send box as `input` from now on. What it holds is converted (text to the hex of its
    /// bytes in the encoding, hex to text when the bytes are text); when it cannot be, the box and its
    /// mode stay as they were and the send error says why. Variables stay as typed, and those that now
    /// write other bytes (`{counter}`: digits in text, a byte in hex) are named under the box.
    fn switch_input(&mut self, input: InputMode) {
        let options = self.settings.preset.send;
        if options.input == input {
            return;
        }
        let converted = match input {
            InputMode::Hex => crate::codec::text_to_hex(&self.settings.send_text, &options)
                .map_err(crate::codec::ConvertError::Input),
            InputMode::Text => crate::codec::hex_to_text(&self.settings.send_text, &options),
        };
        match converted {
            Ok(text) => {
                let changed = crate::codec::mode_dependent(&text, input, options.escapes);
                self.settings.send_text = text;
                self.settings.preset.send.input = input;
                if !changed.is_empty() {
                    self.fail_send(super::sending::meaning_changed(input, &changed));
                }
            }
            Err(error) => {
                let (en, zh) = match input {
                    InputMode::Hex => ("Still text: ", "仍为文本："),
                    InputMode::Text => ("Still hex: ", "仍为十六进制："),
                };
                self.fail_send(Notice::error(
                    format!("{en}{error}"),
                    format!("{zh}{}", error.zh()),
                ));
            }
        }
    }

    /// Puts a history entry back in the send box with the mode and encoding it was sent in. Only the send
    /// side changes: the log keeps the encoding it is shown in.
    fn recall(&mut self, index: usize) {
        let Some(entry) = self.settings.history.get(index).cloned() else {
            return;
        };
        self.settings.send_text = entry.text;
        self.settings.preset.send.input = entry.input;
        self.settings.preset.send.encoding = entry.encoding;
    }
}

/// What a send error is about: the send box, how it is read, the session and whom it sends to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SendState {
    text: String,
    options: SendOptions,
    open: bool,
    target: SendTarget,
    connected: usize,
    periodic: (String, String),
}

impl SendState {
    fn of(app: &NetAssistApp) -> Self {
        Self {
            text: app.settings.send_text.clone(),
            options: app.settings.preset.send,
            open: app.is_open(),
            target: app.target,
            connected: app.log().connected_peers(),
            periodic: (
                app.settings.preset.periodic_ms.clone(),
                app.settings.preset.periodic_count.clone(),
            ),
        }
    }
}

/// The addresses to offer for binding: the wildcards and loopbacks first, then this PC's interfaces. An
/// IPv6 link-local address comes with its interface as its scope, without which it cannot be bound.
fn interfaces() -> Vec<(String, crate::addr::ScopedIp)> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let unscoped = |ip| crate::addr::ScopedIp { ip, scope_id: 0 };
    let mut list = vec![
        (
            "all IPv4".to_owned(),
            unscoped(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ),
        (
            "loopback".to_owned(),
            unscoped(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ),
        (
            "all IPv6".to_owned(),
            unscoped(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        ),
    ];
    // Without the list the user can still type an address, so an empty one is not an error.
    for adapter in crate::doctor::adapters::adapters() {
        for addr in adapter.addrs {
            let choice = crate::addr::ScopedIp {
                ip: addr.ip,
                scope_id: addr.scope_id,
            };
            if !list.iter().any(|(_, known)| *known == choice) {
                list.push((adapter.name.clone(), choice));
            }
        }
    }
    list
}

/// The log configuration for the settings' framing in `mode`.
fn log_config(settings: &Settings, mode: ModeKind) -> LogConfig {
    LogConfig {
        byte_budget: settings.log_mib.max(1) << 20,
        framer: FramerConfig::from(settings.preset.framing.clone()),
        datagrams: mode == ModeKind::Udp,
        // The Plots window draws them.
        rates: true,
    }
}

impl eframe::App for NetAssistApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        NetAssistApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
