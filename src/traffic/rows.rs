//! The row store: every row the log keeps ([`Row`], a message or a [`Note`]), oldest first, in chunks, within
//! a byte budget. The oldest rows are dropped first and counted; each row keeps the sequence number it was
//! given, so a selection survives the rows before it being dropped.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;

use crate::check::Milestone;
use crate::codec::MessageKind;
use crate::engine::{
    CertSummary, CloseReason, Direction, Event, KeptProblem, Mode, NetError, PeerId, Side,
    TlsClose, TlsInfo,
};

use super::stats::PeerAddr;

/// What a row costs in the byte budget besides its payload, in bytes.
///
/// It covers the row's slot in the log (`size_of::<Row>()`: 136 bytes on 64-bit targets, a close
/// note's error inline; a test checks that it fits) and a share of the buffer header that the messages cut from one read have in common.
/// Note rows count only this, as their text is short. Bytes a framing strips (delimiters, length headers)
/// are not counted.
pub const ROW_OVERHEAD: usize = 136;

/// Rows per storage chunk. The log grows and shrinks a chunk at a time, so the slots it holds are at most
/// two chunks more than its rows, where a single ring buffer would keep the capacity of its longest day.
pub(super) const CHUNK_ROWS: usize = 1024;

/// One row of the log: a message or a connection event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Its number: 0 for the first row the log ever held, one more for each row after.
    pub seq: u64,
    /// When it happened; for a message, when its last byte was read or written.
    pub at: SystemTime,
    /// The peer it concerns, if any.
    pub peer: Option<PeerId>,
    /// That peer's address, shared with its [`PeerStats`](super::PeerStats): the row keeps it after the
    /// log forgets the peer.
    pub addr: Option<Arc<PeerAddr>>,
    /// What it is.
    pub kind: RowKind,
}

impl Row {
    /// What the row costs in the byte budget.
    pub(super) fn cost(&self) -> usize {
        ROW_OVERHEAD
            + match &self.kind {
                RowKind::Data { bytes, .. } => bytes.len(),
                RowKind::Note(_) => 0,
            }
    }
}

/// What a [`Row`] holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A message received or sent.
    Data {
        /// Received or sent.
        dir: Direction,
        /// The message's bytes, as framed.
        bytes: Bytes,
        /// Whether it is whole, or what is wrong with it.
        kind: MessageKind,
    },
    /// Something that happened to the session or a peer.
    Note(Note),
}

/// A connection event shown as a row of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A session was opened in this mode (boxed: it is larger than every other note).
    Opened(Box<Mode>),
    /// The session's socket is bound at this address.
    Listening(SocketAddr),
    /// UDP: the socket's receive buffer, and whether the OS will say when it drops datagrams.
    ReceiveBuffer {
        /// Bytes asked for.
        asked: usize,
        /// Bytes the OS granted.
        granted: usize,
        /// Drops will be counted ([`Note::Dropped`]).
        drops_reported: bool,
    },
    /// UDP: the OS dropped datagrams because the socket's receive buffer was full.
    Dropped {
        /// Dropped since the last such note.
        new: u64,
        /// Dropped since the session started.
        total: u64,
    },
    /// The row's peer connected from this address.
    Connected(SocketAddr),
    /// UDP has no connections: the first datagram between the session and this address, which it now
    /// knows as a remote; `dir` says who sent it (RX: the remote did; TX: we sent to it first).
    FirstDatagram {
        /// The remote.
        addr: SocketAddr,
        /// Which way the first datagram went.
        dir: Direction,
    },
    /// The row's peer (`Side::Peer`) or we (`Side::Local`) finished sending: a TCP half-close (FIN); on a
    /// TLS connection, how ([`TlsClose`]).
    HalfClosed(Side, Option<TlsClose>),
    /// The row's peer finished its TLS handshake: what was agreed (boxed: rare and large).
    TlsEstablished(Box<TlsInfo>),
    /// The certificate this TLS server presents (boxed: rare and large), and the address it listens on.
    TlsCertificate(Box<CertSummary>, SocketAddr),
    /// This TLS server's kept self-signed certificate no longer fits, and is still used (a warning).
    TlsKeptCertificate(Box<KeptProblem>),
    /// Sends to the row's peer that did not go out because the connection ended first.
    Unsent {
        /// Bytes that did not go out.
        bytes: usize,
        /// The sends they belonged to.
        sends: usize,
    },
    /// Relay: the relay starts to connect on to the target for the row's peer (a device), at `addr`;
    /// what the device sends meanwhile is held for the target.
    Connecting {
        /// The target as the user named it.
        target: String,
        /// The address connected to.
        addr: SocketAddr,
    },
    /// Relay: a connect on to the target for the row's peer (a device) failed; the next address is
    /// tried, or the device is closed when none is left.
    ConnectFailed {
        /// The address connected to.
        addr: SocketAddr,
        /// The local address of the connect's socket, when it got that far.
        local: Option<SocketAddr>,
        /// Why it failed (boxed: a row stays within its overhead).
        error: Box<NetError>,
    },
    /// Relay: the row's peer (a device) was paired with this peer, its connection to the target; what
    /// the device sends is its RX, what the server sends back the server side's RX.
    Paired(PeerId),
    /// The row's peer closed.
    Closed(CloseReason),
    /// A TCP client was refused because the server was full.
    Rejected {
        /// The refused client.
        addr: SocketAddr,
        /// The limit in force.
        max_clients: usize,
    },
    /// Sends to the row's peer were dropped because its queue was full: one, or several in a row (the log
    /// notes dropped sends to a peer at most once a second, with how many).
    SendDropped {
        /// How many sends.
        sends: usize,
        /// Bytes refused, over all of them.
        len: usize,
        /// Bytes still waiting in the queue.
        queued: usize,
        /// When the first of several was dropped; `None` for one.
        since: Option<SystemTime>,
    },
    /// A multicast group was joined.
    Joined(IpAddr),
    /// A multicast group was left.
    Left(IpAddr),
    /// Something failed.
    Error(NetError),
    /// A device check started, one of its steps failed, or it ended (boxed: far larger than the other
    /// notes, and rare).
    Check(Box<Milestone>),
    /// The session ended.
    Stopped,
}

impl Note {
    /// The note an event shows as, with the peer it concerns; `None` for data (shown as messages) and for
    /// periodic-send progress (shown by the send panel; the sends themselves are data).
    #[must_use]
    #[allow(clippy::too_many_lines)] // a list, one arm per event
    pub fn of(event: &Event) -> Option<(Option<PeerId>, Self)> {
        Some(match event {
            Event::Listening { addr, .. } => (None, Self::Listening(*addr)),
            Event::ReceiveBuffer {
                asked,
                granted,
                drops_reported,
                ..
            } => (
                None,
                Self::ReceiveBuffer {
                    asked: *asked,
                    granted: *granted,
                    drops_reported: *drops_reported,
                },
            ),
            Event::Dropped {
                datagrams_total,
                new,
                ..
            } => (
                None,
                Self::Dropped {
                    new: *new,
                    total: *datagrams_total,
                },
            ),
            Event::Connected { peer, addr, .. } => (Some(*peer), Self::Connected(*addr)),
            Event::HalfClosed {
                peer, side, tls, ..
            } => (Some(*peer), Self::HalfClosed(*side, *tls)),
            Event::TlsEstablished { peer, info, .. } => {
                (Some(*peer), Self::TlsEstablished(info.clone()))
            }
            Event::TlsCertificate {
                certificate, addr, ..
            } => (None, Self::TlsCertificate(certificate.clone(), *addr)),
            Event::TlsKeptCertificate { problem, .. } => {
                (None, Self::TlsKeptCertificate(problem.clone()))
            }
            Event::Unsent {
                peer, bytes, sends, ..
            } => (
                Some(*peer),
                Self::Unsent {
                    bytes: *bytes,
                    sends: *sends,
                },
            ),
            Event::Connecting {
                device,
                target,
                addr,
                ..
            } => (
                Some(*device),
                Self::Connecting {
                    target: target.to_string(),
                    addr: *addr,
                },
            ),
            Event::ConnectFailed {
                device,
                addr,
                local,
                error,
                ..
            } => (
                Some(*device),
                Self::ConnectFailed {
                    addr: *addr,
                    local: *local,
                    error: Box::new(error.clone()),
                },
            ),
            Event::Paired { device, server, .. } => (Some(*device), Self::Paired(*server)),
            Event::Closed { peer, reason, .. } => (Some(*peer), Self::Closed(reason.clone())),
            Event::Rejected {
                addr, max_clients, ..
            } => (
                None,
                Self::Rejected {
                    addr: *addr,
                    max_clients: *max_clients,
                },
            ),
            Event::SendDropped {
                peer, len, queued, ..
            } => (
                Some(*peer),
                Self::SendDropped {
                    sends: 1,
                    len: *len,
                    queued: *queued,
                    since: None,
                },
            ),
            Event::Joined { group, .. } => (None, Self::Joined(*group)),
            Event::Left { group, .. } => (None, Self::Left(*group)),
            Event::Error { error, .. } => (None, Self::Error(error.clone())),
            Event::Stopped { .. } => (None, Self::Stopped),
            Event::Check(check) => {
                let milestone = check.milestone()?;
                let peer = match &milestone {
                    Milestone::StepFailed { failure, .. } => failure.peer.map(PeerId),
                    Milestone::Started { .. } | Milestone::Finished { .. } => None,
                };
                (peer, Self::Check(Box::new(milestone)))
            }
            // Forwarded bytes are the other side's received row already.
            // A failed handshake's raw bytes: its close says what they were.
            Event::Data { .. }
            | Event::Periodic { .. }
            | Event::Forwarded { .. }
            | Event::TlsRaw { .. } => return None,
        })
    }
}

/// The rows, oldest first, in chunks of [`CHUNK_ROWS`], with the byte budget they are kept within.
#[derive(Debug)]
pub(super) struct Rows {
    /// Every chunk but the first and the last is full, so a row is found by arithmetic.
    chunks: VecDeque<VecDeque<Row>>,
    len: usize,
    next_seq: u64,
    /// Budget bytes the rows take.
    used: usize,
    dropped: u64,
    budget: usize,
}

impl Rows {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            chunks: VecDeque::new(),
            len: 0,
            next_seq: 0,
            used: 0,
            dropped: 0,
            budget,
        }
    }

    pub(super) fn first_seq(&self) -> u64 {
        self.next_seq - self.len as u64
    }

    pub(super) fn get(&self, index: usize) -> Option<&Row> {
        let first = self.chunks.front()?;
        match index.checked_sub(first.len()) {
            None => first.get(index),
            Some(rest) => self
                .chunks
                .get(1 + rest / CHUNK_ROWS)?
                .get(rest % CHUNK_ROWS),
        }
    }

    /// Appends a row, then drops the oldest rows until the budget holds (the new row too, if it alone is
    /// over the budget).
    pub(super) fn push(
        &mut self,
        at: SystemTime,
        peer: Option<PeerId>,
        addr: Option<Arc<PeerAddr>>,
        kind: RowKind,
    ) {
        let row = Row {
            seq: self.next_seq,
            at,
            peer,
            addr,
            kind,
        };
        self.next_seq += 1;
        self.used += row.cost();
        self.len += 1;
        match self.chunks.back_mut() {
            Some(chunk) if chunk.len() < CHUNK_ROWS => chunk.push_back(row),
            _ => {
                let mut chunk = VecDeque::with_capacity(CHUNK_ROWS);
                chunk.push_back(row);
                self.chunks.push_back(chunk);
            }
        }
        while self.used > self.budget {
            let Some(first) = self.chunks.front_mut() else {
                break;
            };
            if let Some(row) = first.pop_front() {
                self.used -= row.cost();
                self.len -= 1;
                self.dropped += 1;
            }
            if first.is_empty() {
                self.chunks.pop_front();
            }
        }
    }

    /// How many rows are kept.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Rows dropped to stay within the budget.
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Budget bytes the rows take.
    pub(super) fn used(&self) -> usize {
        self.used
    }

    pub(super) fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
        self.used = 0;
    }

    /// Row slots held in memory, used or not.
    #[cfg(test)]
    pub(super) fn slots(&self) -> usize {
        self.chunks.iter().map(VecDeque::capacity).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::traffic::test_support::*;
    use crate::traffic::{Counters, LogConfig};

    #[test]
    fn the_budget_drops_the_oldest_rows_and_keeps_seqs_consistent() {
        let row_cost = ROW_OVERHEAD + 10;
        let mut s = Session::new(LogConfig {
            byte_budget: 5 * row_cost,
            ..LogConfig::default()
        });
        s.connect(0, P1);
        for i in 0..10 {
            s.rx(i + 1, P1, format!("message {i:02}").as_bytes());
        }
        let log = &s.log;
        // The note and messages 0 to 4 made room for messages 5 to 9.
        assert_eq!(log.len(), 5);
        assert_eq!(log.dropped_rows(), 6);
        assert_eq!(log.used_bytes(), 5 * row_cost);
        assert_eq!(summary(log)[0], "#1 Rx Complete message 05");
        assert_eq!(log.first_seq(), 6);
        assert_eq!(log.row(0).unwrap().seq, 6);
        assert_eq!(log.row(4).unwrap().seq, 10);
        assert_eq!(log.row(5), None);
        assert_eq!(log.index_of_seq(5), None);
        assert_eq!(log.index_of_seq(6), Some(0));
        assert_eq!(log.index_of_seq(10), Some(4));
        assert_eq!(log.index_of_seq(11), None);
        // Dropping rows never touches the counts.
        assert_eq!(log.totals().rx_messages, 10);
        assert_eq!(log.peer(P1).unwrap().counters.rx_bytes, 100);

        // A row larger than the whole budget cannot be kept at all.
        s.rx(20, P1, &[b'x'; 1000]);
        assert!(s.log.is_empty());
        assert_eq!(s.log.dropped_rows(), 12);
        assert_eq!(s.log.first_seq(), 12);
        assert_eq!(s.log.used_bytes(), 0);
    }

    #[test]
    fn clearing_keeps_counters_peers_and_the_seq_count() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        s.rx(1, P1, b"abc");
        s.log.clear();
        assert!(s.log.is_empty());
        assert_eq!(
            (s.log.first_seq(), s.log.dropped_rows(), s.log.used_bytes()),
            (2, 0, 0)
        );
        assert_eq!(s.log.totals().rx_bytes, 3);
        assert_eq!(s.log.connected_peers(), 1);
        s.rx(2, P1, b"d");
        assert_eq!(s.log.row(0).unwrap().seq, 2);

        s.log.reset_counters();
        assert_eq!(*s.log.totals(), Counters::default());
        assert_eq!(s.log.peer(P1).unwrap().counters, Counters::default());
        assert_eq!(s.log.len(), 1);
        s.tx(3, P1, b"ef");
        assert_eq!(s.log.totals().tx_bytes, 2);
    }

    #[test]
    fn a_row_fits_its_overhead() {
        assert!(
            std::mem::size_of::<Row>() <= ROW_OVERHEAD,
            "{}",
            std::mem::size_of::<Row>()
        );
    }
}
