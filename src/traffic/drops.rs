//! Sends dropped because a peer's queue was full, turned into rows at most once a second per peer: a
//! periodic send to a peer that does not read would otherwise make a row per tick. The drops in between
//! are counted into the next row, which comes with the next drop after the second, when the second has
//! passed ([`SendDrops::poll`]), or before anything else is said about the peer's end
//! ([`SendDrops::take`]); none goes unnoted. A row is timed when it is made and says since when it
//! counts, so the log's times only go forward.

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
    /// When the first of them was dropped.
    since: SystemTime,
    /// The queue's fill at the latest of them.
    queued: usize,
}

impl Burst {
    /// The row, made at `at`, for the drops counted, if there are any.
    fn row(&self, peer: PeerId, at: SystemTime) -> Option<DropRow> {
        (self.sends > 0).then(|| {
            let note = Note::SendDropped {
                sends: self.sends,
                len: self.bytes,
                queued: self.queued,
                since: (self.sends > 1).then_some(self.since),
            };
            (at, peer, note)
        })
    }

    /// Nothing counted since a row made at `noted`.
    fn noted(noted: Instant, at: SystemTime, queued: usize) -> Self {
        Self {
            noted,
            sends: 0,
            bytes: 0,
            since: at,
            queued,
        }
    }
}

/// Every peer's dropped sends not yet in a row.
#[derive(Debug, Default)]
pub(super) struct SendDrops {
    bursts: BTreeMap<PeerId, Burst>,
}

impl SendDrops {
    /// A send of `len` bytes to `peer` was dropped at `at` behind `queued` bytes, and is seen at
    /// `instant` (the caller's clock, as [`SendDrops::poll`]'s: a second is a second of seeing them, so
    /// drops seen late, all at once, still make a row a second): the row to append now if none was made
    /// about this peer in the last second (with the drops counted since), else `None` and it is counted.
    pub(super) fn dropped(
        &mut self,
        peer: PeerId,
        len: usize,
        queued: usize,
        at: SystemTime,
        instant: Instant,
    ) -> Option<DropRow> {
        let burst = self
            .bursts
            .entry(peer)
            .or_insert_with(|| Burst::noted(instant, at, queued));
        if burst.sends == 0 {
            burst.since = at;
        }
        burst.sends += 1;
        burst.bytes += len;
        burst.queued = queued;
        let first = burst.noted == instant && burst.sends == 1;
        if first || burst.noted + SEND_DROPPED_EVERY <= instant {
            let row = burst.row(peer, at);
            *burst = Burst::noted(instant, at, queued);
            return row;
        }
        None
    }

    /// The row, made at `at`, for `peer`'s drops still counted: taken before its end is logged.
    pub(super) fn take(&mut self, peer: PeerId, at: SystemTime) -> Option<DropRow> {
        self.bursts.remove(&peer)?.row(peer, at)
    }

    /// The rows, made at `at`, for every peer's drops still counted: taken when the session stops.
    pub(super) fn take_all(&mut self, at: SystemTime) -> Vec<DropRow> {
        std::mem::take(&mut self.bursts)
            .into_iter()
            .filter_map(|(peer, burst)| burst.row(peer, at))
            .collect()
    }

    /// The rows, made at `now` (`now_at` on the wall clock), for the drops whose second has passed, and
    /// when the next will be due.
    pub(super) fn poll(
        &mut self,
        now: Instant,
        now_at: SystemTime,
    ) -> (Vec<DropRow>, Option<Instant>) {
        let mut rows = Vec::new();
        self.bursts.retain(|peer, burst| {
            if burst.noted + SEND_DROPPED_EVERY > now {
                return true;
            }
            // A second with nothing counted: the next drop may be noted at once.
            let Some(row) = burst.row(*peer, now_at) else {
                return false;
            };
            rows.push(row);
            *burst = Burst::noted(now, now_at, burst.queued);
            true
        });
        let next = self
            .bursts
            .values()
            .filter(|burst| burst.sends > 0)
            .map(|burst| burst.noted + SEND_DROPPED_EVERY)
            .min();
        (rows, next)
    }
}
