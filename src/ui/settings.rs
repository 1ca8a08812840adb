//! What the window remembers between runs (and what a preset will hold): the session's addresses and
//! options, how traffic is shown, and the send box. Runtime state (sockets, the log) lives in the app.
//!
//! Fields are kept as the user typed them, so a half-typed port survives a restart; [`Settings::session`]
//! turns them into an engine configuration or says which field is wrong.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::i18n::Lang;
use crate::codec::{ControlStyle, Framing, SendOptions, TextEncoding};
use crate::engine::{self, Mode, SessionConfig};

/// The three kinds of session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModeKind {
    /// Listen for TCP clients.
    #[default]
    TcpServer,
    /// Connect to a TCP server.
    TcpClient,
    /// UDP datagrams.
    Udp,
}

impl ModeKind {
    /// Every mode, in menu order.
    pub const ALL: [Self; 3] = [Self::TcpServer, Self::TcpClient, Self::Udp];

    /// The mode's name in `lang`.
    #[must_use]
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Self::TcpServer => lang.pick("TCP Server", "TCP 服务器"),
            Self::TcpClient => lang.pick("TCP Client", "TCP 客户端"),
            Self::Udp => "UDP",
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QuickCommand {
    /// The button's label.
    pub name: String,
    /// What is sent, read with the send box's options.
    pub text: String,
}

/// Everything the window remembers.
// Settings are a list of the window's switches; grouping the booleans into enums would only rename them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Language of the window.
    pub lang: Lang,
    /// Light, dark, or as the system says.
    pub theme: egui::ThemePreference,
    /// Session kind.
    pub mode: ModeKind,
    /// Local IP to bind (server, UDP) or to connect from (client; empty for any).
    pub local_ip: String,
    /// Local port (server, UDP; `0` lets the system choose).
    pub local_port: String,
    /// Remote host (client) or default destination (UDP).
    pub remote_host: String,
    /// Remote port.
    pub remote_port: String,
    /// UDP: allow broadcast destinations.
    pub broadcast: bool,
    /// UDP: multicast group to join when opening (empty for none).
    pub multicast_group: String,
    /// TCP server: most clients at once (empty for no limit).
    pub max_clients: String,
    /// Send everything received straight back.
    pub echo: bool,
    /// Show data as text, hex or both.
    pub view: DataView,
    /// Encoding of text shown and sent.
    pub encoding: TextEncoding,
    /// How control characters are shown.
    pub control_style: ControlStyle,
    /// How received bytes are split into rows.
    pub framing: Framing,
    /// The delimiter as typed, with escapes (`\r\n`, `\x03`); it sets the delimiter framing's bytes.
    pub delimiter_text: String,
    /// Memory the on-screen log may use, in MiB; the oldest rows go first (counters stay exact).
    pub log_mib: usize,
    /// Wrap long rows.
    pub wrap: bool,
    /// Follow new rows.
    pub auto_scroll: bool,
    /// Send box options (text/hex, escapes, line ending, checksum); its encoding follows `encoding`.
    pub send: SendOptions,
    /// What is in the send box.
    pub send_text: String,
    /// Sent inputs, newest last, at most [`HISTORY_LEN`].
    pub history: Vec<String>,
    /// The user's quick-command buttons.
    pub quick: Vec<QuickCommand>,
    /// Periodic send interval in milliseconds.
    pub periodic_ms: String,
    /// Periodic send count (empty or 0 for no end).
    pub periodic_count: String,
}

/// How many sent inputs the history keeps.
pub const HISTORY_LEN: usize = 50;

impl Default for Settings {
    fn default() -> Self {
        Self {
            lang: Lang::system(),
            theme: egui::ThemePreference::System,
            mode: ModeKind::TcpServer,
            local_ip: "0.0.0.0".to_owned(),
            local_port: "10000".to_owned(),
            remote_host: "127.0.0.1".to_owned(),
            remote_port: "10000".to_owned(),
            broadcast: false,
            multicast_group: String::new(),
            max_clients: String::new(),
            echo: false,
            view: DataView::Text,
            encoding: TextEncoding::Utf8,
            control_style: ControlStyle::Escapes,
            framing: Framing::Raw,
            delimiter_text: r"\n".to_owned(),
            log_mib: crate::traffic::DEFAULT_BYTE_BUDGET >> 20,
            wrap: false,
            auto_scroll: true,
            send: SendOptions::default(),
            send_text: String::new(),
            history: Vec::new(),
            quick: Vec::new(),
            periodic_ms: "1000".to_owned(),
            periodic_count: String::new(),
        }
    }
}

/// A settings field that does not hold a usable value, with the message to show beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The local IP.
    LocalIp,
    /// The local port.
    LocalPort,
    /// The remote host.
    RemoteHost,
    /// The remote port.
    RemotePort,
    /// The multicast group.
    Multicast,
    /// The client limit.
    MaxClients,
}

/// Which field is wrong and why, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field to mark.
    pub field: Field,
    /// English message.
    pub en: String,
    /// Chinese message.
    pub zh: String,
}

impl FieldError {
    fn new(field: Field, en: String, zh: String) -> Self {
        Self { field, en, zh }
    }

    /// The message in `lang`.
    #[must_use]
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// Parses a port as typed: 0–65535.
pub fn parse_port(text: &str, field: Field) -> Result<u16, FieldError> {
    let text = text.trim();
    text.parse::<u16>().map_err(|_| {
        FieldError::new(
            field,
            format!("Port '{text}' is not a number from 0 to 65535."),
            format!("端口“{text}”不是 0 到 65535 之间的数字。"),
        )
    })
}

/// Parses an IP address as typed (`[::1]` brackets allowed).
pub fn parse_ip(text: &str, field: Field) -> Result<IpAddr, FieldError> {
    let text = text.trim();
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().map_err(|_| {
        FieldError::new(
            field,
            format!("'{text}' is not an IP address such as 192.168.1.10 or ::1."),
            format!("“{text}”不是 IP 地址（例如 192.168.1.10 或 ::1）。"),
        )
    })
}

impl Settings {
    /// The engine configuration these settings describe, or the first field that is wrong.
    pub fn session(&self) -> Result<SessionConfig, FieldError> {
        let mode = match self.mode {
            ModeKind::TcpServer => Mode::TcpServer {
                bind: self.local_bind()?,
                max_clients: self.max_clients()?,
            },
            ModeKind::TcpClient => {
                let host = self.remote_host.trim();
                if host.is_empty() {
                    return Err(FieldError::new(
                        Field::RemoteHost,
                        "Type the server's IP address or host name.".to_owned(),
                        "请输入服务器的 IP 地址或主机名。".to_owned(),
                    ));
                }
                let local = if self.local_ip.trim().is_empty() {
                    None
                } else {
                    Some(SocketAddr::new(
                        parse_ip(&self.local_ip, Field::LocalIp)?,
                        0,
                    ))
                };
                Mode::TcpClient {
                    host: host.to_owned(),
                    port: parse_port(&self.remote_port, Field::RemotePort)?,
                    local,
                    timeout: engine::DEFAULT_CONNECT_TIMEOUT,
                }
            }
            ModeKind::Udp => Mode::Udp {
                bind: self.local_bind()?,
                remote: self.udp_remote()?,
                broadcast: self.broadcast,
                multicast: self.multicast()?,
            },
        };
        Ok(SessionConfig::new(mode).with_echo(self.echo && self.mode != ModeKind::TcpClient))
    }

    fn local_bind(&self) -> Result<SocketAddr, FieldError> {
        Ok(SocketAddr::new(
            parse_ip(&self.local_ip, Field::LocalIp)?,
            parse_port(&self.local_port, Field::LocalPort)?,
        ))
    }

    fn udp_remote(&self) -> Result<Option<SocketAddr>, FieldError> {
        if self.remote_host.trim().is_empty() {
            return Ok(None);
        }
        Ok(Some(SocketAddr::new(
            parse_ip(&self.remote_host, Field::RemoteHost)?,
            parse_port(&self.remote_port, Field::RemotePort)?,
        )))
    }

    fn multicast(&self) -> Result<Vec<IpAddr>, FieldError> {
        if self.multicast_group.trim().is_empty() {
            return Ok(Vec::new());
        }
        let group = parse_ip(&self.multicast_group, Field::Multicast)?;
        if group.is_multicast() {
            Ok(vec![group])
        } else {
            Err(FieldError::new(
                Field::Multicast,
                format!(
                    "{group} is not a multicast group (224.0.0.0–239.255.255.255 or ff00::/8)."
                ),
                format!("{group} 不是组播地址（224.0.0.0–239.255.255.255 或 ff00::/8）。"),
            ))
        }
    }

    fn max_clients(&self) -> Result<Option<usize>, FieldError> {
        let text = self.max_clients.trim();
        if text.is_empty() || text == "0" {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            FieldError::new(
                Field::MaxClients,
                format!(
                    "Max clients '{text}' is not a whole number (leave it empty for no limit)."
                ),
                format!("最大客户端数“{text}”不是整数（留空表示不限）。"),
            )
        })
    }

    /// The send options with the display encoding, which sending shares.
    #[must_use]
    pub fn send_options(&self) -> SendOptions {
        SendOptions {
            encoding: self.encoding,
            ..self.send
        }
    }

    /// The periodic interval and count as typed, or a message saying which is wrong.
    pub fn periodic(&self) -> Result<(Duration, Option<u64>), (String, String)> {
        let ms: u64 = self.periodic_ms.trim().parse().map_err(|_| {
            (
                format!(
                    "Interval '{}' is not a number of milliseconds.",
                    self.periodic_ms.trim()
                ),
                format!("间隔“{}”不是毫秒数。", self.periodic_ms.trim()),
            )
        })?;
        let count = match self.periodic_count.trim() {
            "" | "0" => None,
            text => Some(text.parse::<u64>().map_err(|_| {
                (
                    format!("Count '{text}' is not a whole number (empty for no end)."),
                    format!("次数“{text}”不是整数（留空表示一直发送）。"),
                )
            })?),
        };
        Ok((Duration::from_millis(ms), count))
    }

    /// Records a sent input in the history: newest last, no repeats, at most [`HISTORY_LEN`].
    pub fn remember(&mut self, input: &str) {
        if input.is_empty() {
            return;
        }
        self.history.retain(|old| old != input);
        self.history.push(input.to_owned());
        if self.history.len() > HISTORY_LEN {
            self.history.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_board_check_server() {
        let config = Settings::default().session().unwrap();
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
        let mut settings = Settings {
            local_port: "70000".to_owned(),
            ..Settings::default()
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
    }

    #[test]
    fn ipv6_in_brackets_and_an_empty_udp_remote_are_fine() {
        let settings = Settings {
            mode: ModeKind::Udp,
            local_ip: "[::1]".to_owned(),
            local_port: "0".to_owned(),
            remote_host: String::new(),
            ..Settings::default()
        };
        let config = settings.session().unwrap();
        assert!(matches!(config.mode, Mode::Udp { remote: None, .. }));
    }

    #[test]
    fn history_keeps_the_newest_fifty_without_repeats() {
        let mut settings = Settings::default();
        for i in 0..60 {
            settings.remember(&format!("cmd {i}"));
        }
        settings.remember("cmd 20");
        settings.remember("");
        assert_eq!(settings.history.len(), HISTORY_LEN);
        assert_eq!(settings.history.last().map(String::as_str), Some("cmd 20"));
        assert_eq!(
            settings.history.iter().filter(|h| *h == "cmd 20").count(),
            1
        );
    }
}
