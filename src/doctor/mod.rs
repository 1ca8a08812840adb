//! The connection doctor: when a board does not connect, or its datagrams never arrive, it says why. It
//! checks this PC's adapters against the bind address and the target (`adapters`), whether the bind port
//! can be opened and who holds it (`port`), whether a firewall lets the port in (`firewall`), and whether
//! the target answers (`reachability`); each fact is a [`Finding`] (in `finding`) with a [`Status`], an
//! explanation and what to do, in English and Chinese, and [`report`] puts them in a text. `closed` says
//! what a connection's close reason (an RST, a time-out) usually means.
//!
//! [`diagnose`] blocks for up to a few seconds (connect tests, firewall tools): a window calls it off its
//! UI thread and shows the findings it returns. Each check's reasoning is a pure function over what it
//! read (adapters, a bind error, a tool's listing, a socket's result), tested with fixtures.

pub mod adapters;
pub mod closed;
mod finding;
pub mod firewall;
pub mod port;
pub mod reachability;
mod report;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;

#[cfg(test)]
pub(crate) use finding::one_of_each;
pub use finding::{Advice, Check, Finding, Status};
pub use report::report;

use crate::engine::HostPort;

/// How long a reachability test waits for an answer unless asked otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// The transport being checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Protocol {
    /// TCP: a server's listening port, a connect test.
    #[serde(rename = "tcp")]
    Tcp,
    /// UDP: a bound port, a datagram test.
    #[serde(rename = "udp")]
    Udp,
}

impl fmt::Display for Protocol {
    /// `TCP` or `UDP`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tcp => "TCP",
            Self::Udp => "UDP",
        })
    }
}

/// What to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Where a session listens (TCP server) or binds (UDP): its adapters, port and firewall are checked.
    pub bind: Option<SocketAddr>,
    /// A device to test, as typed: every address its host resolves to is checked (`localhost` is both
    /// `::1` and `127.0.0.1`).
    pub target: Option<HostPort>,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// How long a reachability test waits for an answer.
    pub timeout: Duration,
    /// The address this program's own session holds in `protocol`, when one is open: a bind on its port is
    /// then reported as this session's ([`Finding::PortThisSession`]), not as taken by another program.
    pub own_session: Option<SocketAddr>,
}

/// Runs the checks `request` asks for, and returns the findings ordered by [`Check`]: the adapters (always),
/// then the bind port and the firewall, then the target. Blocks for up to about `request.timeout` per target
/// address, plus the firewall tools' time.
#[must_use]
pub fn diagnose(request: &Request) -> Vec<Finding> {
    let adapters = adapters::adapters();
    let mut findings = adapters::adapter_findings(&adapters);
    if let Some(bind) = request.bind {
        findings.extend(adapters::bind_findings(&adapters, bind.ip()));
        findings.push(port::port_finding(
            bind,
            request.protocol,
            request.own_session,
        ));
        if bind.port() != 0 {
            findings.extend(firewall::firewall_findings(request.protocol, bind.port()));
        }
    }
    if let Some(target) = &request.target {
        match crate::engine::resolve(&target.host, target.port) {
            Ok(addrs) => {
                for addr in addrs {
                    findings.push(adapters::target_findings(&adapters, addr));
                    findings.push(reachability::probe(addr, request.protocol, request.timeout));
                }
            }
            Err(error) => findings.push(Finding::TargetUnresolved { error }),
        }
    }
    findings.sort_by_key(Finding::check);
    findings
}
