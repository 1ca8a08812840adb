//! The Diagnose window: the connection doctor ([`crate::doctor`]) for the session being set up. Its fields
//! start from the current mode (a server's bind address, a client's target, both for UDP); Run checks them
//! on a thread of its own, since the checks block for seconds, and the findings show grouped by check, each
//! with its status in the theme's colours, its explanation and what to do, in the window's language. Copy
//! puts the same report on the clipboard as text.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use egui::RichText;

use super::app::{Notice, UiAction};
use crate::doctor::{self, Finding, Protocol, Request, Status};
use crate::engine::HostPort;
use crate::i18n::{Lang, Text};
use crate::preset::{self, Field, FieldError, ModeKind, Preset};

/// What the doctor is asked to check, as typed in the window. An empty IP or host leaves that part out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiagnoseFields {
    /// The address a session listens or binds on.
    pub local_ip: String,
    /// Its port.
    pub local_port: String,
    /// The device to test: an IP address or a host name.
    pub remote_host: String,
    /// Its port.
    pub remote_port: String,
    /// Check UDP rather than TCP.
    pub udp: bool,
}

impl DiagnoseFields {
    /// The fields for `preset`'s mode: a server's bind address, a client's target, both for UDP. `bound` is
    /// where the open session actually listens or binds, which names the port when the preset asks for any.
    #[must_use]
    pub fn for_preset(preset: &Preset, bound: Option<SocketAddr>) -> Self {
        let local = || match bound {
            Some(addr) => (addr.ip().to_string(), addr.port().to_string()),
            None => (preset.local_ip.clone(), preset.local_port.clone()),
        };
        let remote = || (preset.remote_host.clone(), preset.remote_port.clone());
        let ((local_ip, local_port), (remote_host, remote_port)) = match preset.mode {
            ModeKind::TcpServer => (local(), Default::default()),
            ModeKind::TcpClient => (Default::default(), remote()),
            ModeKind::Udp | ModeKind::Relay => (local(), remote()),
        };
        Self {
            local_ip,
            local_port,
            remote_host,
            remote_port,
            udp: preset.mode == ModeKind::Udp,
        }
    }

    /// The fields for a server listening at `addr`, without a target: its port and the adapters.
    #[must_use]
    pub fn listening(addr: SocketAddr) -> Self {
        Self {
            local_ip: addr.ip().to_string(),
            local_port: addr.port().to_string(),
            ..Self::default()
        }
    }

    /// The transport the fields ask about.
    #[must_use]
    pub fn protocol(&self) -> Protocol {
        if self.udp {
            Protocol::Udp
        } else {
            Protocol::Tcp
        }
    }

    /// The doctor's request, or the first field that is wrong. `own_session` is where this program's own
    /// session holds a port in [`Self::protocol`], if one is open.
    pub fn request(&self, own_session: Option<SocketAddr>) -> Result<Request, FieldError> {
        let bind = if self.local_ip.trim().is_empty() {
            None
        } else {
            let ip = preset::parse_ip(&self.local_ip, Field::LocalIp)?;
            Some(ip.with_port(preset::parse_port(&self.local_port, Field::LocalPort)?))
        };
        let host = self.remote_host.trim();
        let target = if host.is_empty() {
            None
        } else {
            preset::parse_host(host, Field::RemoteHost)?;
            Some(HostPort {
                host: host.to_owned(),
                port: preset::parse_port(&self.remote_port, Field::RemotePort)?,
            })
        };
        Ok(Request {
            bind,
            target,
            protocol: self.protocol(),
            timeout: doctor::DEFAULT_TIMEOUT,
            own_session,
        })
    }
}

/// A run of the doctor on its own thread.
struct Running {
    /// The fields it checks: a result for other fields than those shown is dropped.
    fields: DiagnoseFields,
    findings_rx: mpsc::Receiver<Vec<Finding>>,
    thread: JoinHandle<()>,
}

/// The Diagnose window's state (not saved). A run still under way when it is dropped is left to finish on
/// its own (it ends within the doctor's time-outs): closing the window does not wait for it.
#[derive(Default)]
pub struct DiagnoseView {
    /// Whether the window is shown.
    pub open: bool,
    /// What to check, as typed.
    pub fields: DiagnoseFields,
    running: Option<Running>,
    /// The last run's findings, with the fields they are about; they go when the fields change.
    result: Option<(DiagnoseFields, Vec<Finding>)>,
    /// Why Run did not start (a field that is wrong); it goes when the fields change.
    error: Option<(DiagnoseFields, Notice)>,
}

impl DiagnoseView {
    /// Shows the window with these fields, and no findings yet.
    pub fn show(&mut self, fields: DiagnoseFields) {
        self.fields = fields;
        self.open = true;
        self.drop_stale();
    }

    /// Whether a run is under way.
    #[must_use]
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The findings for the fields as they are, once a run has finished.
    #[must_use]
    pub fn findings(&self) -> Option<&[Finding]> {
        self.result
            .as_ref()
            .map(|(_, findings)| findings.as_slice())
    }

    /// Runs the doctor on the fields on a thread of its own, unless one runs already; `ctx` is asked for a
    /// frame when it is done. `own_session` is where this program's own session holds a port, if it does.
    pub fn run(&mut self, ctx: &egui::Context, own_session: Option<SocketAddr>) {
        if self.running.is_some() {
            return;
        }
        let request = match self.fields.request(own_session) {
            Ok(request) => request,
            Err(error) => {
                self.error = Some((self.fields.clone(), Notice::error(error.en, error.zh)));
                return;
            }
        };
        self.error = None;
        self.result = None;
        let (findings_tx, findings_rx) = mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("doctor".to_owned())
            .spawn(move || {
                // The window may have closed meanwhile; then nobody wants the findings.
                let _ = findings_tx.send(doctor::diagnose(&request));
                ctx.request_repaint();
            });
        match spawned {
            Ok(thread) => {
                self.running = Some(Running {
                    fields: self.fields.clone(),
                    findings_rx,
                    thread,
                });
            }
            Err(error) => {
                let notice = Notice::error(
                    format!("Could not start the checks: {error}"),
                    format!("无法开始检查：{error}"),
                );
                self.error = Some((self.fields.clone(), notice));
            }
        }
    }

    /// Takes the findings of a finished run, if one finished, and joins its thread.
    pub fn take_result(&mut self) {
        let Some(running) = &self.running else {
            return;
        };
        let findings = match running.findings_rx.try_recv() {
            Ok(findings) => Some(findings),
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => None,
        };
        if let Some(Running { fields, thread, .. }) = self.running.take() {
            // It has sent, or ended without sending: joining does not wait.
            let _ = thread.join();
            if let Some(findings) = findings.filter(|_| fields == self.fields) {
                self.result = Some((fields, findings));
            }
        }
    }

    /// Findings and errors about other fields than those shown go.
    fn drop_stale(&mut self) {
        if self.result.as_ref().is_some_and(|(f, _)| *f != self.fields) {
            self.result = None;
        }
        if self.error.as_ref().is_some_and(|(f, _)| *f != self.fields) {
            self.error = None;
        }
    }

    /// Draws the window, when it is shown.
    pub fn ui(&mut self, ctx: &egui::Context, lang: Lang, actions: &mut Vec<UiAction>) {
        let mut open = self.open;
        egui::Window::new(lang.pick("Diagnose", "诊断"))
            .id(egui::Id::unique("diagnose"))
            .open(&mut open)
            .default_size([560.0, 420.0])
            .max_height(ctx.content_rect().height() * 0.8)
            .collapsible(false)
            .show(ctx, |ui| self.contents_ui(ui, lang, actions));
        self.open = open;
    }

    fn contents_ui(&mut self, ui: &mut egui::Ui, lang: Lang, actions: &mut Vec<UiAction>) {
        let fields = &mut self.fields;
        let hint = lang.pick("empty: not checked", "留空则不检查");
        egui::Grid::new("diagnose fields").show(ui, |ui| {
            field_ui(
                ui,
                &mut fields.local_ip,
                lang.pick("Local IP", "本地 IP"),
                hint,
                170.0,
            );
            field_ui(
                ui,
                &mut fields.local_port,
                lang.pick("Port", "端口"),
                "",
                60.0,
            );
            ui.end_row();
            field_ui(
                ui,
                &mut fields.remote_host,
                lang.pick("Target", "目标"),
                hint,
                170.0,
            );
            field_ui(
                ui,
                &mut fields.remote_port,
                lang.pick("Port", "端口"),
                "",
                60.0,
            );
            ui.end_row();
        });
        ui.checkbox(&mut self.fields.udp, "UDP");
        self.drop_stale();
        ui.horizontal(|ui| {
            let run = egui::Button::new(lang.pick("Run", "开始检查"));
            if ui.add_enabled(self.running.is_none(), run).clicked() {
                actions.push(UiAction::RunDiagnose);
            }
            if self.running.is_some() {
                ui.spinner();
                ui.label(lang.pick("Checking…", "正在检查…"));
            }
            if let Some((_, findings)) = &self.result
                && ui.button(lang.pick("Copy", "复制")).clicked()
            {
                ui.ctx().copy_text(doctor::report(findings, lang));
            }
        });
        if let Some((_, error)) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error.text(lang));
        }
        if let Some((_, findings)) = &self.result {
            ui.separator();
            egui::ScrollArea::vertical()
                .auto_shrink([false, true])
                .show(ui, |ui| findings_ui(ui, findings, lang));
        }
    }
}

/// A text field of `width` after its label, in the fields' grid.
fn field_ui(ui: &mut egui::Ui, text: &mut String, label: &str, hint: &str, width: f32) {
    let label = ui.label(label);
    let edit = egui::TextEdit::singleline(text).hint_text(hint);
    ui.add_sized([width, ui.spacing().interact_size.y], edit)
        .labelled_by(label.id);
}

/// The findings under a heading per check.
fn findings_ui(ui: &mut egui::Ui, findings: &[Finding], lang: Lang) {
    let mut check = None;
    for finding in findings {
        if check != Some(finding.check()) {
            check = Some(finding.check());
            ui.strong(finding.check().text(lang));
        }
        let status = finding.status();
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(status_label(status, lang)).color(status_color(ui, status)));
            ui.label(finding.text(lang));
        });
        if let Some(advice) = finding.advice() {
            ui.indent("advice", |ui| {
                ui.label(RichText::new(format!("→ {}", advice.text(lang))).weak());
            });
        }
    }
}

/// A status with its icon, so it reads without its colour: `✖ problem`.
fn status_label(status: Status, lang: Lang) -> String {
    let icon = match status {
        Status::Ok => "✔",
        Status::Unknown => "？",
        Status::Warning => "⚠",
        Status::Problem => "✖",
    };
    format!("{icon} {}", status.text(lang))
}

/// A status's colour in the current theme.
fn status_color(ui: &egui::Ui, status: Status) -> egui::Color32 {
    let visuals = ui.visuals();
    match status {
        Status::Ok => visuals.strong_text_color(),
        Status::Unknown => visuals.weak_text_color(),
        Status::Warning => visuals.warn_fg_color,
        Status::Problem => visuals.error_fg_color,
    }
}
