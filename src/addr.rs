//! Addresses as users write them, parsed in one place for the window, presets, the command line and the
//! engine.
//!
//! An IPv6 address may carry its scope (zone) after a `%`: a number (`fe80::1%12`, as Windows writes it) or,
//! on Unix, an interface name (`fe80::1%eth0`). Brackets are optional around an address alone (`[::1]`) and
//! needed before a port (`[fe80::1%eth0]:7000`). The scope is kept, because a link-local address means
//! nothing without it: binding `fe80::1` without one fails. Addresses shown back carry it as a number, the way
//! [`std::net::SocketAddrV6`] prints it.

use std::fmt;
use std::net::{IpAddr, SocketAddr, SocketAddrV6};

/// An IP address as typed, with the IPv6 scope it carried (0 for none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopedIp {
    /// The address.
    pub ip: IpAddr,
    /// The IPv6 scope id (an interface index); 0 when none was given, and always for IPv4.
    pub scope_id: u32,
}

impl ScopedIp {
    /// The socket address of this IP at `port`, scope kept.
    #[must_use]
    pub fn with_port(self, port: u16) -> SocketAddr {
        match self.ip {
            IpAddr::V4(ip) => SocketAddr::from((ip, port)),
            IpAddr::V6(ip) => SocketAddr::V6(SocketAddrV6::new(ip, port, 0, self.scope_id)),
        }
    }
}

impl fmt::Display for ScopedIp {
    /// The address as [`parse_ip`] reads it back: an IPv6 scope as its number (`fe80::1%12`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ip {
            IpAddr::V6(ip) if self.scope_id != 0 => write!(f, "{ip}%{}", self.scope_id),
            ip => write!(f, "{ip}"),
        }
    }
}

/// A remote host as typed: an IP address, or a name to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host<'a> {
    /// An IP address, scope included.
    Ip(ScopedIp),
    /// A host name (`board.local`), trimmed.
    Name(&'a str),
}

/// Why address text could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrError {
    /// Not an IP address at all.
    NotIp(String),
    /// A scope (`%…`) after an IPv4 address; only IPv6 addresses have one.
    ScopeOnIpv4(String),
    /// The scope names no network interface of this PC.
    NoSuchInterface {
        /// The whole text, as typed.
        text: String,
        /// The interface name after `%`.
        name: String,
    },
    /// The scope is an interface name, and this OS takes only numbers there.
    NamedScopeUnsupported {
        /// The whole text, as typed.
        text: String,
        /// The interface name after `%`.
        name: String,
    },
    /// Neither an IP address nor a host name.
    NotHost(String),
    /// Not `HOST:PORT` (an IPv6 host in brackets).
    NotHostPort(String),
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotIp(text) => write!(
                f,
                "'{text}' is not an IP address such as 192.168.1.10, ::1 or fe80::1%eth0."
            ),
            Self::ScopeOnIpv4(text) => write!(
                f,
                "'{text}': only IPv6 addresses take a scope after '%'; remove it."
            ),
            Self::NoSuchInterface { text, name } => write!(
                f,
                "'{text}': this PC has no network interface '{name}'. Use one of its interface names or \
                 its number."
            ),
            Self::NamedScopeUnsupported { text, name } => write!(
                f,
                "'{text}': use the interface's number instead of the name '{name}' (such as fe80::1%12; \
                 `ipconfig` shows it after the '%')."
            ),
            Self::NotHost(text) => write!(
                f,
                "'{text}' is neither an IP address nor a host name, such as 192.168.1.10 or board.local."
            ),
            Self::NotHostPort(text) => write!(
                f,
                "'{text}' is not HOST:PORT, such as 192.168.1.5:10000, board.local:7000 or [::1]:7000"
            ),
        }
    }
}

impl std::error::Error for AddrError {}

impl AddrError {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::NotIp(text) => {
                format!("“{text}”不是 IP 地址（例如 192.168.1.10、::1 或 fe80::1%eth0）。")
            }
            Self::ScopeOnIpv4(text) => {
                format!("“{text}”：只有 IPv6 地址可以在“%”后带作用域，请去掉它。")
            }
            Self::NoSuchInterface { text, name } => {
                format!("“{text}”：本机没有名为“{name}”的网络接口。请使用本机的接口名或接口编号。")
            }
            Self::NamedScopeUnsupported { text, name } => format!(
                "“{text}”：请用接口编号代替名称“{name}”（例如 fe80::1%12；`ipconfig` 在“%”后显示该编号）。"
            ),
            Self::NotHost(text) => {
                format!("“{text}”既不是 IP 地址也不是主机名（例如 192.168.1.10 或 board.local）。")
            }
            Self::NotHostPort(text) => format!(
                "“{text}”不是“主机:端口”格式（例如 192.168.1.5:10000、board.local:7000 或 [::1]:7000）"
            ),
        }
    }
}

/// Parses an IP address as typed: IPv4, or IPv6 with an optional scope, with or without brackets.
pub fn parse_ip(text: &str) -> Result<ScopedIp, AddrError> {
    let text = text.trim();
    let bare = text
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(text);
    let (ip_text, scope) = match bare.split_once('%') {
        Some((ip, scope)) => (ip, Some(scope)),
        None => (bare, None),
    };
    let ip: IpAddr = ip_text
        .parse()
        .map_err(|_| AddrError::NotIp(text.to_owned()))?;
    let scope_id = match (ip, scope) {
        (_, None) => 0,
        (IpAddr::V4(_), Some(_)) => return Err(AddrError::ScopeOnIpv4(text.to_owned())),
        (IpAddr::V6(_), Some(scope)) => scope_id(text, scope)?,
    };
    Ok(ScopedIp { ip, scope_id })
}

/// The scope id `scope` stands for: a number as it is, an interface name as that interface's index.
fn scope_id(text: &str, scope: &str) -> Result<u32, AddrError> {
    if scope.is_empty() {
        return Err(AddrError::NotIp(text.to_owned()));
    }
    if scope.bytes().all(|b| b.is_ascii_digit()) {
        return scope.parse().map_err(|_| AddrError::NotIp(text.to_owned()));
    }
    interface_index(text, scope)
}

#[cfg(unix)]
fn interface_index(text: &str, name: &str) -> Result<u32, AddrError> {
    nix::net::if_::if_nametoindex(name).map_err(|_| AddrError::NoSuchInterface {
        text: text.to_owned(),
        name: name.to_owned(),
    })
}

// Windows writes scopes as numbers, and its interface names ("Ethernet 2") are not what goes after '%'.
#[cfg(not(unix))]
fn interface_index(text: &str, name: &str) -> Result<u32, AddrError> {
    Err(AddrError::NamedScopeUnsupported {
        text: text.to_owned(),
        name: name.to_owned(),
    })
}

/// Parses a remote host as typed: an IP address as [`parse_ip`] takes it, or a host name. A typo such as
/// `192.168.1.300` or `my board` is refused at once instead of being sent to a name server, which could
/// take seconds to say no.
pub fn parse_host(text: &str) -> Result<Host<'_>, AddrError> {
    let text = text.trim();
    match parse_ip(text) {
        Ok(ip) => Ok(Host::Ip(ip)),
        Err(AddrError::NotIp(_)) if is_host_name(text) => Ok(Host::Name(text)),
        Err(AddrError::NotIp(_)) => Err(AddrError::NotHost(text.to_owned())),
        // A wrong scope is a mistake in an address, and says so.
        Err(error) => Err(error),
    }
}

/// Whether `name` can be a host name (a DNS name) at all.
fn is_host_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    // A name whose last label is all digits would be an IPv4 address, and this one did not parse as one.
    let numeric_tail = labels
        .last()
        .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()));
    name.len() <= 253 && labels.iter().all(label_ok) && !numeric_tail
}

/// Splits `HOST:PORT` into host (brackets taken off) and port, both still text. An IPv6 host needs its
/// brackets, so the port's colon is never mistaken for one of the address's.
pub fn split_host_port(text: &str) -> Result<(&str, &str), AddrError> {
    let bad = || AddrError::NotHostPort(text.to_owned());
    let (host, port) = text.trim().rsplit_once(':').ok_or_else(bad)?;
    let host = match host.strip_prefix('[') {
        Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
        None if host.contains(':') => return Err(bad()),
        None => host,
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host, port))
}

/// An address as the user knows it: an IPv4-mapped IPv6 address (`::ffff:192.168.1.5`, how a dual-stack
/// `[::]` socket sees an IPv4 peer) becomes the IPv4 address; any other address is kept whole, IPv6 scope
/// included.
#[must_use]
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::from((v4, v6.port())),
            None => addr,
        },
        SocketAddr::V4(_) => addr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(text: &str, scope_id: u32) -> ScopedIp {
        ScopedIp {
            ip: text.parse().unwrap(),
            scope_id,
        }
    }

    #[test]
    fn a_numeric_scope_is_kept() {
        assert_eq!(parse_ip("fe80::1%12").unwrap(), v6("fe80::1", 12));
        assert_eq!(parse_ip(" [fe80::1%3] ").unwrap(), v6("fe80::1", 3));
        let ip = parse_ip("fe80::1%12").unwrap();
        assert_eq!(ip.to_string(), "fe80::1%12");
        assert_eq!(ip.with_port(7000).to_string(), "[fe80::1%12]:7000");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_interface_name_becomes_its_index() {
        let lo = nix::net::if_::if_nametoindex("lo").unwrap();
        assert_eq!(parse_ip("fe80::1%lo").unwrap(), v6("fe80::1", lo));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn bracketed_with_a_port() {
        let (host, port) = split_host_port("[fe80::1%lo]:7000").unwrap();
        assert_eq!((host, port), ("fe80::1%lo", "7000"));
        let lo = nix::net::if_::if_nametoindex("lo").unwrap();
        let addr = parse_ip(host).unwrap().with_port(port.parse().unwrap());
        let want = SocketAddrV6::new("fe80::1".parse().unwrap(), 7000, 0, lo);
        assert_eq!(addr, SocketAddr::V6(want));
    }

    #[test]
    fn a_bad_interface_name_is_an_error_in_both_languages() {
        let error = parse_ip("fe80::1%no-such-nic0").unwrap_err();
        assert!(
            matches!(
                &error,
                AddrError::NoSuchInterface { name, .. } | AddrError::NamedScopeUnsupported { name, .. }
                    if name == "no-such-nic0"
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("no-such-nic0"), "{error}");
        assert!(error.zh().contains("no-such-nic0"), "{}", error.zh());
    }

    #[test]
    fn wrong_text_is_refused() {
        for text in [
            "192.168.1.300",
            "fe80::1%",
            "board.local",
            "10.0.0.1%2",
            "[::1",
        ] {
            assert!(parse_ip(text).is_err(), "{text}");
        }
        assert!(matches!(
            parse_ip("10.0.0.1%2"),
            Err(AddrError::ScopeOnIpv4(_))
        ));
        for text in ["no-port", "::1:7000", "[::1:7000", ":7000"] {
            assert!(split_host_port(text).is_err(), "{text}");
        }
        assert_eq!(
            split_host_port("board.local:7000").unwrap(),
            ("board.local", "7000")
        );
    }

    #[test]
    fn typos_are_not_host_names() {
        for good in ["localhost", "board.local", "a-b.example.", "x1"] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            "192.168.1.300",
            "1.2.3",
            "my board",
            "board!",
            "-x.com",
            "a..b",
            "例子",
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn hosts_are_addresses_or_names() {
        assert_eq!(parse_host(" board.local "), Ok(Host::Name("board.local")));
        assert_eq!(parse_host("fe80::1%2"), Ok(Host::Ip(v6("fe80::1", 2))));
        assert_eq!(
            parse_host("192.168.1.300"),
            Err(AddrError::NotHost("192.168.1.300".to_owned()))
        );
        assert!(matches!(
            parse_host("10.0.0.1%2"),
            Err(AddrError::ScopeOnIpv4(_))
        ));
    }

    #[test]
    fn mapped_ipv4_is_shown_as_ipv4_and_scopes_stay() {
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        assert_eq!(canonical(mapped), "127.0.0.1:5000".parse().unwrap());
        let scoped: SocketAddr = "[fe80::1%4]:5000".parse().unwrap();
        assert_eq!(canonical(scoped), scoped);
    }
}
