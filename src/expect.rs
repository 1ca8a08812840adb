//! Expectations: what a script waits for the peers to send, met one after another in the order given.
//!
//! # What an expectation is tested against
//! - With a framing (delimiter, fixed length, length prefix, idle gap), each received message is tested
//!   whole, as the log shows it.
//! - With raw framing there are no messages, only reads, and where the network cuts a stream into reads
//!   is chance: a board's `Hello 01Studio!` may arrive as `Hel`, `lo 01St`, `udio!`, and a slow board or a
//!   serial-to-Ethernet bridge cuts lines all the time. So with raw framing an expectation is tested
//!   against each peer's byte stream since the last match: the bytes after the end of the last match,
//!   at most the last [`STREAM_WINDOW`] of them. A message in pieces meets it when its last piece arrives.
//!
//! In both cases the search goes on after a match, so one message or read can meet several expectations
//! in turn (`--expect A --expect B` and a read `AB`). Bytes a framing skipped (a bad length header) are
//! never tested.
//!
//! Reply rules answer messages instead, and under raw framing a message is one read: for a device that
//! splits its messages, give the rules a framing (a delimiter such as `\n`, or an idle gap).

use std::collections::HashMap;
use std::time::SystemTime;

use bytes::{Buf, BytesMut};

use crate::codec::{Framing, MessageKind};
use crate::engine::PeerId;
use crate::rules::Pattern;

/// The most bytes per peer kept for raw-framing expectations (the same as a check's `expect` keeps).
pub use crate::check::STREAM_WINDOW;

/// One thing expected, as the user wrote it, and when it was met.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// How the user wrote it (`--expect 'Hello'`), for summaries.
    pub typed: String,
    pattern: Pattern,
    /// When it was met; `None` while it is not.
    pub met: Option<SystemTime>,
}

impl Expectation {
    /// An expectation of `pattern`, written as `typed`.
    #[must_use]
    pub fn new(typed: impl Into<String>, pattern: Pattern) -> Self {
        Self {
            typed: typed.into(),
            pattern,
            met: None,
        }
    }

    /// What it looks for.
    #[must_use]
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }
}

/// Expectations met in order, fed with what the peers send.
#[derive(Clone, Debug)]
pub struct Expectations {
    list: Vec<Expectation>,
    /// Raw framing: test each peer's stream, not single reads.
    stream: bool,
    /// Raw framing: each peer's bytes since the last match.
    pending: HashMap<PeerId, BytesMut>,
}

impl Expectations {
    /// `list`, in order, for a session framed by `framing`.
    #[must_use]
    pub fn new(list: Vec<Expectation>, framing: &Framing) -> Self {
        Self {
            list,
            stream: matches!(framing, Framing::Raw),
            pending: HashMap::new(),
        }
    }

    /// Takes a message (with raw framing: a read) `peer` sent, received at `at`, and marks what it meets.
    pub fn received(&mut self, peer: PeerId, bytes: &[u8], kind: MessageKind, at: SystemTime) {
        if kind == MessageKind::BadLength || self.all_met() {
            return;
        }
        if !self.stream {
            self.meet(bytes, at);
            return;
        }
        let pending = self.pending.entry(peer).or_default();
        pending.extend_from_slice(bytes);
        if pending.len() > STREAM_WINDOW {
            pending.advance(pending.len() - STREAM_WINDOW);
        }
        let mut pending = std::mem::take(pending);
        let used = self.meet(&pending, at);
        pending.advance(used);
        self.pending.insert(peer, pending);
    }

    /// Meets expectations in order in `haystack`, each searched for after the previous one's match;
    /// returns where the last match ended.
    fn meet(&mut self, haystack: &[u8], at: SystemTime) -> usize {
        let mut from = 0;
        for expectation in self.list.iter_mut().filter(|e| e.met.is_none()) {
            let Some(end) = expectation.pattern.match_end(&haystack[from..]) else {
                break;
            };
            expectation.met = Some(at);
            from += end;
        }
        from
    }

    /// The peer is gone: what it sent can no longer be continued.
    pub fn forget(&mut self, peer: PeerId) {
        self.pending.remove(&peer);
    }

    /// Whether there are any.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether there are some and every one is met.
    #[must_use]
    pub fn all_met(&self) -> bool {
        !self.list.is_empty() && self.list.iter().all(|e| e.met.is_some())
    }

    /// How many there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// All of them, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Expectation> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::codec::TextEncoding;
    use crate::rules::Match;

    const P1: PeerId = PeerId(1);
    const P2: PeerId = PeerId(2);

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn expectations(list: &[Match], framing: &Framing) -> Expectations {
        let list = list
            .iter()
            .map(|m| {
                Expectation::new(
                    format!("{m:?}"),
                    Pattern::new(m, TextEncoding::Utf8).unwrap(),
                )
            })
            .collect();
        Expectations::new(list, framing)
    }

    fn met(e: &Expectations) -> Vec<Option<SystemTime>> {
        e.iter().map(|e| e.met).collect()
    }

    fn hello() -> Match {
        Match::Contains("Hello 01Studio!".to_owned())
    }

    #[test]
    fn with_raw_framing_a_greeting_in_pieces_is_met_at_every_split() {
        let greeting = b"Hello 01Studio!";
        for first in 0..=greeting.len() {
            for second in first..=greeting.len() {
                let mut e = expectations(&[hello()], &Framing::Raw);
                let pieces = [
                    &greeting[..first],
                    &greeting[first..second],
                    &greeting[second..],
                ];
                for (ms, piece) in (1..).zip(pieces) {
                    e.received(P1, piece, MessageKind::Complete, at(ms));
                }
                // Met by the piece that completes it (an empty last piece completes nothing).
                let completing = 1 + pieces.iter().rposition(|p| !p.is_empty()).unwrap() as u64;
                assert_eq!(
                    met(&e),
                    [Some(at(completing))],
                    "split at {first} and {second}"
                );
            }
        }
    }

    #[test]
    fn each_peers_stream_is_its_own() {
        let mut e = expectations(&[hello()], &Framing::Raw);
        e.received(P1, b"Hello 01", MessageKind::Complete, at(1));
        e.received(P2, b"Studio!", MessageKind::Complete, at(2));
        assert!(!e.all_met());
        e.received(P1, b"Studio!", MessageKind::Complete, at(3));
        assert_eq!(met(&e), [Some(at(3))]);
    }

    #[test]
    fn expectations_are_met_in_order_and_one_read_can_meet_several() {
        let list = [
            Match::Contains("A".to_owned()),
            Match::Regex("B+".to_owned()),
            Match::Contains("A".to_owned()),
        ];
        let mut e = expectations(&list, &Framing::Raw);
        // The second A comes before B, so it is not met yet; the search goes on after B's match.
        e.received(P1, b"xAyB", MessageKind::Complete, at(1));
        assert_eq!(met(&e), [Some(at(1)), Some(at(1)), None]);
        e.received(P1, b"BA", MessageKind::Complete, at(2));
        assert_eq!(met(&e), [Some(at(1)), Some(at(1)), Some(at(2))]);
        assert!(e.all_met());
    }

    #[test]
    fn bytes_before_a_match_are_not_looked_at_again() {
        let list = [
            Match::Contains("ok".to_owned()),
            Match::Contains("ok".to_owned()),
        ];
        let mut e = expectations(&list, &Framing::Raw);
        e.received(P1, b"ok", MessageKind::Complete, at(1));
        e.received(P1, b"o", MessageKind::Complete, at(2));
        assert_eq!(met(&e), [Some(at(1)), None]);
        e.received(P1, b"k", MessageKind::Complete, at(3));
        assert_eq!(met(&e), [Some(at(1)), Some(at(3))]);
    }

    #[test]
    fn with_a_framing_each_message_is_tested_whole_and_alone() {
        let hash = Framing::Delimiter {
            delimiter: b"#".to_vec(),
            keep: false,
        };
        let mut e = expectations(&[Match::Exact("look".to_owned())], &hash);
        e.received(P1, b"lo", MessageKind::Complete, at(1));
        e.received(P1, b"ok", MessageKind::Complete, at(2));
        assert!(!e.all_met(), "two messages are not one");
        e.received(P1, b"look", MessageKind::BadLength, at(3));
        assert!(!e.all_met(), "skipped bytes are not a message");
        e.received(P1, b"look", MessageKind::Complete, at(4));
        assert_eq!(met(&e), [Some(at(4))]);
    }

    #[test]
    fn the_stream_kept_per_peer_is_bounded() {
        let mut e = expectations(&[Match::Contains("never".to_owned())], &Framing::Raw);
        let read = vec![b'x'; 64 * 1024];
        for ms in 0..100 {
            e.received(P1, &read, MessageKind::Complete, at(ms));
        }
        assert!(e.pending[&P1].len() <= STREAM_WINDOW);
        // The window still holds its newest bytes: a match across its end is found.
        e.received(P1, b"nev", MessageKind::Complete, at(200));
        e.received(P1, b"er", MessageKind::Complete, at(201));
        assert!(e.all_met());
        e.forget(P1);
        assert!(e.pending.is_empty());
    }
}
