//! Periodic sending, run by the worker itself so an interval of a few milliseconds keeps its pace whatever
//! the GUI is doing (a window repaints at most every few milliseconds, and not at all when minimised).

use std::ops::Range;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::{Event, Target};
use crate::codec::{Template, Values};

/// The shortest interval accepted; shorter requests are raised to it.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// The most ticks sent at once when the worker wakes late. A late wake-up of a millisecond or two (a busy
/// machine, the OS's timer granularity) is made up in a short burst so the rate stays the one asked for;
/// ticks further behind than this (a long stall, a suspended laptop) are skipped, counted, and reported in
/// [`Event::Periodic`], rather than fired all at once at a device.
pub const CATCH_UP: u64 = 4;

/// One periodic send in progress. Ticks stay on the grid `start + k * every` whatever the delays, so the
/// average rate is the one asked for.
pub(crate) struct Periodic {
    to: Target,
    /// What each send is made from, each a write of its own; rendered anew per send when it has variables.
    messages: Vec<Template>,
    every: Duration,
    /// Sends still to do; `None` for endless.
    remaining: Option<u64>,
    sent: u64,
    /// Ticks of the grid passed over without a send, because the worker was more than [`CATCH_UP`] ticks
    /// behind.
    skipped: u64,
    next: Instant,
}

/// What a due periodic send asks of the worker.
pub(crate) struct Due {
    /// Who receives the sends.
    pub(crate) to: Target,
    /// The sends to make now, by number (from 1: the `{counter}` of each): one, or up to [`CATCH_UP`]
    /// after a late wake-up. [`Periodic::messages`] makes each one's bytes.
    pub(crate) sends: Range<u64>,
    /// The progress event to emit after the sends.
    pub(crate) progress: Event,
}

impl Periodic {
    /// The first send is due at once.
    pub(crate) fn new(
        to: Target,
        messages: Vec<Template>,
        every: Duration,
        count: Option<u64>,
        now: Instant,
    ) -> Self {
        Self {
            to,
            messages,
            every: every.max(MIN_INTERVAL),
            remaining: count,
            sent: 0,
            skipped: 0,
            next: now,
        }
    }

    /// When the next send is due.
    pub(crate) fn next(&self) -> Instant {
        self.next
    }

    /// If sends are due at `now`: the send, how many times to make it, and the progress event that follows.
    /// Skipped ticks do not count towards `count`: a count-limited send always makes its count, later. After
    /// the last send [`Self::finished`] is true.
    pub(crate) fn due(&mut self, now: Instant) -> Option<Due> {
        if now < self.next || self.finished() {
            return None;
        }
        let every = self.every.as_nanos();
        // Ticks whose time has come, this one included.
        let behind = u64::try_from((now - self.next).as_nanos() / every)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut times = behind.min(CATCH_UP);
        self.skipped += behind - times;
        if let Some(remaining) = &mut self.remaining {
            times = times.min(*remaining);
            *remaining -= times;
        }
        let sends = self.sent + 1..self.sent + 1 + times;
        self.sent += times;
        let advance = u64::try_from(every * u128::from(behind)).unwrap_or(u64::MAX);
        self.next += Duration::from_nanos(advance);
        Some(Due {
            to: self.to.clone(),
            sends,
            progress: self.progress(self.finished()),
        })
    }

    /// The messages of send number `send` (from 1), in order, each with that number. Without variables
    /// these are the same shared bytes each time, and the clock is not read.
    pub(crate) fn messages(&self, send: u64) -> impl Iterator<Item = Bytes> + '_ {
        let now = self
            .messages
            .iter()
            .any(|message| message.fixed().is_none())
            .then(SystemTime::now);
        self.messages
            .iter()
            .map(move |message| match (message.fixed(), now) {
                (Some(bytes), _) => bytes.clone(),
                (None, now) => {
                    message.render(Values::new(send, now.unwrap_or_else(SystemTime::now)))
                }
            })
    }

    /// Whether every requested send was made.
    pub(crate) fn finished(&self) -> bool {
        self.remaining == Some(0)
    }

    fn progress(&self, done: bool) -> Event {
        Event::Periodic {
            sent: self.sent,
            skipped: self.skipped,
            done,
            at: SystemTime::now(),
        }
    }

    /// The final progress event when the periodic send is stopped or replaced before its end.
    pub(crate) fn progress_done(&self) -> Event {
        self.progress(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Scope, SendOptions};

    fn progress(due: &Due) -> (u64, u64, bool) {
        match due.progress {
            Event::Periodic {
                sent,
                skipped,
                done,
                ..
            } => (sent, skipped, done),
            _ => unreachable!("a periodic send reports Periodic"),
        }
    }

    /// A message without variables.
    fn fixed(bytes: &'static [u8]) -> Vec<Template> {
        vec![Template::from(Bytes::from_static(bytes))]
    }

    /// An endless periodic send, every `every` from `start`.
    fn endless(every: Duration, start: Instant) -> Periodic {
        Periodic::new(Target::All, fixed(b"x"), every, None, start)
    }

    #[test]
    fn each_send_is_rendered_with_its_number() {
        let read = |text| Template::parse(text, &SendOptions::default(), Scope::SEND).unwrap();
        let messages = vec![read("#{counter}"), read("ok"), read("{counter};")];
        let start = Instant::now();
        let mut periodic = Periodic::new(Target::All, messages, MIN_INTERVAL, None, start);
        let due = periodic.due(start).unwrap();
        assert_eq!(due.sends, 1..2);
        let first: Vec<Bytes> = periodic.messages(1).collect();
        assert_eq!(
            first,
            [&b"#1"[..], b"ok", b"1;"],
            "each message its own write"
        );
        let late = periodic.due(start + MIN_INTERVAL * 3).unwrap();
        let sent: Vec<Bytes> = late
            .sends
            .flat_map(|send| periodic.messages(send))
            .collect();
        assert_eq!(sent[..3], [&b"#2"[..], b"ok", b"2;"]);
        assert_eq!(sent[6..], [&b"#4"[..], b"ok", b"4;"]);
        // Without variables, the one payload is shared.
        let fixed = Periodic::new(Target::All, fixed(&[1, 2, 3]), MIN_INTERVAL, None, start);
        let (one, two) = (fixed.messages(1).next(), fixed.messages(2).next());
        assert_eq!(one.unwrap().as_ptr(), two.unwrap().as_ptr());
    }

    #[test]
    fn counts_down_and_keeps_the_pace() {
        let start = Instant::now();
        let every = Duration::from_millis(10);
        let mut periodic = Periodic::new(Target::All, fixed(b"x"), every, Some(3), start);
        assert_eq!(
            periodic.due(start).map(|d| d.sends.end - d.sends.start),
            Some(1)
        );
        assert!(
            periodic.due(start).is_none(),
            "not due again before the interval"
        );
        assert_eq!(periodic.next(), start + every);
        // A little late: the next one is still on the original grid.
        assert_eq!(
            periodic
                .due(start + Duration::from_millis(12))
                .map(|d| d.sends.end - d.sends.start),
            Some(1)
        );
        assert_eq!(periodic.next(), start + every * 2);
        let due = periodic.due(start + every * 2).unwrap();
        assert_eq!(progress(&due), (3, 0, true));
        assert!(periodic.due(start + every * 10).is_none());
    }

    #[test]
    fn a_late_wake_up_catches_up_in_a_bounded_burst() {
        let start = Instant::now();
        let every = Duration::from_millis(1);
        let mut periodic = endless(every, start);
        periodic.due(start);
        // Woken 2.5 ms late: the ticks at 1, 2 and 3 ms are all due, and all go now.
        let late = start + Duration::from_micros(3_500);
        let due = periodic.due(late).unwrap();
        assert_eq!(due.sends, 2..5);
        assert_eq!(progress(&due), (4, 0, false));
        assert_eq!(periodic.next(), start + every * 4, "the grid is kept");
        assert!(periodic.due(late).is_none());
    }

    #[test]
    fn a_long_stall_skips_beyond_the_bound_and_counts_it() {
        let start = Instant::now();
        let every = Duration::from_millis(1);
        let mut periodic = endless(every, start);
        periodic.due(start);
        // A second asleep: ticks 1..=1000 are due; CATCH_UP of them go, the rest are skipped.
        let late = start + Duration::from_secs(1) + Duration::from_micros(300);
        let due = periodic.due(late).unwrap();
        assert_eq!(due.sends, 2..2 + CATCH_UP);
        assert_eq!(progress(&due), (1 + CATCH_UP, 1000 - CATCH_UP, false));
        assert_eq!(periodic.next(), start + every * 1001, "the grid is kept");
        assert!(periodic.due(late).is_none());
        let ended = periodic.progress_done();
        assert!(matches!(
            ended,
            Event::Periodic { skipped, done: true, .. } if skipped == 1000 - CATCH_UP
        ));
    }

    #[test]
    fn skipped_ticks_do_not_use_up_the_count() {
        let start = Instant::now();
        let every = Duration::from_millis(1);
        let mut periodic = Periodic::new(Target::All, fixed(b"x"), every, Some(3), start);
        periodic.due(start);
        let due = periodic.due(start + Duration::from_millis(50)).unwrap();
        assert_eq!(due.sends, 2..4, "only what is left of the count");
        assert_eq!(progress(&due), (3, 50 - CATCH_UP, true));
        assert!(periodic.finished());
    }

    #[test]
    fn intervals_below_the_minimum_are_raised() {
        let start = Instant::now();
        let mut periodic = Periodic::new(Target::All, fixed(b"x"), Duration::ZERO, None, start);
        periodic.due(start);
        assert_eq!(periodic.next(), start + MIN_INTERVAL);
    }
}
