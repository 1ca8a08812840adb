//! A preset's fields checked one by one and turned into what the engine runs ([`Preset::session`]),
//! or the first field that is wrong ([`FieldError`], said in English and Chinese beside the field).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::{ModeKind, Preset};
use crate::addr::{self, AddrError, ScopedIp};
use crate::check::{Check, CheckError, CompiledCheck, Context, Role};
use crate::codec::FramerConfig;
use crate::engine::{self, HostPort, Mode, SessionConfig};
use crate::i18n::Lang;
use crate::rules::{RuleError, Rules};

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
    /// The UDP receive buffer size.
    ReceiveBuffer,
    /// The reply rules.
    Rules,
    /// The delimiter that splits received messages, as typed.
    Delimiter,
    /// The TLS server's certificate and key files (a relay's towards its devices).
    TlsCertificate,
    /// The TLS client's CA file and server name (a relay's towards its target).
    TlsVerify,
}

impl Field {
    /// Whether this field, and the mode it was checked in, are the same in `before` and `now`: an error
    /// about it still holds.
    #[must_use]
    pub fn same_in(self, before: &Preset, now: &Preset) -> bool {
        before.mode == now.mode
            && match self {
                Self::LocalIp => before.local_ip == now.local_ip,
                Self::LocalPort => before.local_port == now.local_port,
                Self::RemoteHost => before.remote_host == now.remote_host,
                Self::RemotePort => before.remote_port == now.remote_port,
                Self::Multicast => before.multicast_group == now.multicast_group,
                Self::MaxClients => before.max_clients == now.max_clients,
                Self::ReceiveBuffer => before.udp_receive_buffer_kib == now.udp_receive_buffer_kib,
                // The typed text is the window's; a usable one changes the framing.
                Self::Delimiter => before.framing == now.framing,
                Self::TlsCertificate => before.tls == now.tls,
                Self::TlsVerify => before.tls == now.tls && before.target_tls == now.target_tls,
                // Rules compile for the encoding and framing too.
                Self::Rules => {
                    before.rules == now.rules
                        && before.encoding == now.encoding
                        && before.framing == now.framing
                }
            }
    }
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
    /// The error about `field`, in English and Chinese.
    #[must_use]
    pub fn new(field: Field, en: String, zh: String) -> Self {
        Self { field, en, zh }
    }
}

impl crate::i18n::Text for FieldError {
    fn text(&self, lang: Lang) -> String {
        lang.pick_owned(&self.en, &self.zh)
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

/// Parses an IP address as typed (`[::1]` brackets allowed, an IPv6 scope kept: see [`addr::parse_ip`]).
pub fn parse_ip(text: &str, field: Field) -> Result<ScopedIp, FieldError> {
    addr::parse_ip(text).map_err(|error| field_error(field, &error))
}

/// Checks a host as typed: an IP address or a host name.
pub fn parse_host(text: &str, field: Field) -> Result<(), FieldError> {
    addr::parse_host(text)
        .map(|_| ())
        .map_err(|error| field_error(field, &error))
}

fn field_error(field: Field, error: &AddrError) -> FieldError {
    FieldError::new(field, error.to_string(), error.zh())
}

/// The largest UDP receive buffer a preset may ask for, in KiB (1 GiB); OSes cap it far lower anyway.
const MAX_RECEIVE_BUFFER_KIB: usize = 1 << 20;

impl Preset {
    /// The engine configuration this preset describes, or the first field that is wrong.
    pub fn session(&self) -> Result<SessionConfig, FieldError> {
        let mode = match self.mode {
            ModeKind::TcpServer => Mode::TcpServer {
                bind: self.local_bind()?,
                max_clients: self.max_clients()?,
            },
            ModeKind::TcpClient => {
                let HostPort { host, port } = self.server()?;
                let local = if self.local_ip.trim().is_empty() {
                    None
                } else {
                    Some(parse_ip(&self.local_ip, Field::LocalIp)?.with_port(0))
                };
                Mode::TcpClient {
                    host,
                    port,
                    local,
                    timeout: engine::DEFAULT_CONNECT_TIMEOUT,
                }
            }
            ModeKind::Relay => Mode::Relay {
                bind: self.local_bind()?,
                target: self.server()?,
                max_clients: self.max_clients()?,
                timeout: engine::DEFAULT_CONNECT_TIMEOUT,
            },
            ModeKind::Udp => Mode::Udp {
                bind: self.local_bind()?,
                remote: self.udp_remote()?,
                broadcast: self.broadcast,
                multicast: self.multicast()?,
            },
        };
        let rules = self
            .rules()
            .map_err(|error| FieldError::new(Field::Rules, error.to_string(), error.zh()))?;
        if rules.has_onward() && self.mode != ModeKind::Relay {
            return Err(FieldError::new(
                Field::Rules,
                "A reply rule sends its answer on to the other side of a relay pair, which only relay \
                 mode has. Switch that rule back to answering the sender, or pick Relay."
                    .to_owned(),
                "有应答规则把应答转发到中继对的另一端，只有中继模式才有另一端。请让该规则改为回复发送方，或选择中继模式。"
                    .to_owned(),
            ));
        }
        // A relay forwards what it reads; echoing it too would send it back as well.
        let echoes = matches!(self.mode, ModeKind::TcpServer | ModeKind::Udp);
        let mut config = SessionConfig::new(mode)
            .with_echo(self.echo && echoes)
            .with_rules(rules);
        match self.mode {
            ModeKind::Udp => config.udp_receive_buffer = self.udp_receive_buffer()?,
            ModeKind::TcpServer => config.tls_accept = self.tls.accept()?,
            ModeKind::TcpClient => config.tls_connect = self.tls.connect(),
            ModeKind::Relay => {
                config.tls_accept = self.tls.accept()?;
                config.tls_connect = self.target_tls.connect();
            }
        }
        Ok(config)
    }

    /// What a check runs against in this preset's session: its mode, the encoding and framing that
    /// `expect` matches with, and the send options that end every `send`.
    #[must_use]
    pub fn check_context(&self) -> Context {
        Context {
            role: match self.mode {
                ModeKind::TcpServer | ModeKind::Relay => Role::Server,
                ModeKind::TcpClient => Role::Client,
                ModeKind::Udp => Role::Udp,
            },
            encoding: self.encoding,
            framing: self.framing.clone(),
            send: self.send,
        }
    }

    /// `check` compiled for this preset's session, or its first problem.
    pub fn compile_check(&self, check: &Check) -> Result<CompiledCheck, CheckError> {
        crate::check::compile(check, &self.check_context())
    }

    /// The check named `name` (surrounding spaces aside), if the preset has one.
    #[must_use]
    pub fn check_named(&self, name: &str) -> Option<&Check> {
        self.checks
            .iter()
            .find(|check| check.name.trim() == name.trim())
    }

    /// The reply rules compiled for this preset's encoding and framing, or the first one that is wrong.
    pub fn rules(&self) -> Result<Rules, RuleError> {
        Rules::new(
            &self.rules,
            self.encoding,
            FramerConfig::from(self.framing.clone()),
        )
    }

    fn local_bind(&self) -> Result<SocketAddr, FieldError> {
        let ip = parse_ip(&self.local_ip, Field::LocalIp)?;
        Ok(ip.with_port(parse_port(&self.local_port, Field::LocalPort)?))
    }

    /// The client's server or the relay's target: an address or a host name, resolved when the session
    /// starts.
    fn server(&self) -> Result<HostPort, FieldError> {
        let host = self.remote_host.trim();
        if host.is_empty() {
            return Err(FieldError::new(
                Field::RemoteHost,
                "Type the server's IP address or host name.".to_owned(),
                "请输入服务器的 IP 地址或主机名。".to_owned(),
            ));
        }
        parse_host(host, Field::RemoteHost)?;
        let port = parse_port(&self.remote_port, Field::RemotePort)?;
        // Port 0 asks the OS for any free port when listening; nothing can be connected to at it.
        if port == 0 {
            return Err(FieldError::new(
                Field::RemotePort,
                "Port 0 cannot be connected to: type the port the server listens on.".to_owned(),
                "无法连接到端口 0：请输入服务器监听的端口。".to_owned(),
            ));
        }
        Ok(HostPort {
            host: host.to_owned(),
            port,
        })
    }

    /// The UDP default remote: an address or a host name, resolved when the session starts.
    fn udp_remote(&self) -> Result<Option<HostPort>, FieldError> {
        let host = self.remote_host.trim();
        if host.is_empty() {
            return Ok(None);
        }
        addr::parse_host(host).map_err(|error| field_error(Field::RemoteHost, &error))?;
        Ok(Some(HostPort {
            host: host.to_owned(),
            port: parse_port(&self.remote_port, Field::RemotePort)?,
        }))
    }

    fn udp_receive_buffer(&self) -> Result<usize, FieldError> {
        let text = self.udp_receive_buffer_kib.trim();
        match text.parse::<usize>() {
            Ok(kib) if (1..=MAX_RECEIVE_BUFFER_KIB).contains(&kib) => Ok(kib << 10),
            _ => Err(FieldError::new(
                Field::ReceiveBuffer,
                format!(
                    "Receive buffer '{text}' is not a number of KiB from 1 to {MAX_RECEIVE_BUFFER_KIB} \
                     (4096 is 4 MiB)."
                ),
                format!(
                    "接收缓冲区“{text}”不是 1 到 {MAX_RECEIVE_BUFFER_KIB} 之间的 KiB 数（4096 即 4 MiB）。"
                ),
            )),
        }
    }

    fn multicast(&self) -> Result<Vec<IpAddr>, FieldError> {
        if self.multicast_group.trim().is_empty() {
            return Ok(Vec::new());
        }
        let group = parse_ip(&self.multicast_group, Field::Multicast)?.ip;
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
}
