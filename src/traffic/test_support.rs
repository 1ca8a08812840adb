//! Helpers the traffic module's tests share: peers, addresses and times, and a log fed events by the
//! millisecond.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::codec::{self, ControlStyle, FramerConfig, Framing, TextEncoding};
use crate::engine::{CloseReason, Direction, Event, NetError, Operation, PeerId};
use crate::i18n::{Lang, Text};

use super::{LogConfig, RowKind, TrafficLog};

pub(crate) const P1: PeerId = PeerId(1);
pub(crate) const P2: PeerId = PeerId(2);

pub(crate) fn addr(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(192, 168, 1, 20), port))
}

/// The wall-clock time `ms` milliseconds into a test session.
pub(crate) fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
}

pub(crate) fn delimiter(delimiter: &[u8]) -> FramerConfig {
    Framing::Delimiter {
        delimiter: delimiter.to_vec(),
        keep: false,
    }
    .into()
}

pub(crate) fn config(framer: FramerConfig) -> LogConfig {
    LogConfig {
        framer,
        ..LogConfig::default()
    }
}

/// A log fed events that happen `ms` into the session and are seen at once, unless told otherwise.
pub(crate) struct Session {
    pub(crate) log: TrafficLog,
    pub(crate) t0: Instant,
}

impl Session {
    pub(crate) fn new(config: LogConfig) -> Self {
        Self {
            log: TrafficLog::new(config),
            t0: Instant::now(),
        }
    }

    pub(crate) fn now(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    pub(crate) fn listen(&mut self, ms: u64, port: u16) {
        let event = Event::Listening {
            addr: SocketAddr::from(([0, 0, 0, 0], port)),
            at: wall(ms),
        };
        self.log.apply(&event, self.now(ms));
    }

    pub(crate) fn connect(&mut self, ms: u64, peer: PeerId) {
        let event = Event::Connected {
            peer,
            addr: addr(50_000 + peer.0 as u16),
            local: addr(10_000),
            at: wall(ms),
        };
        self.log.apply(&event, self.now(ms));
    }

    /// Data that happened at `ms` and was seen at `seen_ms`.
    pub(crate) fn data_seen(
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

    pub(crate) fn rx(&mut self, ms: u64, peer: PeerId, bytes: &[u8]) {
        self.data_seen(ms, ms, peer, Direction::Rx, bytes);
    }

    pub(crate) fn tx(&mut self, ms: u64, peer: PeerId, bytes: &[u8]) {
        self.data_seen(ms, ms, peer, Direction::Tx, bytes);
    }

    pub(crate) fn close(&mut self, ms: u64, peer: PeerId, reason: CloseReason) {
        let event = Event::Closed {
            peer,
            reason,
            at: wall(ms),
        };
        self.log.apply(&event, self.now(ms));
    }

    pub(crate) fn event(&mut self, ms: u64, event: &Event) {
        self.log.apply(event, self.now(ms));
    }
}

/// Each row in a line: peer, then `Rx`/`Tx`, the message kind and the text, or the note.
pub(crate) fn summary(log: &TrafficLog) -> Vec<String> {
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
                RowKind::Note(note) => format!("{peer} {}", note.text(Lang::En)),
            }
        })
        .collect()
}

pub(crate) fn net_error(kind: std::io::ErrorKind) -> NetError {
    NetError::io(
        Operation::Receive,
        Some(addr(50_001).to_string()),
        &std::io::Error::from(kind),
    )
}
