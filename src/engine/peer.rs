//! Peer identity: every remote a session talks to (an accepted TCP client, the TCP client's server, a UDP
//! sender or destination) gets a [`PeerId`] that stays unique for the life of the session.

use std::fmt;

/// Identifies one remote within a session. Ids start at 1 and are never reused inside a session, so a
/// reconnecting device shows as a new peer and old log rows keep pointing at the old connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Hands out fresh [`PeerId`]s in increasing order.
#[derive(Debug)]
pub(crate) struct PeerIds {
    next: u64,
}

impl PeerIds {
    pub(crate) fn new() -> Self {
        Self { next: 1 }
    }

    pub(crate) fn next_id(&mut self) -> PeerId {
        let id = PeerId(self.next);
        self.next += 1;
        id
    }
}
