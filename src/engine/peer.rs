//! Peer identity: every remote a session talks to (an accepted TCP client, the TCP client's server, a UDP
//! sender or destination) gets a [`PeerId`] that is never given out again while the process runs, in this
//! session or any later one.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// The next id to hand out, shared by every session of the process.
static NEXT_PEER: AtomicU64 = AtomicU64::new(1);

/// Identifies one remote. Ids start at 1 and are never reused while the process runs, so a reconnecting
/// device shows as a new peer, and a log that outlives its session (the window's log across Close and
/// Open, in any mode) keeps every old row pointing at the connection it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

impl PeerId {
    /// A fresh id, greater than every id handed out before in this process.
    pub(crate) fn next() -> Self {
        Self(NEXT_PEER.fetch_add(1, Ordering::Relaxed))
    }
}
