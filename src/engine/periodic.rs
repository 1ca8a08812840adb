//! Periodic sending, run by the worker itself so an interval of a few milliseconds keeps its pace whatever
//! the GUI is doing (a window repaints at most every few milliseconds, and not at all when minimised).

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use super::{Command, Event, Target};

/// The shortest interval accepted; shorter requests are raised to it.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// One periodic send in progress.
pub(crate) struct Periodic {
    to: Target,
    bytes: Bytes,
    every: Duration,
    /// Sends still to do; `None` for endless.
    remaining: Option<u64>,
    sent: u64,
    next: Instant,
}

impl Periodic {
    /// The first send is due at once.
    pub(crate) fn new(
        to: Target,
        bytes: Bytes,
        every: Duration,
        count: Option<u64>,
        now: Instant,
    ) -> Self {
        Self {
            to,
            bytes,
            every: every.max(MIN_INTERVAL),
            remaining: count,
            sent: 0,
            next: now,
        }
    }

    /// When the next send is due.
    pub(crate) fn next(&self) -> Instant {
        self.next
    }

    /// If a send is due at `now`: the send command and the progress event that follows it. After the last
    /// send [`Self::finished`] is true.
    pub(crate) fn due(&mut self, now: Instant) -> Option<(Command, Event)> {
        if now < self.next || self.finished() {
            return None;
        }
        self.sent += 1;
        if let Some(remaining) = &mut self.remaining {
            *remaining -= 1;
        }
        // Keep the average pace, but after a stall (a busy machine, a suspended laptop) start afresh
        // instead of firing a burst to catch up.
        self.next += self.every;
        if self.next < now {
            self.next = now + self.every;
        }
        let command = Command::Send {
            to: self.to.clone(),
            bytes: self.bytes.clone(),
        };
        Some((command, self.progress()))
    }

    /// Whether every requested send was made.
    pub(crate) fn finished(&self) -> bool {
        self.remaining == Some(0)
    }

    /// The progress event for the sends made so far.
    fn progress(&self) -> Event {
        Event::Periodic {
            sent: self.sent,
            done: self.finished(),
            at: SystemTime::now(),
        }
    }

    /// The final progress event when the periodic send is stopped or replaced before its end.
    pub(crate) fn progress_done(&self) -> Event {
        Event::Periodic {
            sent: self.sent,
            done: true,
            at: SystemTime::now(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_and_keeps_the_pace() {
        let start = Instant::now();
        let every = Duration::from_millis(10);
        let mut periodic =
            Periodic::new(Target::All, Bytes::from_static(b"x"), every, Some(3), start);
        assert!(periodic.due(start).is_some());
        assert!(
            periodic.due(start).is_none(),
            "not due again before the interval"
        );
        assert_eq!(periodic.next(), start + every);
        // A little late: the next one is still on the original grid.
        assert!(periodic.due(start + Duration::from_millis(12)).is_some());
        assert_eq!(periodic.next(), start + every * 2);
        let (_, event) = periodic.due(start + every * 2).unwrap();
        assert!(matches!(
            event,
            Event::Periodic {
                sent: 3,
                done: true,
                ..
            }
        ));
        assert!(periodic.due(start + every * 10).is_none());
    }

    #[test]
    fn a_stall_does_not_cause_a_burst() {
        let start = Instant::now();
        let every = Duration::from_millis(1);
        let mut periodic = Periodic::new(Target::All, Bytes::new(), every, None, start);
        periodic.due(start);
        let late = start + Duration::from_secs(1);
        assert!(periodic.due(late).is_some());
        assert!(periodic.due(late).is_none());
        assert_eq!(periodic.next(), late + every);
    }

    #[test]
    fn intervals_below_the_minimum_are_raised() {
        let start = Instant::now();
        let mut periodic = Periodic::new(Target::All, Bytes::new(), Duration::ZERO, None, start);
        periodic.due(start);
        assert_eq!(periodic.next(), start + MIN_INTERVAL);
    }
}
