//! Whether the bind port can be opened, by opening it as the session would (same socket options), and when
//! it cannot, why: held by this program's own session (which is as it should be), or taken (with the processes that hold it, through `listeners`), below Linux's first
//! unprivileged port, or an address this PC does not have. [`port_finding`] does the I/O; the reasoning,
//! [`bind_failure`], is pure.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use serde::Serialize;

use super::{Finding, Protocol};
use crate::engine::{NetError, Operation, Problem};

/// A process holding a port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Owner {
    /// Its process id.
    pub pid: u32,
    /// Its program name, as the OS gives it (`python3`, `java.exe`).
    pub name: String,
}

impl fmt::Display for Owner {
    /// `python3 (PID 1234)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (PID {})", self.name, self.pid)
    }
}

/// What opening the port at `addr` says, as the session in `protocol` would open it. `own_session` is the
/// address this program's own session holds in `protocol`, if one is open: when it is the port asked about,
/// the port is this session's, not taken.
#[must_use]
pub fn port_finding(
    addr: SocketAddr,
    protocol: Protocol,
    own_session: Option<SocketAddr>,
) -> Finding {
    if addr.port() == 0 {
        return Finding::PortAny { protocol };
    }
    if let Some(own) =
        own_session.filter(|own| own.port() == addr.port() && overlap(own.ip(), addr.ip()))
    {
        return Finding::PortThisSession {
            addr: own,
            protocol,
        };
    }
    match crate::engine::try_bind(addr, protocol == Protocol::Udp) {
        Ok(()) => Finding::PortFree { addr, protocol },
        Err(error) => {
            let error = NetError::io(Operation::Bind, Some(addr.to_string()), &error);
            let owners = if matches!(
                error.problem(),
                Problem::AddrInUse | Problem::PermissionDenied
            ) {
                owners(addr, protocol)
            } else {
                Vec::new()
            };
            bind_failure(addr, protocol, error, owners, first_unprivileged_port())
        }
    }
}

/// What a failure to open `addr` means. `owners` are the processes that hold the port, `first_unprivileged`
/// the first port a normal user may open (Linux only; `None` elsewhere).
#[must_use]
pub fn bind_failure(
    addr: SocketAddr,
    protocol: Protocol,
    error: NetError,
    owners: Vec<Owner>,
    first_unprivileged: Option<u16>,
) -> Finding {
    match error.problem() {
        Problem::AddrInUse => Finding::PortTaken {
            addr,
            protocol,
            owners,
        },
        Problem::PermissionDenied => match first_unprivileged {
            Some(first) if addr.port() < first => Finding::PortPrivileged {
                addr,
                protocol,
                first_unprivileged: first,
            },
            // Windows answers "access denied" for a port another program holds exclusively.
            _ if !owners.is_empty() => Finding::PortTaken {
                addr,
                protocol,
                owners,
            },
            _ => Finding::BindFailed { error },
        },
        Problem::AddrNotAvailable => Finding::BindNotHere { ip: addr.ip() },
        _ => Finding::BindFailed { error },
    }
}

/// The first port a normal user may open: Linux's `net.ipv4.ip_unprivileged_port_start` (1024 unless
/// changed). Other systems let anyone open any port.
fn first_unprivileged_port() -> Option<u16> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let set = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .ok()
        .and_then(|text| text.trim().parse().ok());
    Some(set.unwrap_or(1024))
}

/// Whether a socket on `a` and one on `b` (with the same port) clash: the same address, or either a wildcard.
fn overlap(a: IpAddr, b: IpAddr) -> bool {
    a == b || a.is_unspecified() || b.is_unspecified()
}

/// The processes holding `protocol` port `addr.port()` on an address that overlaps `addr`'s (the same
/// one, or either a wildcard), each once. Empty when the OS would not say.
fn owners(addr: SocketAddr, protocol: Protocol) -> Vec<Owner> {
    let wanted = match protocol {
        Protocol::Tcp => listeners::Protocol::TCP,
        Protocol::Udp => listeners::Protocol::UDP,
    };
    let Ok(all) = listeners::get_all() else {
        return Vec::new();
    };
    let mut found: Vec<Owner> = all
        .into_iter()
        .filter(|l| l.protocol == wanted && l.socket.port() == addr.port())
        .filter(|l| wanted == listeners::Protocol::UDP || l.state == listeners::SocketState::Listen)
        .filter(|l| overlap(l.socket.ip(), addr.ip()))
        .map(|l| Owner {
            pid: l.process.pid,
            name: l.process.name,
        })
        .collect();
    found.sort_by_key(|owner| owner.pid);
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn error(kind: io::ErrorKind) -> NetError {
        NetError::io(Operation::Bind, Some("0.0.0.0:80".to_owned()), &kind.into())
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_failure_to_bind_is_named_by_its_cause() {
        let owner = Owner {
            pid: 42,
            name: "python3".to_owned(),
        };
        let at = addr("0.0.0.0:80");
        let tcp = Protocol::Tcp;
        let taken = bind_failure(
            at,
            tcp,
            error(io::ErrorKind::AddrInUse),
            vec![owner.clone()],
            None,
        );
        assert_eq!(
            taken,
            Finding::PortTaken {
                addr: at,
                protocol: tcp,
                owners: vec![owner.clone()]
            }
        );
        let denied = error(io::ErrorKind::PermissionDenied);
        assert_eq!(
            bind_failure(at, tcp, denied.clone(), vec![], Some(1024)),
            Finding::PortPrivileged {
                addr: at,
                protocol: tcp,
                first_unprivileged: 1024
            }
        );
        // A lowered start makes port 80 a normal port, so the refusal is something else.
        assert_eq!(
            bind_failure(at, tcp, denied.clone(), vec![], Some(80)),
            Finding::BindFailed {
                error: denied.clone()
            }
        );
        // Windows: another program holds it exclusively.
        assert!(matches!(
            bind_failure(at, tcp, denied, vec![owner], None),
            Finding::PortTaken { .. }
        ));
        assert_eq!(
            bind_failure(
                addr("10.9.9.9:5000"),
                tcp,
                error(io::ErrorKind::AddrNotAvailable),
                vec![],
                None
            ),
            Finding::BindNotHere {
                ip: "10.9.9.9".parse().unwrap()
            }
        );
    }

    #[test]
    fn the_port_of_this_programs_own_session_is_not_taken() {
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let at = held.local_addr().unwrap();
        let tcp = Protocol::Tcp;
        assert_eq!(
            port_finding(at, tcp, Some(at)),
            Finding::PortThisSession {
                addr: at,
                protocol: tcp
            }
        );
        // A wildcard bind on the same port is the session's too.
        let wildcard = SocketAddr::new("0.0.0.0".parse().unwrap(), at.port());
        assert!(matches!(
            port_finding(wildcard, tcp, Some(at)),
            Finding::PortThisSession { .. }
        ));
        // Held by someone else (here the test), or the session is elsewhere: taken.
        assert!(matches!(
            port_finding(at, tcp, None),
            Finding::PortTaken { .. }
        ));
        let elsewhere = SocketAddr::new(at.ip(), at.port().wrapping_add(1).max(1));
        assert!(matches!(
            port_finding(at, tcp, Some(elsewhere)),
            Finding::PortTaken { .. }
        ));
        assert_eq!(
            port_finding(at, tcp, Some(at)).status(),
            super::super::Status::Ok
        );
    }

    #[test]
    fn owners_read_as_name_and_pid() {
        let owner = Owner {
            pid: 1234,
            name: "java".to_owned(),
        };
        assert_eq!(owner.to_string(), "java (PID 1234)");
    }
}
