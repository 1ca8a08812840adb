//! The window's TLS settings: the connection panel's controls for a TCP client (how the server's
//! certificate is verified, the name sent as SNI), a TCP server (certificate files, or a self-signed one
//! with where it is kept and its fingerprint) and a relay's two sides; the file pickers behind them; and
//! where a self-signed certificate is kept when it is made on Open.

use std::path::PathBuf;

use egui::RichText;

use super::app::{NetAssistApp, UiAction};
use super::files::FileKind;
use crate::engine::CertSummary;
use crate::i18n::Lang;
use crate::preset::{ModeKind, Preset, TlsSettings, preset_folder};

/// A TLS file the user picks with a file dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsFile {
    /// The CA certificates a client trusts: the TCP client's, or (`target`) a relay's towards its target.
    CaFile {
        /// The relay's target side (`target_tls`) rather than `tls`.
        target: bool,
    },
    /// The server's certificate chain.
    Certificate,
    /// The server's private key.
    Key,
}

/// The file name a self-signed certificate is kept beside when the settings name no preset file: as
/// if the preset were this file in the window's own folder (`netassist.cert.pem`, `netassist.key.pem`).
const UNSAVED_PRESET: &str = "netassist.ron";

impl NetAssistApp {
    /// Asks for a TLS file and puts it in its field; a cancelled dialog changes nothing.
    pub(crate) fn pick_tls_file(&mut self, file: TlsFile) {
        let Some(path) = self.dialogs.open(FileKind::Pem) else {
            return;
        };
        let path = path.display().to_string();
        let preset = &mut self.settings.preset;
        match file {
            TlsFile::CaFile { target: false } => {
                preset.tls.accept_any = false;
                preset.tls.ca_file = path;
            }
            TlsFile::CaFile { target: true } => {
                preset.target_tls.accept_any = false;
                preset.target_tls.ca_file = path;
            }
            TlsFile::Certificate => preset.tls.cert_file = path,
            TlsFile::Key => preset.tls.key_file = path,
        }
    }

    /// The settings as a session opens them: relative TLS files are read from the preset file's folder
    /// (from the folder NetAssist runs in when the settings were never saved to a file), and a
    /// self-signed certificate with no files named is kept beside the preset file, or in the window's
    /// own folder when there is none (made for the session only when there is neither).
    pub(crate) fn preset_to_open(&self) -> Preset {
        Preset {
            tls: self.tls_to_open(),
            target_tls: self.beside_preset(&self.settings.preset.target_tls),
            ..self.settings.preset.clone()
        }
    }

    /// The `tls` settings as a session opens them (see [`Self::preset_to_open`]).
    fn tls_to_open(&self) -> TlsSettings {
        let mut tls = self.beside_preset(&self.settings.preset.tls);
        if let Some(base) = self.self_signed_base() {
            tls.keep_beside(&base);
        }
        tls
    }

    /// `tls` with its relative files in the preset file's folder, when there is one.
    fn beside_preset(&self, tls: &TlsSettings) -> TlsSettings {
        match &self.settings.preset_file {
            Some(file) => tls.with_paths_from(preset_folder(file)),
            None => tls.clone(),
        }
    }

    /// The preset file a self-signed certificate is kept beside.
    fn self_signed_base(&self) -> Option<PathBuf> {
        self.settings
            .preset_file
            .clone()
            .or_else(|| self.files_dir.as_ref().map(|dir| dir.join(UNSAVED_PRESET)))
    }

    /// Where the self-signed certificate of the settings is kept, once it is made: its file, or `None`
    /// when it is made for each session only.
    fn self_signed_kept_in(&self) -> Option<String> {
        let cert = self.tls_to_open().cert_file;
        (!cert.trim().is_empty()).then_some(cert)
    }
}

/// The TLS controls for the mode in the settings (none for UDP); `wrong` is the field of the error that
/// stopped the last Open, if it is a TLS one.
pub(crate) fn tls_ui(
    ui: &mut egui::Ui,
    app: &mut NetAssistApp,
    wrong: Option<crate::preset::Field>,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    use crate::preset::Field;
    let kept_in = app.self_signed_kept_in();
    let preset = &mut app.settings.preset;
    let host = preset.remote_host.trim().to_owned();
    let server = ServerTls {
        kept_in,
        wrong: wrong == Some(Field::TlsCertificate),
    };
    let client = |label, target| ClientTls {
        label,
        host: host.clone(),
        wrong: wrong == Some(Field::TlsVerify),
        target,
    };
    match preset.mode {
        ModeKind::TcpClient => {
            let shown = client(lang.pick("TLS", "TLS 加密"), false);
            client_ui(ui, &mut preset.tls, &shown, lang, actions);
        }
        ModeKind::TcpServer => {
            server_ui(
                ui,
                &mut preset.tls,
                lang.pick("TLS", "TLS 加密"),
                &server,
                lang,
                actions,
            );
        }
        ModeKind::Relay => {
            let label = lang.pick(
                "TLS to the devices (the relay is their server)",
                "与设备之间使用 TLS（中继作为服务器）",
            );
            server_ui(ui, &mut preset.tls, label, &server, lang, actions);
            let label = lang.pick(
                "TLS to the target (the relay is its client)",
                "与目标之间使用 TLS（中继作为客户端）",
            );
            client_ui(
                ui,
                &mut preset.target_tls,
                &client(label, true),
                lang,
                actions,
            );
        }
        ModeKind::Udp => {}
    }
}

/// How a TLS client checks the server's certificate, as the radio buttons offer it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verify {
    SystemRoots,
    CaFile,
    AcceptAny,
}

impl Verify {
    fn of(tls: &TlsSettings) -> Self {
        if tls.accept_any {
            Self::AcceptAny
        } else if tls.ca_file.trim().is_empty() {
            Self::SystemRoots
        } else {
            Self::CaFile
        }
    }
}

/// What a TLS client's controls show beside its settings.
struct ClientTls<'a> {
    /// The on/off checkbox's label.
    label: &'a str,
    /// The host connected to, the server name unless another is typed.
    host: String,
    /// The CA file or server name stopped the last Open.
    wrong: bool,
    /// The relay's target side (`target_tls`).
    target: bool,
}

/// A TLS client's controls: on/off, the verification, the CA file, the server name (SNI).
fn client_ui(
    ui: &mut egui::Ui,
    tls: &mut TlsSettings,
    shown: &ClientTls<'_>,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    let ClientTls {
        label,
        ref host,
        wrong,
        target,
    } = *shown;
    ui.checkbox(&mut tls.enabled, label)
        .on_hover_text(lang.pick(
            "Encrypt the connection with TLS (1.2 or 1.3); the log shows the plaintext.",
            "用 TLS（1.2 或 1.3）加密连接；记录中显示明文。",
        ));
    if !tls.enabled {
        return;
    }
    ui.indent(("tls_client", target), |ui| {
        ui.label(lang.pick("Verify the server's certificate", "验证服务器证书"));
        let verify = Verify::of(tls);
        if ui
            .radio(
                verify == Verify::SystemRoots,
                lang.pick("Against this PC's trusted roots", "使用本机信任的根证书"),
            )
            .clicked()
        {
            tls.accept_any = false;
            tls.ca_file.clear();
        }
        if ui
            .radio(
                verify == Verify::CaFile,
                lang.pick("Against a CA file…", "使用 CA 文件…"),
            )
            .clicked()
        {
            actions.push(UiAction::PickTlsFile(TlsFile::CaFile { target }));
        }
        // The theme's warning colour, dark enough to read on the light theme too.
        let warn = super::palette::Palette::of(ui.visuals()).info;
        if ui
            .radio(
                verify == Verify::AcceptAny,
                RichText::new(lang.pick(
                    "Accept any certificate (insecure)",
                    "接受任何证书（不安全）",
                ))
                .color(warn),
            )
            .on_hover_text(lang.pick(
                "For a device with a self-signed certificate: the connection is encrypted, but anyone \
                 in between could pose as the server. The certificate is still shown in the log.",
                "用于使用自签名证书的设备：连接仍加密，但中间人可以冒充服务器。证书仍会显示在记录中。",
            ))
            .clicked()
        {
            tls.accept_any = true;
        }
        if verify == Verify::CaFile {
            let label = lang.pick("CA file (PEM)", "CA 文件（PEM）");
            file_field(
                ui,
                &mut tls.ca_file,
                label,
                wrong,
                UiAction::PickTlsFile(TlsFile::CaFile { target }),
                lang,
                actions,
            );
        }
        let label = ui.label(lang.pick(
            "Server name (SNI; empty: the host)",
            "服务器名称（SNI；空为主机地址）",
        ));
        ui.scope(|ui| {
            if wrong && verify != Verify::CaFile {
                super::outline_as_error(ui);
            }
            ui.add(
                egui::TextEdit::singleline(&mut tls.server_name)
                    .hint_text(host)
                    .desired_width(f32::INFINITY),
            )
        })
        .inner
        .labelled_by(label.id);
    });
}

/// What a TLS server's controls show beside its settings.
struct ServerTls {
    /// Where a self-signed certificate is kept (`None`: made for each session only).
    kept_in: Option<String>,
    /// The certificate files stopped the last Open.
    wrong: bool,
}

/// A TLS server's controls: on/off, certificate files or self-signed, and the certificate presented.
fn server_ui(
    ui: &mut egui::Ui,
    tls: &mut TlsSettings,
    label: &str,
    shown: &ServerTls,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    ui.checkbox(&mut tls.enabled, label)
        .on_hover_text(lang.pick(
            "Clients must speak TLS (1.2 or 1.3); the log shows the plaintext.",
            "客户端必须使用 TLS（1.2 或 1.3）；记录中显示明文。",
        ));
    if !tls.enabled {
        return;
    }
    ui.indent("tls_server", |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.radio_value(
                &mut tls.self_signed,
                false,
                lang.pick("Certificate files", "证书文件"),
            );
            ui.radio_value(
                &mut tls.self_signed,
                true,
                lang.pick("Self-signed", "自签名证书"),
            );
        });
        if tls.self_signed {
            let kept = shown.kept_in.as_deref().map_or_else(
                || {
                    lang.pick(
                        "Made when the session opens, for it only.",
                        "打开时生成，仅用于本次会话。",
                    )
                    .to_owned()
                },
                |cert| {
                    format!(
                        "{} {cert}",
                        lang.pick(
                            "Made once when the session opens, then kept in",
                            "首次打开时生成，保存在"
                        )
                    )
                },
            );
            ui.add(egui::Label::new(RichText::new(kept).small()).wrap());
        } else {
            let label = lang.pick("Certificate (PEM)", "证书（PEM）");
            let pick = UiAction::PickTlsFile(TlsFile::Certificate);
            file_field(
                ui,
                &mut tls.cert_file,
                label,
                shown.wrong,
                pick,
                lang,
                actions,
            );
            let label = lang.pick("Private key (PEM)", "私钥（PEM）");
            let pick = UiAction::PickTlsFile(TlsFile::Key);
            file_field(
                ui,
                &mut tls.key_file,
                label,
                shown.wrong,
                pick,
                lang,
                actions,
            );
        }
    });
}

/// The certificate the open session presents to its clients (a TLS server's, a relay's to its
/// devices), if it does: its fingerprint, to compare on the device, and how long it is valid.
pub(crate) fn presented_ui(ui: &mut egui::Ui, certificate: &CertSummary, lang: Lang) {
    ui.label(lang.pick(
        "Presented certificate, SHA-256:",
        "所用证书的 SHA-256 指纹：",
    ));
    ui.add(
        egui::Label::new(RichText::new(certificate.fingerprint()).monospace().small())
            .wrap()
            .selectable(true),
    );
    ui.add(
        egui::Label::new(
            RichText::new(format!(
                "{} {}",
                lang.pick("Valid until", "有效期至"),
                crate::engine::utc_text(certificate.not_after)
            ))
            .small(),
        )
        .wrap(),
    );
}

/// A labelled path field, a Browse… button beside its label that asks for the file.
fn file_field(
    ui: &mut egui::Ui,
    path: &mut String,
    label: &str,
    wrong: bool,
    browse: UiAction,
    lang: Lang,
    actions: &mut Vec<UiAction>,
) {
    let label = ui
        .horizontal_wrapped(|ui| {
            let label = ui.label(label);
            if ui.small_button(lang.pick("Browse…", "浏览…")).clicked() {
                actions.push(browse);
            }
            label
        })
        .inner;
    ui.scope(|ui| {
        if wrong {
            super::outline_as_error(ui);
        }
        ui.add(egui::TextEdit::singleline(path).desired_width(f32::INFINITY))
    })
    .inner
    .labelled_by(label.id);
}
