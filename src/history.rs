//! What the session controller remembers of its sessions for a report to hand in: each session's mode,
//! its local address, when it opened and ended, and which peers were its own; and what did not go out
//! or was dropped. Counted from the engine's events as they are recorded, so the figures are exact
//! whatever the traffic log's byte budget dropped from its rows.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::SystemTime;

use crate::engine::{Event, Mode, NetError, PeerId};

/// The most sessions kept; older ones are counted in [`History::sessions_dropped`].
pub const SESSIONS_KEPT: usize = 100;

/// One session, as far as its events told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSpan {
    /// The mode and addresses it was opened with.
    pub mode: Mode,
    /// When it opened.
    pub opened: SystemTime,
    /// Where it listened (TCP server, UDP) or connected from (TCP client), once known.
    pub local: Option<SocketAddr>,
    /// When it ended; `None` while it runs.
    pub ended: Option<SystemTime>,
    /// Why it could not open or went wrong first, if an error was reported.
    pub error: Option<NetError>,
    /// Its first and last peers: peer ids grow with every connection of the process, so the session's
    /// peers are those between them.
    pub peers: Option<(PeerId, PeerId)>,
    /// Peers that connected (or, UDP, remotes first seen) in it.
    pub connections: u64,
}

impl SessionSpan {
    /// Whether `peer` connected during this session.
    #[must_use]
    pub fn has_peer(&self, peer: PeerId) -> bool {
        self.peers
            .is_some_and(|(first, last)| first <= peer && peer <= last)
    }
}

/// What did not go out or was dropped, over every session, counted from the events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Losses {
    /// Bytes of sends that did not go out because the connection ended first ([`Event::Unsent`]).
    pub unsent_bytes: u64,
    /// The sends they belonged to.
    pub unsent_sends: u64,
    /// Sends refused because the peer's send queue was full ([`Event::SendDropped`]).
    pub send_dropped: u64,
    /// Their bytes.
    pub send_dropped_bytes: u64,
    /// UDP datagrams the OS dropped because the receive buffer was full (as far as the OS says).
    pub datagrams_dropped: u64,
    /// TCP clients refused because the server was full.
    pub rejected: u64,
    /// Errors reported.
    pub errors: u64,
}

impl Losses {
    /// Whether nothing was lost.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The sessions and losses; see the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct History {
    sessions: VecDeque<SessionSpan>,
    sessions_dropped: u64,
    losses: Losses,
}

impl History {
    /// A session opened in `mode` at `at`; the events that follow are its own.
    pub fn opened(&mut self, mode: &Mode, at: SystemTime) {
        if self.sessions.len() == SESSIONS_KEPT {
            self.sessions.pop_front();
            self.sessions_dropped += 1;
        }
        self.sessions.push_back(SessionSpan {
            mode: mode.clone(),
            opened: at,
            local: None,
            ended: None,
            error: None,
            peers: None,
            connections: 0,
        });
    }

    /// An event of the latest session.
    pub fn event(&mut self, event: &Event) {
        let losses = &mut self.losses;
        match event {
            Event::Unsent { bytes, sends, .. } => {
                losses.unsent_bytes += *bytes as u64;
                losses.unsent_sends += *sends as u64;
            }
            Event::SendDropped { len, .. } => {
                losses.send_dropped += 1;
                losses.send_dropped_bytes += *len as u64;
            }
            Event::Dropped { new, .. } => losses.datagrams_dropped += new,
            Event::Rejected { .. } => losses.rejected += 1,
            Event::Error { .. } => losses.errors += 1,
            _ => {}
        }
        let Some(span) = self.sessions.back_mut() else {
            return;
        };
        match event {
            Event::Listening { addr, .. } => span.local = Some(*addr),
            Event::Connected { peer, local, .. } => {
                if span.local.is_none() {
                    span.local = Some(*local);
                }
                let first = span.peers.map_or(*peer, |(first, _)| first);
                span.peers = Some((first, *peer));
                span.connections += 1;
            }
            Event::Error { error, .. } if span.error.is_none() => {
                span.error = Some(error.clone());
            }
            Event::Stopped { at } => span.ended = Some(*at),
            _ => {}
        }
    }

    /// The sessions kept, oldest first.
    #[must_use]
    pub fn sessions(&self) -> impl DoubleEndedIterator<Item = &SessionSpan> {
        self.sessions.iter()
    }

    /// Sessions older than those kept.
    #[must_use]
    pub fn sessions_dropped(&self) -> u64 {
        self.sessions_dropped
    }

    /// What did not go out or was dropped, over every session.
    #[must_use]
    pub fn losses(&self) -> Losses {
        self.losses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{CloseReason, Operation};
    use std::time::Duration;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn server() -> Mode {
        Mode::TcpServer {
            bind: "127.0.0.1:0".parse().unwrap(),
            max_clients: None,
        }
    }

    fn connected(peer: u64) -> Event {
        Event::Connected {
            peer: PeerId(peer),
            addr: "127.0.0.1:5000".parse().unwrap(),
            local: "127.0.0.1:7000".parse().unwrap(),
            at: at(2),
        }
    }

    #[test]
    fn each_session_keeps_its_span_address_and_peers() {
        let mut history = History::default();
        history.opened(&server(), at(1));
        history.event(&Event::Listening {
            addr: "127.0.0.1:7000".parse().unwrap(),
            at: at(1),
        });
        history.event(&connected(4));
        history.event(&connected(6));
        history.event(&Event::Closed {
            peer: PeerId(4),
            reason: CloseReason::PeerClosed,
            at: at(3),
        });
        history.event(&Event::Stopped { at: at(9) });
        history.opened(&server(), at(10));
        history.event(&connected(7));
        let spans: Vec<_> = history.sessions().collect();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].local, Some("127.0.0.1:7000".parse().unwrap()));
        assert_eq!((spans[0].opened, spans[0].ended), (at(1), Some(at(9))));
        assert_eq!(spans[0].peers, Some((PeerId(4), PeerId(6))));
        assert_eq!(spans[0].connections, 2);
        assert!(spans[0].has_peer(PeerId(5)) && !spans[0].has_peer(PeerId(7)));
        // A client's local address comes with its connection.
        assert_eq!(spans[1].local, Some("127.0.0.1:7000".parse().unwrap()));
        assert_eq!(spans[1].ended, None);
        assert!(spans[1].has_peer(PeerId(7)));
    }

    #[test]
    fn losses_add_up_over_sessions_and_old_sessions_are_counted() {
        let mut history = History::default();
        for n in 0..=SESSIONS_KEPT as u64 {
            history.opened(&server(), at(n));
            history.event(&Event::Unsent {
                peer: PeerId(1),
                written: bytes::Bytes::new(),
                written_at: at(n),
                bytes: 10,
                sends: 2,
                at: at(n),
            });
        }
        history.event(&Event::SendDropped {
            peer: PeerId(1),
            len: 7,
            queued: 100,
            at: at(1),
        });
        history.event(&Event::Error {
            error: NetError::invalid(Operation::Send, None, "x"),
            at: at(1),
        });
        assert_eq!(history.sessions().count(), SESSIONS_KEPT);
        assert_eq!(history.sessions_dropped(), 1);
        let losses = history.losses();
        assert_eq!(
            (losses.unsent_bytes, losses.unsent_sends),
            (
                10 * (SESSIONS_KEPT as u64 + 1),
                2 * (SESSIONS_KEPT as u64 + 1)
            )
        );
        assert_eq!((losses.send_dropped, losses.send_dropped_bytes), (1, 7));
        assert_eq!(losses.errors, 1);
        assert!(history.sessions().last().unwrap().error.is_some());
        assert!(!losses.is_empty() && Losses::default().is_empty());
    }
}
