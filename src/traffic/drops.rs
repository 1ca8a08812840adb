//! Sends dropped because a peer's queue was full, turned into rows at most once a second per peer: a
//! periodic send to a peer that does not read would otherwise make a row per tick. The drops in between
//! are counted into the next row, which comes with the next drop after the second, when the second has
//! passed ([`SendDrops::poll`]), or before the peer's close ([`SendDrops::take`]); none goes unnoted.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use super::rows::Note;
use crate::engine::PeerId;

/// The least time between two rows about sends dropped to one peer.
pub const SEND_DROPPED_EVERY: Duration = Duration::from_secs(1);

/// A row to append: when, about whom, what.
pub(super) type DropRow = (SystemTime, PeerId, Note);

/// One peer's dropped sends since its last row about them.
#[derive(Debug)]
struct Burst {
    /// When that row was made, on the log's clock.
    noted: Instant,
    /// Sends dropped since, and their bytes.
    sends: usize,
    bytes: usize,
    /// The queue's fill and the time at the latest of them.
    queued: usize,
    at: SystemTime,
}

impl Burst {
    /// The row for the drops counted, if there are any.
    fn row(&self, peer: PeerId) -> Option<DropRow> {
        (self.sends > 0).then(|| {
            let note = Note::SendDropped {
                sends: self.sends,
                len: self.bytes,
                queued: self.queued,
            };
            (self.at, peer, note)
        })
    }
}

/// Every peer's dropped sends not yet in a row.
#[derive(Debug, Default)]
pub(super) struct SendDrops {
    bursts: BTreeMap<PeerId, Burst>,
}

impl SendDrops {
    /// A send of `len` bytes to `peer` was dropped at `at` (`instant` on the log's clock) behind `queued`
    /// bytes: the row to append now if none was made about this peer in the last second (with the drops
    /// counted since), else `None` and it is counted.
    pub(super) fn dropped(
        &mut self,
        peer: PeerId,
        len: usize,
        queued: usize,
        at: SystemTime,
        instant: Instant,
    ) -> Option<DropRow> {
        match self.bursts.get_mut(&peer) {
            Some(counting) if instant < counting.noted + SEND_DROPPED_EVERY => {
                counting.sends += 1;
                counting.bytes += len;
                counting.queued = queued;
                counting.at = at;
                None
            }
            counting => {
                let (sends, bytes) = counting.map_or((0, 0), |c| (c.sends, c.bytes));
                let noted = Burst {
                    noted: instant,
                    sends: sends + 1,
                    bytes: bytes + len,
                    queued,
                    at,
                };
                let row = noted.row(peer);
                self.bursts.insert(
                    peer,
                    Burst {
                        sends: 0,
                        bytes: 0,
                        ..noted
                    },
                );
                row
            }
        }
    }

    /// The row for `peer`'s drops still counted, taken before it closes.
    pub(super) fn take(&mut self, peer: PeerId) -> Option<DropRow> {
        self.bursts.remove(&peer)?.row(peer)
    }

    /// The rows for every peer's drops still counted, taken when the session stops.
    pub(super) fn take_all(&mut self) -> Vec<DropRow> {
        std::mem::take(&mut self.bursts)
            .into_iter()
            .filter_map(|(peer, burst)| burst.row(peer))
            .collect()
    }

    /// The rows for the drops whose second has passed at `now`, and when the next will be due.
    pub(super) fn poll(&mut self, now: Instant) -> (Vec<DropRow>, Option<Instant>) {
        let due: Vec<PeerId> = self
            .bursts
            .iter()
            .filter(|(_, burst)| burst.noted + SEND_DROPPED_EVERY <= now)
            .map(|(peer, _)| *peer)
            .collect();
        let rows = due.into_iter().filter_map(|peer| self.take(peer)).collect();
        let next = self
            .bursts
            .values()
            .filter(|burst| burst.sends > 0)
            .map(|burst| burst.noted + SEND_DROPPED_EVERY)
            .min();
        (rows, next)
    }
}
