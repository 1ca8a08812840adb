//! Helpers the traffic module's tests share: peers, addresses and times, and a log fed events by the
//! millisecond.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::codec::{self, ControlStyle, FramerConfig, Framing, TextEncoding};
use crate::engine::{CloseReason, Direction, Event, NetError, Operation, PeerId};

use super::{LogConfig, RowKind, TrafficLog};

pub(super) const P1: PeerId = PeerId(1);
pub(super) const P2: PeerId = PeerId(2);

pub(super) fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(192, 168, 1, 20), port))
}

/// The wall-clock time `ms` milliseconds into a test session.
pub(super) fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

pub(super) fn delimiter(delimiter: &[u8]) -> FramerConfig {
    Framing::Delimiter {
        delimiter: delimiter.to_vec(),
        keep: false,
    }
    .into()
}

pub(super) fn config(framer: FramerConfig) -> LogConfig {
    LogConfig {
        framer,
        ..LogConfig::default()
    }
}

/// A log fed events that happen `ms` into the session and are seen at once, unless told otherwise.
pub(super) struct Session {
    pub(super) log: TrafficLog,
    pub(super) t0: Instant,
}

impl Session {
    pub(super) fn new(config: LogConfig) -> Self {
        Self {
            log: TrafficLog::new(config),
            t0: Instant::now(),
        }
    }

    pub(super) fn now(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    pub(super) fn listen(&mut self, ms: u64, port: u16) {
        let event = Event::Listening {
            addr: SocketAddr::from(([0, 0, 0, 0], port)),
            at: wall(ms),
        };
        self.log.apply(&event, self.now(ms));
    }

    pub(super) fn connect(&mut self, ms: u64, peer: PeerId) {
        let event = Event::Connected {
            peer,
            addr: addr(50_000 + peer.0 as u16),
            local: addr(10_000),
            at: wall(ms),
        };
        self.log.apply(&event, self.now(ms));
    }

    /// Data that happened at `ms` and was seen at `seen_ms`.
    pub(super) fn data_seen(
        &mut self,
        ms: u64,
        seen_ms: u64,
        peer: PeerId,
        dir: Direction,
        bytes: &[u8],
    ) {
        let event = Event::Data {
            peer,
            dir,
            bytes: Bytes::copy_from_slice(bytes),
            at: wall(ms),
        };
        self.log.apply(&event, self.now(seen_ms));
    }

    pub(super) fn rx(&mut self, ms: u64, peer: PeerId, bytes: &[u8]) {
        self.data_seen(ms, ms, peer, Direction::Rx, bytes);
    }

    pub(super) fn tx(&mut self, ms: u64, peer: PeerId, bytes: &[u8]) {
        self.data_seen(ms, ms, peer, Direction::Tx, bytes);
    }

    pub(super) fn close(&mut self, ms: u64, peer: PeerId, reason: CloseReason) {
        let event = Event::Closed {
            peer,
            reason,
            at: wall(ms),
        };
        self.log.apply(&event, self.now(ms));
    }

    pub(super) fn event(&mut self, ms: u64, event: &Event) {
        self.log.apply(event, self.now(ms));
    }
}

/// Each row in a line: peer, then `Rx`/`Tx`, the message kind and the text, or the note.
pub(super) fn summary(log: &TrafficLog) -> Vec<String> {
    (0..log.len())
        .map(|index| {
            let row = log.row(index).unwrap();
            let peer = row.peer.map_or("-".to_owned(), |peer| peer.to_string());
            match &row.kind {
                RowKind::Data { dir, bytes, kind } => {
                    let text =
                        codec::decode_for_display(bytes, TextEncoding::Utf8, ControlStyle::Escapes);
                    format!("{peer} {dir:?} {kind:?} {text}")
                }
                RowKind::Note(note) => format!("{peer} {}", note.describe()),
            }
        })
        .collect()
}

pub(super) fn net_error(kind: std::io::ErrorKind) -> NetError {
    NetError::io(
        Operation::Receive,
        Some(addr(50_001).to_string()),
        &std::io::Error::from(kind),
    )
}
