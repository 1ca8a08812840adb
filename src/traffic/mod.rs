//! The traffic log: what a session's window shows, built from the engine's events.
//!
//! [`TrafficLog`] owns everything the traffic view, the peers panel and the status bar read each frame:
//! - the rows: each framed message and each connection event, oldest first, bounded by a byte budget.
//!   The oldest rows are dropped first and counted; every row keeps the sequence number it was given, so a
//!   selection survives the rows before it being dropped;
//! - per-peer statistics ([`PeerStats`]) and session totals ([`Counters`]), exact whatever was dropped;
//! - optionally, rates over time ([`RateHistory`]): the session's and the busiest or selected peers';
//! - a [`Framer`](crate::codec::Framer) per peer between the engine's reads and the rows, so that a
//!   received row is one message by the user's framing; a sent row is one send, as written;
//! - rows about the sessions themselves (opened, closed), and dropped sends noted at most once a second
//!   per peer, with a count.
//!
//! [`Filter`] and [`FilteredView`] pick rows for the view without copying them. Nothing here does I/O,
//! starts threads or draws, and time enters only as arguments, so every rule is testable without sockets
//! or sleeping. The caller applies the engine's events once per frame ([`TrafficLog::apply`]), then lets
//! idle-gap framing catch up ([`TrafficLog::poll_idle`]).
//!
//! The parts, each with its tests:
//! - `log`: [`TrafficLog`] and [`LogConfig`]: applying events, framing per peer and direction, the event
//!   clock that idle-gap framing measures by;
//! - `rows`: [`Row`], [`RowKind`], [`Note`] and the row store with its byte budget ([`ROW_OVERHEAD`]);
//! - `stats`: [`Counters`], [`PeerStats`] and their rate meters;
//! - `rates`: [`RateHistory`], the session's and a few peers' rates over time for plots, in buckets of
//!   bounded number ([`RESOLUTIONS`]);
//! - `timeline`: [`CloseKind`], how each peer's connected span ended, for the connection timeline;
//! - `filter`: [`Filter`] and [`FilteredView`];
//! - `drops`: dropped sends turned into rows at most once a second per peer ([`SEND_DROPPED_EVERY`]).

mod drops;
mod filter;
mod log;
mod rates;
mod rows;
mod stats;
#[cfg(test)]
pub(crate) mod test_support;
mod timeline;

pub use drops::SEND_DROPPED_EVERY;
pub use filter::{Filter, FilteredView};
pub use log::{CLOSED_PEERS_KEPT, DEFAULT_BYTE_BUDGET, LogConfig, TrafficLog};
pub use rates::{
    BUSIEST_TRACKED, PINNED_MAX, PeerRates, Quantity, RESOLUTIONS, RateBucket, RateHistory,
    RateSeries, Resolution, SERIES_MAX_BYTES,
};
pub use rows::{Note, ROW_OVERHEAD, Row, RowKind};
pub use stats::{Counters, PairEnds, Pairing, PeerAddr, PeerStats, RawBytes, RelaySide};
pub use timeline::CloseKind;
