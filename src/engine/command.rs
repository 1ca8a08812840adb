//! Commands the caller (GUI or CLI) sends to a session's worker.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;

use super::PeerId;
use crate::check::CompiledCheck;
use crate::codec::Template;
use crate::rules::Rules;

/// Where a [`Command::Send`] goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One peer of the session (a server's client, the client's server, a known UDP remote).
    Peer(PeerId),
    /// Every connected peer (TCP server) or every UDP remote seen so far.
    All,
    /// The session's configured remote: the TCP client's server, or the UDP session's default remote.
    Default,
    /// UDP only: any address, given with the command. It becomes a peer of the session.
    Addr(SocketAddr),
}

/// A request to a session's worker. Results come back as [`super::Event`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Queue bytes for sending. What is really written is reported as `Data` events with
    /// [`super::Direction::Tx`]; a full send queue is reported as [`super::Event::SendDropped`].
    Send {
        /// Who receives the bytes.
        to: Target,
        /// The payload; cheap to clone when it goes to many peers.
        bytes: Bytes,
    },
    /// Close one peer's connection (TCP), or forget a UDP remote. Sends still queued for it are reported
    /// as [`super::Event::Unsent`].
    Disconnect(PeerId),
    /// TCP: finish sending to this peer (shut down our sending side, a FIN) once what is queued for it has
    /// gone out; reported as [`super::Event::HalfClosed`]. The peer can still send, and we still read.
    HalfClose(PeerId),
    /// The commands the caller makes for this peer as it connects were all sent before this one (see
    /// [`super::SessionConfig::sends_on_connect`]): from now on the peer's FIN ends the connection once
    /// what is queued for it has gone out. Nothing happens for a peer that is gone, nor in a session that
    /// does not hold its connections for these sends.
    SentOnConnect(PeerId),
    /// UDP: join a multicast group (IPv4 or IPv6) on the given local interface (IPv4 address, or `None`
    /// for the system's choice).
    JoinMulticast {
        /// The group address, e.g. `239.1.2.3` or `ff02::1:3`.
        group: IpAddr,
        /// IPv4 interface address to join on; ignored for IPv6 groups, which use the default interface.
        interface: Option<IpAddr>,
    },
    /// UDP: leave a multicast group joined before.
    LeaveMulticast {
        /// The group address given when joining.
        group: IpAddr,
        /// The interface given when joining.
        interface: Option<IpAddr>,
    },
    /// Send messages again and again: the first time at once, then every `every` (at least
    /// [`super::MIN_INTERVAL`]), `count` times or until [`Command::StopPeriodic`]. Progress comes back as
    /// [`super::Event::Periodic`]. A new one replaces the one running.
    SendEvery {
        /// Who receives the bytes.
        to: Target,
        /// What each send is made of: these messages in order, each a write (a TX row, a datagram) of its
        /// own; the same bytes each time, or, with variables, rendered anew for each send with its number
        /// from 1 as `{counter}` and the time of sending.
        messages: Vec<Template>,
        /// Time between sends.
        every: Duration,
        /// How many sends; `None` for no end.
        count: Option<u64>,
    },
    /// Stop the periodic send, if one runs.
    StopPeriodic,
    /// Replace the session's reply rules (and the framing they see messages in). Counts start again from
    /// 0 and replies still waiting for their delay are cancelled.
    SetRules(Rules),
    /// Run a device check (compiled for this session's mode), stopping one that runs. Its progress comes
    /// back as [`super::Event::Check`]s, right after the events that moved it on.
    RunCheck(Box<CompiledCheck>),
    /// Stop the check that runs, if one does: it ends as stopped.
    StopCheck,
    /// Close everything and end the session; the worker reports `Stopped` and exits. Sends still queued
    /// are reported as [`super::Event::Unsent`].
    Stop,
    /// End the session once nothing is queued or scheduled any more (queued sends written, delayed rule
    /// replies sent), or after `within`, whichever comes first; then as [`Command::Stop`]. The periodic send,
    /// if any, ends at once; reading goes on meanwhile, so what arrives is still reported.
    StopWhenSent {
        /// The longest wait.
        within: Duration,
    },
}

/// The commands the worker passes on to its mode's handler: those about a peer and what is sent to it.
/// The periodic send, the rules, the checks and the stops are the worker loop's own, and multicast is
/// its own call ([`Handler::multicast`](super::worker::Handler::multicast)), so a handler matches only
/// what it acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PeerCommand {
    /// As [`Command::Send`].
    Send {
        /// Who receives the bytes.
        to: Target,
        /// The payload.
        bytes: Bytes,
    },
    /// As [`Command::Disconnect`].
    Disconnect(PeerId),
    /// As [`Command::HalfClose`].
    HalfClose(PeerId),
    /// As [`Command::SentOnConnect`].
    SentOnConnect(PeerId),
}
