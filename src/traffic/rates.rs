//! Rates over time, for the window's plots: bytes and messages each way per second, for the session as a
//! whole and for a few peers, timed by the events' own times (not by when anything is drawn).
//!
//! Memory is bounded however long a session runs and however many peers it has:
//! - a [`RateSeries`] keeps its counts in three rings of fixed-width buckets ([`RESOLUTIONS`]): one second
//!   for the last 10 minutes, 10 seconds for the last hour, one minute for the last 24 hours, which is the
//!   hard cap. Every count goes into all three, so older history is already downsampled when the finer ring
//!   lets it go, and a count is a few additions whatever the history holds;
//! - per-peer series are kept for at most [`BUSIEST_TRACKED`] of the busiest peers plus [`PINNED_MAX`]
//!   peers the user selected ([`TrafficLog::pin_rates`](super::TrafficLog::pin_rates)). Which peers are
//!   busiest is judged by each peer's [`Activity`] (bytes over the last 10–20 seconds), kept beside its counters, so with 10,000 peers an
//!   event still costs a comparison with the few tracked ones. A peer that starts being tracked has a series
//!   from then on ([`PeerRates::since`]); one that is no longer tracked loses its series.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::engine::{Direction, PeerId};

use super::stats::{Counters, PeerAddr};

/// How finely one stretch of history is kept: buckets `width_secs` wide, the newest `buckets` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// A bucket's width in seconds; buckets start at whole multiples of it since the Unix epoch, so a
    /// minute's bucket is a minute on the clock.
    pub width_secs: u64,
    /// How many buckets are kept, the newest last.
    pub buckets: usize,
}

impl Resolution {
    /// The stretch of history it covers.
    #[must_use]
    pub const fn span(self) -> Duration {
        Duration::from_secs(self.width_secs * self.buckets as u64)
    }
}

/// The rings of every [`RateSeries`], finest first: 1 s for 10 minutes, 10 s for an hour, 1 min for 24
/// hours. Each width divides the next, so the rings meet on bucket edges.
pub const RESOLUTIONS: [Resolution; 3] = [
    Resolution {
        width_secs: 1,
        buckets: 600,
    },
    Resolution {
        width_secs: 10,
        buckets: 360,
    },
    Resolution {
        width_secs: 60,
        buckets: 1440,
    },
];

/// The most bytes one [`RateSeries`] takes however long it runs: every ring full.
pub const SERIES_MAX_BYTES: usize =
    (RESOLUTIONS[0].buckets + RESOLUTIONS[1].buckets + RESOLUTIONS[2].buckets)
        * size_of::<Counters>();

/// Peers tracked because they are the busiest.
pub const BUSIEST_TRACKED: usize = 8;

/// Peers tracked because the user selected them ([`TrafficLog::pin_rates`](super::TrafficLog::pin_rates)); more
/// are left out.
pub const PINNED_MAX: usize = 4;

/// The window over which a peer's activity is measured, in seconds: its bytes in the current window and the
/// one before.
const ACTIVITY_WINDOW_SECS: u64 = 10;

/// How many times busier than the least busy tracked peer another must be to take its place. Peers about as
/// busy as each other do not take turns, each losing its series to the next.
const PROMOTE_FACTOR: u64 = 2;

/// Whole seconds since the Unix epoch (0 before it).
fn unix_secs(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

fn unix_time(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// One ring of buckets of one width.
#[derive(Clone, Debug)]
struct Ring {
    resolution: Resolution,
    /// The bucket number (time in seconds / width) of the oldest bucket kept.
    first: u64,
    buckets: VecDeque<Counters>,
    /// The time (seconds) before which it may lack counts it let go (old buckets, or an event older than
    /// any it keeps), which the coarser rings hold; 0 while it has let nothing go.
    lacks_before: u64,
}

impl Ring {
    fn new(resolution: Resolution) -> Self {
        Self {
            resolution,
            first: 0,
            buckets: VecDeque::new(),
            lacks_before: 0,
        }
    }

    /// Counts at `secs`. A count older than the ring's oldest bucket extends it backwards while there is
    /// room (an event reported late, such as the part of a send cut short by a close); older still, and
    /// the coarser rings keep it.
    fn add(&mut self, secs: u64, dir: Direction, bytes: u64, messages: u64) {
        let width = self.resolution.width_secs;
        // Most counts fall in the newest bucket: no division for them.
        let newest_start = (self.first + self.buckets.len() as u64).saturating_sub(1) * width;
        if secs >= newest_start
            && secs - newest_start < width
            && let Some(newest) = self.buckets.back_mut()
        {
            newest.add(dir, bytes, messages);
            return;
        }
        let index = secs / width;
        let cap = self.resolution.buckets as u64;
        if self.buckets.is_empty() {
            self.first = index;
            self.push_back();
        }
        let end = self.first + self.buckets.len() as u64;
        if index >= end {
            if index - end >= cap {
                // A clock that jumped ahead: nothing kept is recent enough to stay.
                self.buckets.clear();
                self.first = index;
                self.push_back();
                self.lacks_before = end * width;
            } else {
                for _ in end..=index {
                    if self.buckets.len() as u64 == cap {
                        self.buckets.pop_front();
                        self.first += 1;
                        self.lacks_before = self.first * width;
                    }
                    self.push_back();
                }
            }
        } else if index < self.first {
            if end - index > cap {
                self.lacks_before = self.lacks_before.max(self.first * width);
                return;
            }
            while self.first > index {
                self.reserve();
                self.buckets.push_front(Counters::default());
                self.first -= 1;
            }
        }
        self.buckets[(index - self.first) as usize].add(dir, bytes, messages);
    }

    fn push_back(&mut self) {
        self.reserve();
        self.buckets.push_back(Counters::default());
    }

    /// Room for one more bucket, growing by doubling but never beyond the ring's size.
    fn reserve(&mut self) {
        let len = self.buckets.len();
        if len == self.buckets.capacity() {
            let more = len.max(16).min(self.resolution.buckets - len).max(1);
            self.buckets.reserve_exact(more);
        }
    }

    /// Where a coarser ring of `width` hands over to this one: the first of its edges from which this ring
    /// lacks nothing.
    fn takes_over_at(&self, width: u64) -> u64 {
        self.lacks_before.div_ceil(width) * width
    }

    /// The buckets that start at or after `from` and end at or before `to` (seconds).
    fn between(&self, from: u64, to: u64) -> impl Iterator<Item = RateBucket> + '_ {
        let width = self.resolution.width_secs;
        self.buckets
            .iter()
            .enumerate()
            .map(move |(offset, counts)| ((self.first + offset as u64) * width, counts))
            .filter(move |&(start, _)| start >= from && start + width <= to)
            .map(move |(start, counts)| RateBucket {
                start: unix_time(start),
                width: Duration::from_secs(width),
                counts: *counts,
            })
    }

    fn heap_bytes(&self) -> usize {
        self.buckets.capacity() * size_of::<Counters>()
    }
}

/// One bucket of a series: what was received and sent from `start` for `width`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateBucket {
    /// When it starts.
    pub start: SystemTime,
    /// How long it lasts: 1 s, 10 s or 1 min ([`RESOLUTIONS`]).
    pub width: Duration,
    /// Bytes and messages each way within it.
    pub counts: Counters,
}

/// What a rate counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Quantity {
    /// Bytes, as read or written.
    #[default]
    Bytes,
    /// Messages: rows, as the log's framing cut them.
    Messages,
}

impl RateBucket {
    /// When it ends.
    #[must_use]
    pub fn end(&self) -> SystemTime {
        self.start + self.width
    }

    /// The bucket's `quantity` in direction `dir`, per second.
    #[must_use]
    pub fn per_second(&self, quantity: Quantity, dir: Direction) -> f64 {
        let counts = &self.counts;
        let count = match (quantity, dir) {
            (Quantity::Bytes, Direction::Rx) => counts.rx_bytes,
            (Quantity::Bytes, Direction::Tx) => counts.tx_bytes,
            (Quantity::Messages, Direction::Rx) => counts.rx_messages,
            (Quantity::Messages, Direction::Tx) => counts.tx_messages,
        };
        count as f64 / self.width.as_secs_f64()
    }
}

/// Counts over time in the rings of [`RESOLUTIONS`]; at most [`SERIES_MAX_BYTES`].
#[derive(Clone, Debug)]
pub struct RateSeries {
    rings: [Ring; 3],
}

impl Default for RateSeries {
    fn default() -> Self {
        Self {
            rings: RESOLUTIONS.map(Ring::new),
        }
    }
}

impl RateSeries {
    /// Counts `bytes` and `messages` going `dir` at `secs` (since the epoch). A count more than 24 hours
    /// older than the newest is left out.
    fn add(&mut self, secs: u64, dir: Direction, bytes: u64, messages: u64) {
        for ring in &mut self.rings {
            ring.add(secs, dir, bytes, messages);
        }
    }

    /// The history from `since` to `until`, oldest first, each stretch at the finest resolution that still
    /// covers it: one-second buckets for the last 10 minutes, then 10-second ones, then minutes. Only whole
    /// buckets ending by `until` are given (a bucket still filling would read as a dip), and those that
    /// end after `since`. The buckets do not overlap, so their counts add up to what was counted in that
    /// time; they follow each other without gap but where the clock jumped ahead (nothing was counted in
    /// between).
    #[must_use]
    pub fn buckets(&self, since: SystemTime, until: SystemTime) -> Vec<RateBucket> {
        let [fine, middle, coarse] = &self.rings;
        if fine.buckets.is_empty() {
            return Vec::new();
        }
        // Where each coarser ring hands over to the next finer one: on an edge of both, and no earlier than
        // the finer ring's oldest bucket.
        let middle_from = middle.takes_over_at(coarse.resolution.width_secs);
        let fine_from = fine
            .takes_over_at(middle.resolution.width_secs)
            .max(middle_from);
        let since = unix_secs(since);
        let until = unix_secs(until);
        let stretches = [
            (coarse, 0, middle_from.min(until)),
            (middle, middle_from, fine_from.min(until)),
            (fine, fine_from, until),
        ];
        stretches
            .into_iter()
            .flat_map(|(ring, from, to)| ring.between(from, to))
            .filter(|bucket| unix_secs(bucket.end()) > since)
            .collect()
    }

    /// When its newest bucket ends, if it has counted anything.
    #[must_use]
    pub fn newest_end(&self) -> Option<SystemTime> {
        let fine = &self.rings[0];
        (!fine.buckets.is_empty()).then(|| {
            unix_time((fine.first + fine.buckets.len() as u64) * fine.resolution.width_secs)
        })
    }

    /// Bytes its buckets take on the heap.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.rings.iter().map(Ring::heap_bytes).sum()
    }
}

/// How busy a peer has been lately: its bytes, both ways, in the current activity window and the one
/// before, by the events' times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Activity {
    /// The window the current count is for (seconds since the epoch / the window).
    window: u64,
    current: u64,
    previous: u64,
}

impl Activity {
    fn add(&mut self, secs: u64, bytes: u64) {
        let start = self.window * ACTIVITY_WINDOW_SECS;
        if secs >= start && secs - start < ACTIVITY_WINDOW_SECS {
            self.current += bytes;
            return;
        }
        let window = secs / ACTIVITY_WINDOW_SECS;
        if window > self.window {
            self.previous = if window == self.window + 1 {
                self.current
            } else {
                0
            };
            self.current = 0;
            self.window = window;
        } else if window < self.window {
            if window + 1 == self.window {
                self.previous += bytes;
            }
            return;
        }
        self.current += bytes;
    }

    /// Bytes over the last 10–20 seconds before `secs`.
    fn busy(&self, secs: u64) -> u64 {
        let window = secs / ACTIVITY_WINDOW_SECS;
        if window <= self.window {
            self.current + self.previous
        } else if window == self.window + 1 {
            self.current
        } else {
            0
        }
    }
}

/// A peer whose rates are kept: one of the busiest, or one the user selected.
#[derive(Clone, Debug)]
pub struct PeerRates {
    /// The peer.
    pub peer: PeerId,
    /// Its address, kept here since the log may forget a closed peer before its series goes.
    pub addr: Arc<PeerAddr>,
    /// When its series starts: nothing before this is in it (it was not tracked then).
    pub since: SystemTime,
    /// The user selected it ([`TrafficLog::pin_rates`](super::TrafficLog::pin_rates)), so it stays tracked
    /// however quiet it is.
    pub pinned: bool,
    /// Its counts over time.
    pub series: RateSeries,
    /// A copy of its [`Activity`], so that finding the least busy tracked peer needs no look-up.
    activity: Activity,
}

/// A peer the log knows: its address and its activity (`&mut Activity` as an event for it is counted, a
/// copy when it is selected).
pub(super) struct Known<'a, A = &'a mut Activity> {
    pub(super) addr: &'a Arc<PeerAddr>,
    pub(super) activity: A,
}

/// The session's rates over time, and a few peers'. Memory is bounded however long the session runs and
/// however many peers it has: see [`RateHistory::heap_bytes`].
#[derive(Clone, Debug, Default)]
pub struct RateHistory {
    total: RateSeries,
    /// At most [`BUSIEST_TRACKED`] unpinned peers and [`PINNED_MAX`] pinned ones, in the order they
    /// started being tracked.
    peers: Vec<PeerRates>,
}

impl RateHistory {
    /// Counts bytes and messages of `peer` going `dir` at `at`: in the total, and in the peer's series when
    /// it is tracked or busy enough to be. `known` is `None` for a peer the log does not know (only the total
    /// counts it).
    pub(super) fn add(
        &mut self,
        peer: PeerId,
        known: Option<Known<'_>>,
        dir: Direction,
        bytes: u64,
        messages: u64,
        at: SystemTime,
    ) {
        let secs = unix_secs(at);
        self.total.add(secs, dir, bytes, messages);
        let Some(known) = known else { return };
        known.activity.add(secs, bytes);
        if let Some(tracked) = self.peers.iter_mut().find(|tracked| tracked.peer == peer) {
            tracked.activity = *known.activity;
            tracked.series.add(secs, dir, bytes, messages);
            return;
        }
        let busy = known.activity.busy(secs);
        let room = self.unpinned() < BUSIEST_TRACKED;
        let replaced = if room {
            None
        } else {
            match self.least_busy(secs) {
                Some((index, least)) if busy > least.saturating_mul(PROMOTE_FACTOR) => Some(index),
                _ => return,
            }
        };
        let mut tracked = PeerRates {
            peer,
            addr: Arc::clone(known.addr),
            since: at,
            pinned: false,
            series: RateSeries::default(),
            activity: *known.activity,
        };
        tracked.series.add(secs, dir, bytes, messages);
        if let Some(index) = replaced {
            self.peers.remove(index);
        }
        self.peers.push(tracked);
    }

    /// Tracks exactly `peers` (the first [`PINNED_MAX`]) as selected from `at` on, each with its address:
    /// one not tracked yet gets a series from `at`; one no longer selected stays tracked as any other, while
    /// it is among the busiest. Nothing changes when the selection is the same.
    pub(super) fn pin(&mut self, peers: &[(PeerId, Known<'_, Activity>)], at: SystemTime) {
        let peers = &peers[..peers.len().min(PINNED_MAX)];
        for tracked in &mut self.peers {
            tracked.pinned = peers.iter().any(|(peer, _)| *peer == tracked.peer);
        }
        for (peer, known) in peers {
            if !self.peers.iter().any(|tracked| tracked.peer == *peer) {
                self.peers.push(PeerRates {
                    peer: *peer,
                    addr: Arc::clone(known.addr),
                    since: at,
                    pinned: true,
                    series: RateSeries::default(),
                    activity: known.activity,
                });
            }
        }
        let secs = unix_secs(at);
        while self.unpinned() > BUSIEST_TRACKED
            && let Some((index, _)) = self.least_busy(secs)
        {
            self.peers.remove(index);
        }
    }

    fn unpinned(&self) -> usize {
        self.peers.iter().filter(|tracked| !tracked.pinned).count()
    }

    /// The unpinned tracked peer least busy at `secs` (the earliest tracked among equals), and its bytes.
    fn least_busy(&self, secs: u64) -> Option<(usize, u64)> {
        self.peers
            .iter()
            .enumerate()
            .filter(|(_, tracked)| !tracked.pinned)
            .map(|(index, tracked)| (index, tracked.activity.busy(secs)))
            .min_by_key(|&(_, busy)| busy)
    }

    /// The whole session's series.
    #[must_use]
    pub fn total(&self) -> &RateSeries {
        &self.total
    }

    /// The tracked peers, in the order they started being tracked.
    #[must_use]
    pub fn peers(&self) -> &[PeerRates] {
        &self.peers
    }

    /// The tracked peer `peer`, if it is tracked.
    #[must_use]
    pub fn peer(&self, peer: PeerId) -> Option<&PeerRates> {
        self.peers.iter().find(|tracked| tracked.peer == peer)
    }

    /// Bytes the history takes on the heap, its own size aside: at most [`SERIES_MAX_BYTES`] for the total
    /// and for each of up to [`BUSIEST_TRACKED`] + [`PINNED_MAX`] peers, plus the list of tracked peers,
    /// however many peers the session has. Each peer's measure of how busy it is (24 bytes) lives with its
    /// statistics in the log.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.total.heap_bytes()
            + self.peers.capacity() * size_of::<PeerRates>()
            + self
                .peers
                .iter()
                .map(|tracked| tracked.series.heap_bytes())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{CloseReason, Event};
    use crate::traffic::LogConfig;
    use crate::traffic::test_support::*;

    /// A log that keeps rates, framing lines.
    fn rated() -> Session {
        Session::new(LogConfig {
            rates: true,
            ..config(delimiter(b"\n"))
        })
    }

    fn rates(s: &Session) -> &RateHistory {
        s.log.rates().unwrap()
    }

    /// The seconds of [`wall`] `ms`.
    fn secs(ms: u64) -> u64 {
        unix_secs(wall(ms))
    }

    fn sum(buckets: &[RateBucket]) -> Counters {
        let mut sum = Counters::default();
        for bucket in buckets {
            sum.add(
                Direction::Rx,
                bucket.counts.rx_bytes,
                bucket.counts.rx_messages,
            );
            sum.add(
                Direction::Tx,
                bucket.counts.tx_bytes,
                bucket.counts.tx_messages,
            );
        }
        sum
    }

    /// Each bucket starts where the one before ended.
    fn assert_contiguous(buckets: &[RateBucket]) {
        for pair in buckets.windows(2) {
            assert_eq!(pair[0].end(), pair[1].start, "{pair:?}");
        }
    }

    #[test]
    fn buckets_follow_the_events_own_times_not_when_they_are_seen() {
        let mut s = rated();
        s.connect(0, P1);
        // Drained together five seconds late, as a busy window would.
        s.data_seen(100, 5_000, P1, Direction::Rx, b"ab\n");
        s.data_seen(1_200, 5_000, P1, Direction::Rx, b"cde\n");
        s.data_seen(1_900, 5_000, P1, Direction::Tx, b"xy");
        let total = rates(&s).total();
        let buckets = total.buckets(wall(0), wall(5_000));
        let second = |n: u64| unix_time(secs(0) + n);
        assert_eq!(
            buckets,
            [
                RateBucket {
                    start: second(0),
                    width: Duration::from_secs(1),
                    counts: Counters {
                        rx_bytes: 3,
                        rx_messages: 1,
                        ..Counters::default()
                    },
                },
                RateBucket {
                    start: second(1),
                    width: Duration::from_secs(1),
                    counts: Counters {
                        rx_bytes: 4,
                        tx_bytes: 2,
                        rx_messages: 1,
                        tx_messages: 1,
                    },
                },
            ]
        );
        assert!((buckets[1].per_second(Quantity::Bytes, Direction::Rx) - 4.0).abs() < 1e-9);
        assert!((buckets[1].per_second(Quantity::Messages, Direction::Tx) - 1.0).abs() < 1e-9);
        // A bucket still filling is not given: it would read as a drop in the rate.
        assert_eq!(total.buckets(wall(0), wall(1_500)).len(), 1);
        // Nor one that ended before `since`.
        assert_eq!(total.buckets(wall(1_000), wall(5_000))[0].start, second(1));
        assert_eq!(total.newest_end(), Some(second(2)));
    }

    #[test]
    fn older_history_is_downsampled_at_ten_minutes_and_an_hour() {
        const SECONDS: u64 = 7_200;
        let mut s = rated();
        s.connect(0, P1);
        // A byte every second for two hours.
        for k in 0..SECONDS {
            s.rx(k * 1_000, P1, b"x");
        }
        let until = wall(SECONDS * 1_000);
        let buckets = rates(&s).total().buckets(SystemTime::UNIX_EPOCH, until);
        assert_contiguous(&buckets);
        assert_eq!(
            sum(&buckets).rx_bytes,
            SECONDS,
            "nothing lost or counted twice"
        );
        let first_second = secs(0);
        let width_from = |width: u64| {
            buckets
                .iter()
                .find(|bucket| bucket.width == Duration::from_secs(width))
                .map(|bucket| unix_secs(bucket.start))
        };
        // One-second buckets for exactly the last 10 minutes.
        assert_eq!(width_from(1), Some(first_second + SECONDS - 600));
        // Ten-second buckets back to the first whole minute within the last hour (the minutes here fall
        // 20 s after the test's tens of seconds).
        let hour_ago = first_second + SECONDS - 3_600;
        assert_eq!(width_from(10), Some(hour_ago.div_ceil(60) * 60));
        // Minutes before that, from the minute of the first event.
        assert_eq!(width_from(60), Some(first_second / 60 * 60));
        let widths: Vec<u64> = buckets
            .iter()
            .map(|bucket| bucket.width.as_secs())
            .collect();
        assert!(
            widths.is_sorted_by(|a, b| a >= b),
            "coarse first, then finer"
        );
        assert_eq!(widths.iter().filter(|&&width| width == 1).count(), 600);
        // A steady byte a second reads as one byte a second at every resolution, but the partial first
        // minute.
        for bucket in &buckets[1..] {
            let rate = bucket.per_second(Quantity::Bytes, Direction::Rx);
            assert!((rate - 1.0).abs() < 1e-9, "{bucket:?}");
        }
        // Only the last minute asked for: one-second buckets only.
        let last_minute = rates(&s)
            .total()
            .buckets(wall((SECONDS - 60) * 1_000), until);
        assert_eq!(last_minute.len(), 60);
        assert!(last_minute.iter().all(|bucket| bucket.width.as_secs() == 1));
    }

    #[test]
    fn history_stops_at_the_hard_cap_and_a_clock_jump_starts_afresh() {
        const MINUTES: u64 = 30 * 60;
        let mut s = rated();
        s.connect(0, P1);
        // A byte a minute for 30 hours.
        for k in 0..MINUTES {
            s.rx(k * 60_000, P1, b"x");
        }
        let total = rates(&s).total();
        assert!(
            total.heap_bytes() <= SERIES_MAX_BYTES,
            "{}",
            total.heap_bytes()
        );
        let rings: Vec<usize> = total.rings.iter().map(|ring| ring.buckets.len()).collect();
        assert_eq!(
            rings,
            [600, 360, 1440],
            "every ring full, none beyond its size"
        );
        let until = wall(MINUTES * 60_000);
        let buckets = total.buckets(SystemTime::UNIX_EPOCH, until);
        assert_contiguous(&buckets);
        let oldest = unix_secs(buckets[0].start);
        let newest = secs((MINUTES - 1) * 60_000);
        assert_eq!(oldest, newest / 60 * 60 - 1_439 * 60);
        // Exactly the minutes within the last 24 hours are kept.
        assert_eq!(sum(&buckets).rx_bytes, 1_440);

        // An event from before the cap is left out; one a week later starts the history again.
        s.rx(0, P1, b"x");
        let week = 7 * 24 * 3_600_000;
        s.rx(week, P1, b"yy");
        let buckets = rates(&s)
            .total()
            .buckets(SystemTime::UNIX_EPOCH, wall(week + 1_000));
        assert_eq!(sum(&buckets).rx_bytes, 2);
        assert_eq!(buckets.len(), 1);
        assert!(rates(&s).total().heap_bytes() <= SERIES_MAX_BYTES);
    }

    #[test]
    fn an_event_reported_late_counts_in_the_bucket_of_its_own_time() {
        let mut s = rated();
        s.connect(0, P1);
        s.tx(5_000, P1, b"abc");
        // The part of a send cut short, timed by its last byte, told only by the close.
        s.event(
            9_000,
            &Event::Unsent {
                peer: P1,
                written: bytes::Bytes::from_static(b"12345"),
                written_at: wall(2_500),
                bytes: 10,
                sends: 1,
                at: wall(9_000),
            },
        );
        let buckets = rates(&s).total().buckets(wall(0), wall(10_000));
        assert_contiguous(&buckets);
        let by_second: Vec<(u64, u64)> = buckets
            .iter()
            .map(|bucket| (unix_secs(bucket.start) - secs(0), bucket.counts.tx_bytes))
            .collect();
        assert_eq!(by_second, [(2, 5), (3, 0), (4, 0), (5, 3)]);
    }

    #[test]
    fn totals_equal_the_sum_of_the_events() {
        let mut s = rated();
        s.connect(0, P1);
        s.connect(0, P2);
        let mut k = 0;
        for round in 0..500_u64 {
            let ms = round * 137;
            // Lines split across reads, sends, and a peer unknown to the log.
            s.rx(ms, P1, if round % 3 == 0 { b"hel" } else { b"lo\nab\n" });
            s.tx(ms + 1, P2, &vec![b'x'; (round % 50) as usize]);
            s.rx(ms + 2, crate::engine::PeerId(99), b"?\n");
            k += 1;
        }
        s.close(k * 137, P1, CloseReason::PeerClosed);
        let history = rates(&s);
        let buckets = history
            .total()
            .buckets(SystemTime::UNIX_EPOCH, wall(k * 137 + 1_000));
        assert_eq!(sum(&buckets), *s.log.totals());
        // Peers tracked from their first event hold all of theirs.
        for peer in [P1, P2] {
            let tracked = history.peer(peer).unwrap();
            let series = tracked
                .series
                .buckets(SystemTime::UNIX_EPOCH, wall(k * 137 + 1_000));
            assert_eq!(sum(&series), s.log.peer(peer).unwrap().counters, "{peer}");
        }
        assert!(history.peer(crate::engine::PeerId(99)).is_none());
    }

    /// Each of `peers` sends `bytes` at `ms`.
    fn send_each(s: &mut Session, ms: u64, peers: std::ops::RangeInclusive<u64>, bytes: usize) {
        for id in peers {
            s.rx(ms, crate::engine::PeerId(id), &vec![b'x'; bytes]);
        }
    }

    fn tracked(s: &Session) -> Vec<u64> {
        let mut ids: Vec<u64> = rates(s)
            .peers()
            .iter()
            .map(|tracked| tracked.peer.0)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn the_busiest_peers_are_kept_and_quiet_ones_give_way() {
        let mut s = Session::new(LogConfig {
            rates: true,
            ..LogConfig::default()
        });
        let first = BUSIEST_TRACKED as u64;
        let quiet = crate::engine::PeerId(first + 7);
        for id in 1..=quiet.0 {
            s.connect(0, crate::engine::PeerId(id));
        }
        // While there is room, each peer with data is tracked.
        send_each(&mut s, 1_000, 1..=first, 10);
        assert_eq!(tracked(&s), (1..=first).collect::<Vec<_>>());
        // Not twice as busy as the quietest: not worth another's history.
        send_each(&mut s, 1_100, first + 1..=first + 1, 19);
        assert_eq!(tracked(&s), (1..=first).collect::<Vec<_>>());
        // Much busier ones take the places of the quietest, the earliest tracked first among equals.
        send_each(&mut s, 1_200, first + 2..=first + 4, 1_000);
        let mut expected: Vec<u64> = (4..=first).chain(first + 2..=first + 4).collect();
        expected.sort_unstable();
        assert_eq!(tracked(&s), expected);
        assert!(
            rates(&s).peer(crate::engine::PeerId(1)).is_none(),
            "its series went"
        );
        let newcomer = rates(&s).peer(crate::engine::PeerId(first + 2)).unwrap();
        assert_eq!(
            newcomer.since,
            wall(1_200),
            "a series starts when tracking does"
        );
        assert_eq!(newcomer.addr.socket, addr(50_000 + first as u16 + 2));

        // A selected peer is tracked from the selection on, however quiet, and not pushed out.
        s.log.pin_rates(&[quiet], wall(1_300));
        let pinned = rates(&s).peer(quiet).unwrap();
        assert!(pinned.pinned && pinned.series.buckets(wall(0), wall(2_000)).is_empty());
        assert_eq!(pinned.since, wall(1_300));
        send_each(&mut s, 1_400, first + 5..=first + 6, 5_000);
        assert!(rates(&s).peer(quiet).is_some());
        let unpinned = rates(&s)
            .peers()
            .iter()
            .filter(|tracked| !tracked.pinned)
            .count();
        assert_eq!(unpinned, BUSIEST_TRACKED);

        // No longer selected, the quiet peer is the first to go.
        s.log.pin_rates(&[], wall(1_500));
        assert_eq!(rates(&s).peers().len(), BUSIEST_TRACKED);
        assert!(rates(&s).peer(quiet).is_none(), "the quietest");
        // Twenty seconds later the busy peers are quiet too, and any sender takes a quiet one's place.
        send_each(&mut s, 30_000, 1..=1, 1);
        assert!(rates(&s).peer(crate::engine::PeerId(1)).is_some());
        assert_eq!(rates(&s).peers().len(), BUSIEST_TRACKED);
    }

    #[test]
    fn ten_thousand_peers_stay_within_the_memory_bound() {
        const PEERS: u64 = 10_000;
        let mut s = Session::new(LogConfig {
            rates: true,
            ..LogConfig::default()
        });
        for id in 1..=PEERS {
            s.connect(0, crate::engine::PeerId(id));
        }
        // Every peer sends, in turns, for two hours of event time: the peers' rates vary, so the busiest
        // change hands.
        for round in 0..12_u64 {
            for id in 1..=PEERS {
                let ms = round * 600_000 + id * 60;
                let len = ((id * 7 + round * 13) % 97 + 1) as usize;
                s.rx(ms, crate::engine::PeerId(id), &vec![b'x'; len]);
            }
        }
        let history = rates(&s);
        assert!(history.peers().len() <= BUSIEST_TRACKED + PINNED_MAX);
        let bound = (1 + BUSIEST_TRACKED + PINNED_MAX) * SERIES_MAX_BYTES
            + (BUSIEST_TRACKED + PINNED_MAX).next_power_of_two() * size_of::<PeerRates>();
        assert!(
            history.heap_bytes() <= bound,
            "{} > {bound}",
            history.heap_bytes()
        );
        // What each peer carries for it, beside its counters.
        assert!(size_of::<Activity>() <= 24);
        let buckets = history
            .total()
            .buckets(SystemTime::UNIX_EPOCH, wall(8_000_000));
        assert_eq!(sum(&buckets).rx_bytes, s.log.totals().rx_bytes);
    }
}
