//! Reply rules run by the worker: each peer's received bytes are framed into messages for the session's
//! [`Rules`], and their answers go out at once or, when a rule has a delay, from the worker's own timer.
//! Nothing here waits for the caller, so a reply is as quick as an echo whatever a window is doing.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use super::PeerId;
use crate::codec::{Framer, Framing, Message, MessageKind};
use crate::rules::Rules;

/// The error for an answer meant for the other side of a relay pair in a session that is no relay (the
/// preset refuses such rules before, so only a session configured by hand meets it).
pub(crate) fn no_other_side(peer: PeerId) -> super::NetError {
    super::NetError::invalid(
        super::Operation::Send,
        None,
        format!(
            "a reply rule answers {peer}'s message on to the other side of a relay pair, and this \
             session is no relay"
        ),
    )
}

/// A reply waiting for its delay to pass. Ordered by when it is due, then by when it was made, so two
/// replies due at once leave in the order their messages came.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Delayed {
    due: Instant,
    seq: u64,
    peer: PeerId,
    answer: Answer,
}

/// A rule's answer to a message from a peer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Answer {
    /// The bytes to send.
    pub(crate) bytes: Bytes,
    /// Relay: they go on to the other side of the pair, not back to the sender ([`crate::rules::Rule::onward`]).
    pub(crate) onward: bool,
}

/// One peer's stream being framed for the rules, with the address `{peer}` names.
struct Stream {
    addr: SocketAddr,
    framer: Framer,
}

/// The session's rules with their per-peer framers and the replies waiting for their delay.
pub(crate) struct Replier {
    rules: Rules,
    streams: HashMap<PeerId, Stream>,
    delayed: BinaryHeap<Reverse<Delayed>>,
    next_seq: u64,
    /// Messages out of a framer, kept to reuse the allocation.
    messages: Vec<Message>,
}

impl Replier {
    pub(crate) fn new(rules: Rules) -> Self {
        Self {
            rules,
            streams: HashMap::new(),
            delayed: BinaryHeap::new(),
            next_seq: 0,
            messages: Vec::new(),
        }
    }

    /// Replaces the rules. Counts start again from 0, bytes held for unfinished messages are dropped
    /// (the new rules may frame differently), and replies still waiting for their delay are cancelled:
    /// returned per peer as (peer, bytes, replies), to be reported as not sent.
    pub(crate) fn set(&mut self, rules: Rules) -> Vec<(PeerId, usize, usize)> {
        let mut cancelled: HashMap<PeerId, (usize, usize)> = HashMap::new();
        for Reverse(delayed) in std::mem::take(&mut self.delayed) {
            let (bytes, replies) = cancelled.entry(delayed.peer).or_default();
            *bytes += delayed.answer.bytes.len();
            *replies += 1;
        }
        *self = Self::new(rules);
        let mut cancelled: Vec<_> = cancelled
            .into_iter()
            .map(|(peer, (bytes, replies))| (peer, bytes, replies))
            .collect();
        cancelled.sort_unstable();
        cancelled
    }

    /// The replies to bytes received from `peer` at `addr`: those due now are appended to `out`, delayed
    /// ones wait for [`Self::due`]. A UDP datagram (`datagram`) is framed on its own.
    pub(crate) fn received(
        &mut self,
        peer: PeerId,
        addr: SocketAddr,
        bytes: &[u8],
        datagram: bool,
        out: &mut Vec<Answer>,
    ) {
        if self.rules.is_empty() {
            return;
        }
        let now = Instant::now();
        let stream = self.streams.entry(peer).or_insert_with(|| Stream {
            addr,
            framer: self.rules.framer(),
        });
        if datagram {
            stream.framer.push_datagram(bytes, now, &mut self.messages);
        } else {
            stream.framer.push(bytes, now, &mut self.messages);
        }
        self.answer(peer, addr, now, |answer| out.push(answer));
    }

    /// Answers the framed messages waiting in `self.messages`, passing replies due now to `send`.
    fn answer(
        &mut self,
        peer: PeerId,
        addr: SocketAddr,
        now: Instant,
        mut send: impl FnMut(Answer),
    ) {
        let wall = SystemTime::now();
        for message in self.messages.drain(..) {
            // Oversize pieces, bad length headers and a stream's unfinished end are not messages.
            if message.kind != MessageKind::Complete {
                continue;
            }
            let Some(response) = self.rules.respond(&message.bytes, addr, wall) else {
                continue;
            };
            if response.bytes.is_empty() {
                continue;
            }
            let answer = Answer {
                bytes: response.bytes,
                onward: response.onward,
            };
            if response.delay.is_zero() {
                send(answer);
            } else {
                self.delayed.push(Reverse(Delayed {
                    due: now + response.delay,
                    seq: self.next_seq,
                    peer,
                    answer,
                }));
                self.next_seq += 1;
            }
        }
    }

    /// Whether a reply to `peer` is waiting for its delay.
    pub(crate) fn has_delayed(&self, peer: PeerId) -> bool {
        self.delayed
            .iter()
            .any(|Reverse(delayed)| delayed.peer == peer)
    }

    /// Relay: whether a reply waiting for its delay will be written to `peer`, whose partner is
    /// `partner`: an answer to `peer` itself, or one to `partner` sent on.
    pub(crate) fn has_delayed_toward(&self, peer: PeerId, partner: PeerId) -> bool {
        self.delayed.iter().any(|Reverse(delayed)| {
            (delayed.peer == peer && !delayed.answer.onward)
                || (delayed.peer == partner && delayed.answer.onward)
        })
    }

    /// When the next reply waiting for its delay is due, if one waits.
    pub(crate) fn next_delayed(&self) -> Option<Instant> {
        self.delayed.peek().map(|Reverse(delayed)| delayed.due)
    }

    /// The peer is gone: its framer and its replies still waiting for their delay go too. Returns the
    /// bytes and the number of those replies, to be reported as not sent.
    pub(crate) fn forget(&mut self, peer: PeerId) -> (usize, usize) {
        self.streams.remove(&peer);
        let (mut bytes, mut replies) = (0, 0);
        self.delayed.retain(|Reverse(delayed)| {
            let keep = delayed.peer != peer;
            if !keep {
                bytes += delayed.answer.bytes.len();
                replies += 1;
            }
            keep
        });
        (bytes, replies)
    }

    /// When [`Self::due`] has something to do: the next delayed reply, or the next message an idle gap
    /// ends.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        let delayed = self.next_delayed();
        let idle = if matches!(self.rules.framing().framing, Framing::IdleGap { .. }) {
            self.streams
                .values()
                .filter_map(|s| s.framer.deadline())
                .min()
        } else {
            None
        };
        delayed.into_iter().chain(idle).min()
    }

    /// The replies due at `now`, each with the peer whose message it answers: delayed ones whose time
    /// has come, and answers to messages an idle gap has just ended.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<(PeerId, Answer)> {
        let mut out = Vec::new();
        while let Some(Reverse(first)) = self.delayed.peek()
            && first.due <= now
        {
            if let Some(Reverse(delayed)) = self.delayed.pop() {
                out.push((delayed.peer, delayed.answer));
            }
        }
        if matches!(self.rules.framing().framing, Framing::IdleGap { .. }) {
            let ended: Vec<(PeerId, SocketAddr, Message)> = self
                .streams
                .iter_mut()
                .filter_map(|(peer, s)| Some((*peer, s.addr, s.framer.poll_idle(now)?)))
                .collect();
            for (peer, addr, message) in ended {
                self.messages.push(message);
                self.answer(peer, addr, now, |answer| out.push((peer, answer)));
            }
        }
        out
    }
}
