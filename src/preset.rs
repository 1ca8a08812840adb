//! Session presets: every setting of a session the window shows (mode, addresses, encodings, framing, send
//! options, quick commands, periodic send, reply rules) as one [`Preset`], saved as pretty RON with a `version` field.
//!
//! Loading is forgiving and safe. Missing fields take their defaults and unknown fields are skipped (both
//! are reported as [`Warning`]s, so a typo in a hand-edited file is not silently lost); a file from a newer
//! version loads with a warning; a malformed file gives its line and column and yields no preset at all, so
//! the caller's settings stay as they were. Saving goes through a temporary file and a rename, so a failed
//! save never leaves a half-written preset behind.
//!
//! Fields are kept as the user typed them, so a half-typed port survives; [`Preset::session`] turns them
//! into an engine configuration or names the field that is wrong.

mod session;
mod tls;

use std::fmt;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::check::{Check, Step};
use crate::codec::{ControlStyle, Framing, InputMode, SendOptions, TextEncoding};
use crate::engine;
use crate::i18n::Lang;
use crate::rules::Rule;

pub use session::{Field, FieldError, parse_host, parse_ip, parse_port};
pub use tls::{TlsSettings, preset_folder};

/// The format version this build writes. Raise it when a field changes meaning (not when one is added:
/// added fields load from older files with their defaults), and bring older presets up in
/// [`Preset::upgrade`].
///
/// Version 2: `send.encoding` is the send box's own encoding (in version 1 sending used `encoding`, the
/// display's), and quick commands keep their input mode, encoding and escapes (in version 1 they were
/// read with the send box's).
///
/// Version 3: what is sent (quick commands, reply rules' replies) may hold send variables such as
/// `{counter}` and `{crc16modbus}` ([`crate::codec::template`]); in older texts, braces that would now
/// read as a variable (or `{{` as one brace) are doubled, so they send what they sent before.
///
/// Version 4: `checks`, the device checks. Nothing changed meaning (older presets load with none), but a
/// version 3 build that opened such a file would drop its checks when saving it again; the newer version
/// makes it say so first.
///
/// Version 5: texts with send variables are read by this version's rules. `{{` writes `{` and a `}}`
/// that closes it `}` (in version 4, `{{name}}` wrote `{name}`, any other `{{` wrote `{`, and `}` was
/// always itself); names are exact (`{TIME}` and `{crc16_modbus}` were variables); where captures exist,
/// `$$` writes `$`. Texts of versions 3 and 4 are rewritten so they send what they sent before.
///
/// Version 6: `tls` (TLS for the TCP client and server, and a relay's device side), `target_tls` (a
/// relay's target side) and the relay mode. Nothing changed meaning (older
/// presets load as plain TCP), but a version 5 build that opened such a file would drop its TLS settings
/// when saving it again, or not know the mode; the newer version makes it say so first.
pub const FORMAT_VERSION: u32 = 6;

/// Fields that earlier versions wrote and this one skips without a warning: `delimiter_text` was a second
/// copy of the delimiter, which `framing` holds.
const RETIRED: [&str; 1] = ["delimiter_text"];

/// The extension of preset files.
pub const EXTENSION: &str = "ron";

/// The kinds of session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModeKind {
    /// Listen for TCP clients.
    #[default]
    TcpServer,
    /// Connect to a TCP server.
    TcpClient,
    /// UDP datagrams.
    Udp,
    /// Stand between devices and their server: listen on the local address, and connect each device
    /// on to the remote host and port.
    Relay,
}

impl ModeKind {
    /// The kind of an engine mode.
    #[must_use]
    pub fn of(mode: &crate::engine::Mode) -> Self {
        match mode {
            crate::engine::Mode::TcpServer { .. } => Self::TcpServer,
            crate::engine::Mode::TcpClient { .. } => Self::TcpClient,
            crate::engine::Mode::Udp { .. } => Self::Udp,
            crate::engine::Mode::Relay { .. } => Self::Relay,
        }
    }

    /// Every mode, in menu order.
    pub const ALL: [Self; 4] = [Self::TcpServer, Self::TcpClient, Self::Udp, Self::Relay];

    /// The mode's name in `lang`.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::TcpServer => lang.pick("TCP Server", "TCP 服务器"),
            Self::TcpClient => lang.pick("TCP Client", "TCP 客户端"),
            Self::Udp => "UDP",
            Self::Relay => lang.pick("Relay", "中继"),
        }
    }
}

/// How data is shown in the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataView {
    /// Decoded text in the chosen encoding.
    #[default]
    Text,
    /// Hex pairs.
    Hex,
    /// Text, then hex.
    Both,
}

/// A named button that sends its text.
///
/// It keeps what decides the bytes its text stands for (text or hex, the encoding, escapes), as it was
/// added, so it sends the same bytes whatever the send box is set to. The line ending and the checksum are
/// the send box's: they frame every message for the device at the other end, so a change there applies
/// to every quick command too. Fields missing from a file take their defaults (UTF-8 text, no escapes).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct QuickCommand {
    /// The button's label.
    pub name: String,
    /// What is sent, read as `input` says.
    pub text: String,
    /// Whether the text is read as text or hex.
    pub input: InputMode,
    /// The encoding of text.
    pub encoding: TextEncoding,
    /// Whether backslash escapes in text are read.
    pub escapes: bool,
}

impl QuickCommand {
    /// The send box's options with this command's input mode, encoding and escapes.
    #[must_use]
    pub fn options(&self, send: SendOptions) -> SendOptions {
        SendOptions {
            input: self.input,
            encoding: self.encoding,
            escapes: self.escapes,
            ..send
        }
    }
}

/// Everything that makes up a session as the user set it up.
// A preset is a list of the window's switches; grouping the booleans into enums would only rename them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preset {
    /// The format version the file was written with ([`FORMAT_VERSION`] when saved by this build).
    pub version: u32,
    /// Session kind.
    pub mode: ModeKind,
    /// Local IP to bind (server, UDP, relay) or to connect from (client; empty for any). An IPv6 address may
    /// carry its scope: `fe80::1%12`, `fe80::1%eth0`.
    pub local_ip: String,
    /// Local port (server, UDP, relay; `0` lets the system choose).
    #[serde(deserialize_with = "text_or_number")]
    pub local_port: String,
    /// Remote host (client), default destination (UDP) or target (relay): an IP address or a host name.
    pub remote_host: String,
    /// Remote port.
    #[serde(deserialize_with = "text_or_number")]
    pub remote_port: String,
    /// UDP: allow broadcast destinations.
    pub broadcast: bool,
    /// UDP: multicast group to join when opening (empty for none).
    pub multicast_group: String,
    /// UDP: the socket's receive buffer to ask for, in KiB; presets from before it existed load with the
    /// engine's default ([`engine::DEFAULT_UDP_RECEIVE_BUFFER`]).
    #[serde(deserialize_with = "text_or_number")]
    pub udp_receive_buffer_kib: String,
    /// TCP server and relay: most clients at once (empty for no limit).
    #[serde(deserialize_with = "text_or_number")]
    pub max_clients: String,
    /// Send everything received straight back.
    pub echo: bool,
    /// Show data as text, hex or both.
    pub view: DataView,
    /// Encoding of text shown in the log, matched and answered by the reply rules.
    pub encoding: TextEncoding,
    /// How control characters are shown.
    pub control_style: ControlStyle,
    /// How received bytes are split into messages; the delimiter's bytes are kept only here.
    pub framing: Framing,
    /// Send box options (text/hex, its own encoding, escapes, line ending, checksum).
    pub send: SendOptions,
    /// The user's quick-command buttons.
    pub quick: Vec<QuickCommand>,
    /// Periodic send interval in milliseconds.
    #[serde(deserialize_with = "text_or_number")]
    pub periodic_ms: String,
    /// Periodic send count (empty or 0 for no end).
    #[serde(deserialize_with = "text_or_number")]
    pub periodic_count: String,
    /// Reply rules, tried in order on each received message (framed by `framing`); presets from before
    /// rules existed load with none.
    pub rules: Vec<Rule>,
    /// Device checks: named lists of steps that pass or fail ([`crate::check`]); presets from before
    /// checks existed load with none.
    pub checks: Vec<Check>,
    /// TLS over the TCP connection (client or server; a relay's towards its devices, where it is their
    /// server); presets from before TLS load with it off.
    pub tls: TlsSettings,
    /// Relay: TLS towards the target, where the relay is its client (its client fields count); presets
    /// from before it load with it off.
    pub target_tls: TlsSettings,
}

impl Default for Preset {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            mode: ModeKind::TcpServer,
            local_ip: "0.0.0.0".to_owned(),
            local_port: "10000".to_owned(),
            remote_host: "127.0.0.1".to_owned(),
            remote_port: "10000".to_owned(),
            broadcast: false,
            multicast_group: String::new(),
            udp_receive_buffer_kib: (engine::DEFAULT_UDP_RECEIVE_BUFFER >> 10).to_string(),
            max_clients: String::new(),
            echo: false,
            view: DataView::Text,
            encoding: TextEncoding::Utf8,
            control_style: ControlStyle::Escapes,
            framing: Framing::Raw,
            send: SendOptions::default(),
            quick: Vec::new(),
            periodic_ms: "1000".to_owned(),
            periodic_count: String::new(),
            rules: Vec::new(),
            checks: Vec::new(),
            tls: TlsSettings::default(),
            target_tls: TlsSettings::default(),
        }
    }
}

/// Reads a field kept as typed text from either a string or a bare number, so a hand-written
/// `local_port: 10000` loads like `local_port: "10000"`.
fn text_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct TextOrNumber;

    impl serde::de::Visitor<'_> for TextOrNumber {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a whole number")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<String, E> {
            Ok(text.to_owned())
        }

        fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<String, E> {
            Ok(number.to_string())
        }

        fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<String, E> {
            Ok(number.to_string())
        }
    }

    deserializer.deserialize_any(TextOrNumber)
}

/// Something about a loaded preset the user should know, though it loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Warning {
    /// A field this version does not know (a typo, or a field from a newer version); it was skipped.
    UnknownField(String),
    /// The file was written by a newer version; settings it added are skipped.
    NewerVersion(u32),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownField(name) => write!(f, "Unknown setting '{name}' was skipped."),
            Self::NewerVersion(version) => write!(
                f,
                "The preset is format version {version}, newer than this NetAssist's {FORMAT_VERSION}; \
                 settings it does not know were skipped."
            ),
        }
    }
}

impl Warning {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::UnknownField(name) => format!("未知设置“{name}”已跳过。"),
            Self::NewerVersion(version) => format!(
                "该预设的格式版本为 {version}，比本程序的 {FORMAT_VERSION} 新；不认识的设置已跳过。"
            ),
        }
    }
}

/// Why a preset could not be read or written. Nothing was changed.
#[derive(Debug)]
pub enum PresetError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        error: std::io::Error,
    },
    /// The file holds nothing.
    Empty,
    /// The file is not a valid preset: the position of the problem and what it is.
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// The parser's description.
        message: String,
    },
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, error } => write!(f, "Cannot use {}: {error}", path.display()),
            Self::Empty => f.write_str("The preset file is empty."),
            Self::Syntax { line, col, message } => write!(
                f,
                "The preset file is damaged at line {line}, column {col}: {message}. Nothing was changed."
            ),
        }
    }
}

impl std::error::Error for PresetError {}

impl PresetError {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Io { path, error } => format!("无法使用 {}：{error}", path.display()),
            Self::Empty => "预设文件是空的。".to_owned(),
            Self::Syntax { line, col, message } => {
                format!("预设文件第 {line} 行第 {col} 列有错误：{message}。未做任何更改。")
            }
        }
    }
}

/// A preset as read from a file, with what the user should be told about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// The settings.
    pub preset: Preset,
    /// Skipped fields, a newer version.
    pub warnings: Vec<Warning>,
}

impl Preset {
    /// Parses a preset from RON text.
    pub fn from_ron(text: &str) -> Result<Loaded, PresetError> {
        if text.trim().is_empty() {
            return Err(PresetError::Empty);
        }
        let spanned = |error: ron::error::SpannedError| PresetError::Syntax {
            line: error.span.start.line,
            col: error.span.start.col,
            message: error.code.to_string(),
        };
        let mut deserializer = ron::Deserializer::from_str(text).map_err(spanned)?;
        let mut warnings = Vec::new();
        let parsed = serde_ignored::deserialize(&mut deserializer, |path| {
            let name = path.to_string();
            if !RETIRED.contains(&name.as_str()) {
                warnings.push(Warning::UnknownField(name));
            }
        });
        let preset: Self = parsed.map_err(|code| spanned(deserializer.span_error(code)))?;
        deserializer
            .end()
            .map_err(|code| spanned(deserializer.span_error(code)))?;
        if preset.version > FORMAT_VERSION {
            warnings.insert(0, Warning::NewerVersion(preset.version));
        }
        let mut preset = preset;
        preset.upgrade();
        Ok(Loaded { preset, warnings })
    }

    /// Brings a preset written by an older version to this one's meaning, so it sends the same bytes as it
    /// did: from version 1, the send box's encoding is the one it shared with the display, and quick
    /// commands are read as the send box was; from version 2 and older, braces in quick commands and
    /// replies that would now be variables are doubled; from versions 3 and 4, quick commands, replies and
    /// checks' sends are written in this version's grammar ([`crate::codec::template::format4`]). Presets
    /// of this version or newer are left as they are.
    pub fn upgrade(&mut self) {
        if self.version < 2 {
            self.send.encoding = self.encoding;
            let send = self.send;
            for quick in &mut self.quick {
                quick.input = send.input;
                quick.encoding = send.encoding;
                quick.escapes = send.escapes;
            }
        }
        if self.version < 3 {
            for quick in &mut self.quick {
                quick.text = protect_typed(&quick.text, quick.options(self.send));
            }
            for rule in &mut self.rules {
                rule.reply.protect_from_variables();
            }
        }
        if matches!(self.version, 3 | 4) {
            for quick in &mut self.quick {
                quick.text = typed_from_format_4(&quick.text, quick.options(self.send));
            }
            for rule in &mut self.rules {
                rule.reply.upgrade_from_format_4();
            }
            for check in &mut self.checks {
                sends_from_format_4(&mut check.steps);
            }
        }
        self.version = self.version.max(FORMAT_VERSION);
    }

    /// The preset as pretty RON, stamped with this build's [`FORMAT_VERSION`].
    #[must_use]
    pub fn to_ron(&self) -> String {
        let stamped = Self {
            version: FORMAT_VERSION,
            ..self.clone()
        };
        let config = ron::ser::PrettyConfig::new().struct_names(true);
        // Serializing plain structs, strings and enums to a String cannot fail.
        ron::ser::to_string_pretty(&stamped, config).unwrap_or_default()
    }

    /// Reads a preset file.
    pub fn load(path: &Path) -> Result<Loaded, PresetError> {
        let text = std::fs::read_to_string(path).map_err(|error| PresetError::Io {
            path: path.to_owned(),
            error,
        })?;
        Self::from_ron(&text)
    }

    /// Writes the preset to `path` through a temporary file beside it, so a failure leaves any old file whole.
    pub fn save(&self, path: &Path) -> Result<(), PresetError> {
        let io = |error| PresetError::Io {
            path: path.to_owned(),
            error,
        };
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".saving");
        let temporary = PathBuf::from(temporary);
        std::fs::write(&temporary, self.to_ron()).map_err(io)?;
        std::fs::rename(&temporary, path).map_err(|error| {
            // The rename failed; the temporary copy is of no use to anyone.
            let _ = std::fs::remove_file(&temporary);
            io(error)
        })
    }
}

/// `text` typed for sending before send variables existed (format version 2 and older), written so that
/// read with `options` it sends what it sent then.
#[must_use]
pub fn protect_typed(text: &str, options: SendOptions) -> String {
    let escapes = options.escapes && options.input == InputMode::Text;
    crate::codec::template::protect(text, escapes, false, |_| false)
}

/// `text` typed for sending under format version 3 or 4, written so that read with `options` it sends
/// what it sent then.
#[must_use]
pub fn typed_from_format_4(text: &str, options: SendOptions) -> String {
    crate::codec::template::format4::upgrade(text, options.input, options.escapes, false)
}

/// The `Send` steps of `steps` (in repeats too), saved under format version 3 or 4, in this version's
/// grammar; they may name captures.
fn sends_from_format_4(steps: &mut [Step]) {
    for step in steps {
        match step {
            Step::Send {
                text,
                input,
                escapes,
                ..
            } => *text = crate::codec::template::format4::upgrade(text, *input, *escapes, true),
            Step::Repeat { steps, .. } => sends_from_format_4(steps),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{HostPort, Mode};

    #[test]
    fn the_default_is_the_board_check_server() {
        let config = Preset::default().session().unwrap();
        assert_eq!(
            config.mode,
            Mode::TcpServer {
                bind: "0.0.0.0:10000".parse().unwrap(),
                max_clients: None
            }
        );
    }

    #[test]
    fn wrong_fields_are_named() {
        let mut settings = Preset {
            local_port: "70000".to_owned(),
            ..Preset::default()
        };
        let error = settings.session().unwrap_err();
        assert_eq!(error.field, Field::LocalPort);
        assert!(error.en.contains("70000"), "{}", error.en);

        settings.local_port = "7".to_owned();
        settings.local_ip = "192.168.1.300".to_owned();
        assert_eq!(settings.session().unwrap_err().field, Field::LocalIp);

        settings.mode = ModeKind::Udp;
        settings.local_ip = "::".to_owned();
        settings.multicast_group = "10.0.0.1".to_owned();
        assert_eq!(settings.session().unwrap_err().field, Field::Multicast);

        // A client's server host is checked at its field too, before anything is resolved.
        let client = Preset {
            mode: ModeKind::TcpClient,
            remote_host: "192.168.1.300".to_owned(),
            ..Preset::default()
        };
        let error = client.session().unwrap_err();
        assert_eq!(error.field, Field::RemoteHost);
        assert!(error.zh.contains("192.168.1.300"), "{}", error.zh);
    }

    #[test]
    fn an_error_holds_while_its_field_and_mode_are_unchanged() {
        let before = Preset {
            local_ip: "999.1.1.1".to_owned(),
            ..Preset::default()
        };
        let mut now = before.clone();
        now.local_port = "7".to_owned();
        assert!(Field::LocalIp.same_in(&before, &now));
        now.local_ip = "127.0.0.1".to_owned();
        assert!(!Field::LocalIp.same_in(&before, &now));
        let udp = Preset {
            mode: ModeKind::Udp,
            ..before.clone()
        };
        assert!(!Field::LocalIp.same_in(&before, &udp));
    }

    #[test]
    fn the_udp_receive_buffer_is_saved_checked_and_defaults_for_old_presets() {
        let old = Preset::from_ron("(mode: Udp, local_ip: \"127.0.0.1\", local_port: 0)").unwrap();
        assert!(old.warnings.is_empty(), "{:?}", old.warnings);
        let config = old.preset.session().unwrap();
        assert_eq!(
            config.udp_receive_buffer,
            engine::DEFAULT_UDP_RECEIVE_BUFFER
        );

        let mut settings = Preset {
            udp_receive_buffer_kib: "64".to_owned(),
            ..old.preset
        };
        let reloaded = Preset::from_ron(&settings.to_ron()).unwrap().preset;
        assert_eq!(reloaded.session().unwrap().udp_receive_buffer, 64 << 10);
        for wrong in ["0", "lots", "2000000"] {
            settings.udp_receive_buffer_kib = wrong.to_owned();
            let error = settings.session().unwrap_err();
            assert_eq!(error.field, Field::ReceiveBuffer, "{wrong}");
            assert!(
                error.en.contains(wrong) && error.zh.contains(wrong),
                "{error:?}"
            );
        }
    }

    #[test]
    fn scopes_are_kept_and_the_udp_remote_may_be_a_host_name() {
        let settings = Preset {
            mode: ModeKind::Udp,
            local_ip: "fe80::1%7".to_owned(),
            local_port: "7000".to_owned(),
            remote_host: "board.local".to_owned(),
            remote_port: "7001".to_owned(),
            ..Preset::default()
        };
        let config = settings.session().unwrap();
        let Mode::Udp { bind, remote, .. } = config.mode else {
            panic!("{:?}", config.mode);
        };
        assert_eq!(bind.to_string(), "[fe80::1%7]:7000");
        assert_eq!(
            remote,
            Some(HostPort {
                host: "board.local".to_owned(),
                port: 7001
            })
        );
        for (field, local_ip, remote_host) in [
            (Field::RemoteHost, "0.0.0.0", "192.168.1.300"),
            (Field::LocalIp, "fe80::1%no-such-nic0", ""),
        ] {
            let wrong = Preset {
                local_ip: local_ip.to_owned(),
                remote_host: remote_host.to_owned(),
                ..settings.clone()
            };
            assert_eq!(
                wrong.session().unwrap_err().field,
                field,
                "{local_ip} {remote_host}"
            );
        }
    }

    #[test]
    fn ipv6_in_brackets_and_an_empty_udp_remote_are_fine() {
        let settings = Preset {
            mode: ModeKind::Udp,
            local_ip: "[::1]".to_owned(),
            local_port: "0".to_owned(),
            remote_host: String::new(),
            ..Preset::default()
        };
        let config = settings.session().unwrap();
        assert!(matches!(config.mode, Mode::Udp { remote: None, .. }));
    }
}
