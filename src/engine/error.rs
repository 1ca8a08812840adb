//! Network errors as the engine reports them: the OS error kind is kept for code, and the messages say what
//! happened and what to do, in English ([`std::fmt::Display`]) and Chinese ([`NetError::zh`]).

use std::fmt;
use std::io;
use std::net::SocketAddr;

/// What the engine was doing when an error happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Binding the session's local address (TCP server or UDP), or the TCP client's optional local address.
    Bind,
    /// Accepting a new client on the server.
    Accept,
    /// Turning a host name or address text into an address.
    Resolve,
    /// Connecting the TCP client.
    Connect,
    /// Reading from a socket.
    Receive,
    /// Writing to a socket, or a send command that could not be carried out.
    Send,
    /// Joining or leaving a multicast group.
    Multicast,
    /// Setting up the session itself (event loop, socket options, TLS certificates).
    Setup,
    /// The TLS handshake, or TLS on an established connection.
    Tls,
}

/// The kind of failure, in the terms a user thinks in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The port is taken by another socket.
    AddrInUse,
    /// The OS refused (a privileged port, or broadcast without the broadcast option).
    PermissionDenied,
    /// The IP address does not belong to this PC.
    AddrNotAvailable,
    /// Nothing listens at the remote port.
    Refused,
    /// The remote did not answer in time.
    TimedOut,
    /// No route to the remote host or network.
    Unreachable,
    /// The address or host name is not valid, or could not be resolved.
    BadAddress,
    /// The peer reset the connection.
    Reset,
    /// The command cannot be carried out in this session (unknown peer, wrong mode).
    InvalidRequest,
    /// TLS failed: [`NetError::tls`] says how.
    Tls,
    /// A relay's target is the relay's own listener ([`NetError::self_target`]).
    SelfTarget,
    /// Anything else; the OS message is in the detail.
    Other,
}

impl Problem {
    /// The problem in one word, for scripts (`--json`): `refused`, `timed_out`, `unreachable`, …
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::AddrInUse => "addr_in_use",
            Self::PermissionDenied => "permission_denied",
            Self::AddrNotAvailable => "addr_not_available",
            Self::Refused => "refused",
            Self::TimedOut => "timed_out",
            Self::Unreachable => "unreachable",
            Self::BadAddress => "bad_address",
            Self::Reset => "reset",
            Self::InvalidRequest => "invalid_request",
            Self::Tls => "tls",
            Self::SelfTarget => "self_target",
            Self::Other => "other",
        }
    }
}

/// A failed network operation. Cheap to clone so it can travel in events and be shown more than once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetError {
    /// What was being done.
    pub op: Operation,
    /// The address involved, as text (`192.168.1.5:10000`, or a host name as typed), if any.
    pub addr: Option<String>,
    /// The OS error kind, for code that reacts to specific failures.
    pub kind: io::ErrorKind,
    /// The raw OS error code, when there is one.
    pub os_code: Option<i32>,
    /// The OS's own description, or the engine's for errors that do not come from the OS.
    pub detail: String,
    /// What went wrong with TLS, when it was TLS that failed; the messages are then its own.
    pub tls: Option<Box<super::TlsFailure>>,
    /// For [`Problem::SelfTarget`]: where the target was reached, and the relay's own listener there.
    pub self_target: Option<Box<SelfTarget>>,
    /// A TLS failure that closed a connection with a reset (RST) rather than a FIN: the peer was still
    /// sending, and a socket closed with bytes it did not read resets.
    pub reset: bool,
}

/// A relay's target that is the relay itself ([`Problem::SelfTarget`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelfTarget {
    /// The target's address that reaches the listener (a host name's address, or the address typed).
    pub reached: SocketAddr,
    /// The relay's listening address, as configured (`0.0.0.0:9000` for every address).
    pub listen: SocketAddr,
}

impl NetError {
    /// Wraps an OS error from `op` on `addr`.
    #[must_use]
    pub fn io(op: Operation, addr: Option<String>, err: &io::Error) -> Self {
        Self {
            op,
            addr,
            kind: err.kind(),
            os_code: err.raw_os_error(),
            detail: err.to_string(),
            tls: None,
            self_target: None,
            reset: false,
        }
    }

    /// An error the engine detected itself (not from the OS), e.g. a send to an unknown peer.
    #[must_use]
    pub fn invalid(op: Operation, addr: Option<String>, detail: impl Into<String>) -> Self {
        Self {
            op,
            addr,
            kind: io::ErrorKind::InvalidInput,
            os_code: None,
            detail: detail.into(),
            tls: None,
            self_target: None,
            reset: false,
        }
    }

    /// A connect that got no answer before the session's timeout.
    pub(crate) fn connect_timeout(addr: String, waited: std::time::Duration) -> Self {
        Self {
            op: Operation::Connect,
            addr: Some(addr),
            kind: io::ErrorKind::TimedOut,
            os_code: None,
            detail: format!("no answer within {} ms", waited.as_millis()),
            tls: None,
            self_target: None,
            reset: false,
        }
    }

    /// A TLS failure during `op` with `addr` (a peer, or a file for [`Operation::Setup`]).
    #[must_use]
    pub fn tls(op: Operation, addr: Option<String>, failure: super::TlsFailure) -> Self {
        Self {
            op,
            detail: failure.text(addr.as_deref().unwrap_or(""), crate::i18n::Lang::En),
            addr,
            kind: io::ErrorKind::Other,
            os_code: None,
            tls: Some(Box::new(failure)),
            self_target: None,
            reset: false,
        }
    }

    /// A relay whose target (`target` as typed) reaches `reached`, which is the relay's own listener on
    /// `listen`: each device would be connected back to the relay, without end.
    #[must_use]
    pub fn self_target(target: &str, reached: SocketAddr, listen: SocketAddr) -> Self {
        Self {
            op: Operation::Connect,
            addr: Some(target.to_owned()),
            kind: io::ErrorKind::InvalidInput,
            os_code: None,
            detail: format!(
                "{target} reaches {reached}, where the relay itself listens ({listen})"
            ),
            tls: None,
            self_target: Some(Box::new(SelfTarget { reached, listen })),
            reset: false,
        }
    }

    /// Classifies the error in the terms the messages use.
    #[must_use]
    pub fn problem(&self) -> Problem {
        use io::ErrorKind as K;
        if self.tls.is_some() {
            return Problem::Tls;
        }
        if self.self_target.is_some() {
            return Problem::SelfTarget;
        }
        match (self.op, self.kind) {
            (Operation::Resolve, _) => Problem::BadAddress,
            (_, K::AddrInUse) => Problem::AddrInUse,
            (_, K::PermissionDenied) => Problem::PermissionDenied,
            (_, K::AddrNotAvailable) => Problem::AddrNotAvailable,
            (_, K::ConnectionRefused) => Problem::Refused,
            (_, K::TimedOut) => Problem::TimedOut,
            (_, K::HostUnreachable | K::NetworkUnreachable) => Problem::Unreachable,
            (_, K::ConnectionReset | K::ConnectionAborted) => Problem::Reset,
            (_, K::InvalidInput) if self.os_code.is_none() => Problem::InvalidRequest,
            _ => Problem::Other,
        }
    }

    fn addr_or<'a>(&'a self, fallback: &'a str) -> &'a str {
        self.addr.as_deref().unwrap_or(fallback)
    }

    /// The port named in `addr`, if it ends in `:port`.
    fn port(&self) -> Option<&str> {
        self.addr.as_deref()?.rsplit_once(':').map(|(_, port)| port)
    }

    /// The message in Chinese, saying what happened and what to do.
    #[must_use]
    pub fn zh(&self) -> String {
        let addr = self.addr_or("该地址");
        match self.problem() {
            Problem::AddrInUse => format!(
                "端口 {} 已被其他程序占用。请关闭占用它的程序，或换一个端口。",
                self.port().unwrap_or(addr)
            ),
            Problem::PermissionDenied if self.op == Operation::Send => {
                format!("不允许发送到 {addr}。发往广播地址需要先勾选“广播”。")
            }
            Problem::PermissionDenied => {
                format!(
                    "没有权限使用 {addr}。某些系统上 1024 以下的端口需要管理员权限，请换一个大于 1024 的端口。"
                )
            }
            Problem::AddrNotAvailable => {
                format!("本机没有地址 {addr}。请选择本机的 IP 地址，或用 0.0.0.0 监听全部地址。")
            }
            Problem::Refused => {
                format!("{addr} 拒绝了连接：该端口上没有程序在监听。请确认服务器已启动、端口正确。")
            }
            Problem::TimedOut => format!(
                "{addr} 没有响应（{}）。请检查 IP 地址、网线/Wi-Fi 和防火墙。",
                self.detail
            ),
            Problem::Unreachable => {
                format!("无法到达 {addr}（没有路由）。请检查 IP 地址，并确认双方在同一网络。")
            }
            Problem::BadAddress => format!("“{addr}”不是有效的地址或主机名：{}", self.detail),
            Problem::Reset => format!("{addr} 重置了连接。"),
            Problem::InvalidRequest => format!("无法执行：{}", self.detail),
            Problem::Tls => self.tls_text(crate::i18n::Lang::Zh),
            Problem::SelfTarget => format!(
                "目标 {addr} 就是本中继自己：{}。每个设备都会被转接回本中继，一个接一个，直到本机的连接用尽。请把目标设为设备原本连接的服务器。",
                self.listen_text(crate::i18n::Lang::Zh)
            ),
            Problem::Other => format!("{} {addr} 失败：{}", self.op_zh(), self.detail),
        }
    }

    /// Where a [`Problem::SelfTarget`] target meets the relay's listener, naming the address that
    /// reaches it when that is not the target as typed (a host name, or a listener on every address).
    fn listen_text(&self, lang: crate::i18n::Lang) -> String {
        let Some(SelfTarget { reached, listen }) = self.self_target.as_deref().copied() else {
            return String::new();
        };
        let typed = self.addr.as_deref() == Some(reached.to_string().as_str());
        match (lang, typed) {
            (crate::i18n::Lang::En, true) => format!("it listens on {listen}"),
            (crate::i18n::Lang::En, false) => {
                format!("{reached} reaches it, listening on {listen}")
            }
            (crate::i18n::Lang::Zh, true) => format!("本中继正在 {listen} 上监听"),
            (crate::i18n::Lang::Zh, false) => {
                format!("{reached} 就是本中继（监听于 {listen}）")
            }
        }
    }

    fn tls_text(&self, lang: crate::i18n::Lang) -> String {
        let addr = self.addr.as_deref().unwrap_or("?");
        let mut text = self
            .tls
            .as_ref()
            .map_or_else(|| self.detail.clone(), |tls| tls.text(addr, lang));
        if self.reset {
            text.push_str(lang.pick(
                " NetAssist reset the connection (RST): the peer was still sending, and a connection \
                 closed with bytes unread is reset.",
                "NetAssist 重置了连接 (RST)：对方仍在发送，而关闭时还有未读数据的连接会被重置。",
            ));
        }
        text
    }

    fn op_zh(&self) -> &'static str {
        match self.op {
            Operation::Bind => "绑定",
            Operation::Accept => "接受连接",
            Operation::Resolve => "解析地址",
            Operation::Connect => "连接",
            Operation::Receive => "接收",
            Operation::Send => "发送",
            Operation::Multicast => "组播设置",
            Operation::Setup => "初始化",
            Operation::Tls => "TLS",
        }
    }

    fn op_en(&self) -> &'static str {
        match self.op {
            Operation::Bind => "Binding",
            Operation::Accept => "Accepting a client on",
            Operation::Resolve => "Resolving",
            Operation::Connect => "Connecting to",
            Operation::Receive => "Receiving from",
            Operation::Send => "Sending to",
            Operation::Multicast => "Multicast setup for",
            Operation::Setup => "Setting up",
            Operation::Tls => "TLS with",
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = self.addr_or("the address");
        match self.problem() {
            Problem::AddrInUse => write!(
                f,
                "Port {} is already in use by another program. Close it or pick another port.",
                self.port().unwrap_or(addr)
            ),
            Problem::PermissionDenied if self.op == Operation::Send => write!(
                f,
                "Not allowed to send to {addr}. Sending to a broadcast address needs the Broadcast option."
            ),
            Problem::PermissionDenied => write!(
                f,
                "Not allowed to use {addr}. Ports below 1024 need administrator rights on some systems; \
                 pick a port above 1024."
            ),
            Problem::AddrNotAvailable => write!(
                f,
                "This PC has no address {addr}. Pick one of its own addresses, or 0.0.0.0 for all of them."
            ),
            Problem::Refused => write!(
                f,
                "{addr} refused the connection: nothing is listening on that port. \
                 Check that the server is running and the port is right."
            ),
            Problem::TimedOut => write!(
                f,
                "No answer from {addr} ({}). Check the IP address, the cable or Wi-Fi, and any firewall.",
                self.detail
            ),
            Problem::Unreachable => write!(
                f,
                "{addr} cannot be reached from this PC (no route). \
                 Check the IP address and that both are on the same network."
            ),
            Problem::BadAddress => write!(
                f,
                "'{addr}' is not a valid address or host name: {}",
                self.detail
            ),
            Problem::Reset => write!(f, "{addr} reset the connection."),
            Problem::InvalidRequest => write!(f, "Cannot do that: {}", self.detail),
            Problem::Tls => f.write_str(&self.tls_text(crate::i18n::Lang::En)),
            Problem::SelfTarget => write!(
                f,
                "The target {addr} is this relay itself: {}. Each device would be connected back to \
                 the relay, one after another until the PC runs out of connections. Set the target to \
                 the server the device talks to.",
                self.listen_text(crate::i18n::Lang::En)
            ),
            Problem::Other => write!(f, "{} {addr} failed: {}", self.op_en(), self.detail),
        }
    }
}

impl std::error::Error for NetError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(op: Operation, addr: &str, kind: io::ErrorKind) -> NetError {
        NetError::io(op, Some(addr.to_owned()), &io::Error::from(kind))
    }

    #[test]
    fn addr_in_use_names_the_port_in_both_languages() {
        let e = err(Operation::Bind, "0.0.0.0:10000", io::ErrorKind::AddrInUse);
        assert_eq!(e.problem(), Problem::AddrInUse);
        assert!(
            e.to_string().starts_with("Port 10000 is already in use"),
            "{e}"
        );
        assert!(
            e.zh().starts_with("端口 10000 已被其他程序占用"),
            "{}",
            e.zh()
        );
    }

    #[test]
    fn a_tls_failure_that_reset_the_connection_says_so_in_both_languages() {
        let failure = super::super::TlsFailure::PlainClient {
            first: b"hello".to_vec(),
        };
        let mut e = NetError::tls(Operation::Tls, Some("127.0.0.1:4".to_owned()), failure);
        assert!(!e.to_string().contains("RST"), "{e}");
        e.reset = true;
        assert!(
            e.to_string()
                .ends_with("NetAssist reset the connection (RST): the peer was still sending, and a connection closed with bytes unread is reset."),
            "{e}"
        );
        assert!(e.zh().contains("NetAssist 重置了连接 (RST)"), "{}", e.zh());
    }

    #[test]
    fn ipv6_port_is_the_part_after_the_last_colon() {
        let e = err(Operation::Bind, "[::1]:7088", io::ErrorKind::AddrInUse);
        assert!(e.to_string().starts_with("Port 7088 "), "{e}");
    }

    #[test]
    fn broadcast_refusal_points_at_the_option() {
        let e = err(
            Operation::Send,
            "127.255.255.255:9",
            io::ErrorKind::PermissionDenied,
        );
        assert!(e.to_string().contains("Broadcast option"), "{e}");
        assert!(e.zh().contains("广播"), "{}", e.zh());
    }

    #[test]
    fn every_problem_is_classified() {
        use io::ErrorKind as K;
        let cases = [
            (Operation::Connect, K::ConnectionRefused, Problem::Refused),
            (Operation::Connect, K::TimedOut, Problem::TimedOut),
            (Operation::Connect, K::HostUnreachable, Problem::Unreachable),
            (
                Operation::Connect,
                K::NetworkUnreachable,
                Problem::Unreachable,
            ),
            (
                Operation::Bind,
                K::AddrNotAvailable,
                Problem::AddrNotAvailable,
            ),
            (Operation::Receive, K::ConnectionReset, Problem::Reset),
            (Operation::Resolve, K::Other, Problem::BadAddress),
            (Operation::Receive, K::BrokenPipe, Problem::Other),
        ];
        for (op, kind, want) in cases {
            assert_eq!(
                err(op, "10.0.0.1:1", kind).problem(),
                want,
                "{op:?} {kind:?}"
            );
        }
        let invalid = NetError::invalid(Operation::Send, None, "no peer #4");
        assert_eq!(invalid.problem(), Problem::InvalidRequest);
        assert_eq!(invalid.to_string(), "Cannot do that: no peer #4");
    }
}
