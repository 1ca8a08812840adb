//! [`TrafficLog`]: a session's rows, counters and peers, built from its engine events. It frames each peer's
//! data per direction with a [`Framer`], maps the engine's event times onto the caller's clock
//! ([`EventClock`]) for idle-gap framing, and keeps the rows in the row store and the counts in the stats.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use crate::codec::{Framer, FramerConfig, Framing, FramingError, Message, MessageKind};
use crate::engine::{CertSummary, CloseReason, Direction, Event, Mode, NetError, PeerId, Side};

use super::drops::{DropRow, SendDrops};
use super::rates::{Known, RateHistory};
use super::rows::{Note, Row, RowKind, Rows};
use super::stats::{Counters, Pairing, PeerAddr, PeerStats, RelaySide};

/// The default [`LogConfig::byte_budget`]: 64 MiB.
pub const DEFAULT_BYTE_BUDGET: usize = 64 << 20;

/// Closed peers the log keeps (their counters, for the peers panel); older ones are forgotten, while
/// their rows keep their address.
pub const CLOSED_PEERS_KEPT: usize = 1000;

/// Both directions, in the order a peer's framers are kept and flushed.
const DIRECTIONS: [Direction; 2] = [Direction::Rx, Direction::Tx];

/// Gives every log its own identity, so a [`FilteredView`](super::FilteredView) notices when it is shown a different log.
static NEXT_LOG_ID: AtomicU64 = AtomicU64::new(0);

/// How a [`TrafficLog`] frames and keeps traffic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// The most bytes the rows may take, payloads plus [`ROW_OVERHEAD`](super::ROW_OVERHEAD) per row; the oldest rows are
    /// dropped first to stay within it.
    pub byte_budget: usize,
    /// How each peer's stream is split into messages.
    pub framer: FramerConfig,
    /// A UDP session: each data event is one datagram, framed on its own
    /// ([`Framer::push_datagram`]), so no message spans two datagrams.
    pub datagrams: bool,
    /// Keep rates over time for plots ([`TrafficLog::rates`]); the command line, which draws none, does not.
    pub rates: bool,
}

impl Default for LogConfig {
    /// A 64 MiB budget, raw framing, a stream session, no rates over time.
    fn default() -> Self {
        Self {
            byte_budget: DEFAULT_BYTE_BUDGET,
            framer: FramerConfig::default(),
            datagrams: false,
            rates: false,
        }
    }
}

/// One peer's stream in one direction, being framed.
#[derive(Debug)]
struct Stream {
    framer: Framer,
    /// When its last bytes were read or written: the time of a message completed by silence or flushed.
    last_at: SystemTime,
}

/// Maps the engine's wall-clock event times onto the caller's [`Instant`]s, so idle gaps are measured
/// between the reads themselves rather than between the frames that happened to drain them.
#[derive(Debug, Default)]
struct EventClock {
    /// An event time and the instant it maps to.
    anchor: Option<(SystemTime, Instant)>,
}

impl EventClock {
    /// The instant of an event that happened at `at`, seen at `now`. It is never after `now`: an event
    /// cannot have happened later than it was seen, so when the mapping says so (the first events came
    /// late, or the wall clock stepped forward) it is re-anchored at `now`.
    fn instant(&mut self, at: SystemTime, now: Instant) -> Instant {
        let mapped =
            self.anchor
                .and_then(|(anchor_at, anchor)| match at.duration_since(anchor_at) {
                    Ok(after) => anchor.checked_add(after),
                    Err(before) => anchor.checked_sub(before.duration()),
                });
        match mapped {
            Some(instant) if instant <= now => instant,
            _ => {
                self.anchor = Some((at, now));
                now
            }
        }
    }

    /// The wall-clock time of `instant`, once an event has anchored the clock.
    fn wall(&self, instant: Instant) -> Option<SystemTime> {
        let (anchor_at, anchor) = self.anchor?;
        if instant >= anchor {
            anchor_at.checked_add(instant - anchor)
        } else {
            anchor_at.checked_sub(anchor - instant)
        }
    }
}

/// The rows, counters and peers of one session, built from its engine events; see the [module
/// docs](crate::traffic).
#[derive(Debug)]
pub struct TrafficLog {
    id: u64,
    rows: Rows,
    /// The framing in use: the one asked for, or raw if that one cannot work.
    framer: FramerConfig,
    framing_error: Option<FramingError>,
    datagrams: bool,
    /// Each peer's framers, received then sent, created at its first data in that direction.
    streams: BTreeMap<PeerId, [Option<Stream>; 2]>,
    clock: EventClock,
    totals: Counters,
    peers: BTreeMap<PeerId, PeerStats>,
    /// Closed peers still in `peers`, in the order they closed: the first are forgotten first.
    closed: VecDeque<PeerId>,
    connected: usize,
    last_error: Option<(SystemTime, NetError)>,
    local_addr: Option<SocketAddr>,
    /// The certificate the session presents (a TLS server's, a relay's to its devices), once it listens.
    certificate: Option<Box<CertSummary>>,
    stopped: bool,
    /// UDP datagrams the OS reported dropping.
    dropped_datagrams: u64,
    /// Messages out of a framer, kept to reuse its allocation.
    messages: Vec<Message>,
    /// Dropped sends not yet in a row (see [`SEND_DROPPED_EVERY`](super::SEND_DROPPED_EVERY)).
    drops: SendDrops,
    /// Rates over time, when [`LogConfig::rates`] asked for them.
    rates: Option<RateHistory>,
    /// UDP remotes the engine made whose first datagram is still to come: its row says which way it went,
    /// so the note waits for it.
    first_datagram_due: BTreeMap<PeerId, SocketAddr>,
    /// Relay: server sides paired and not connected yet, with their device.
    paired_servers: BTreeMap<PeerId, PeerId>,
    /// Relay: server sides still connecting, with their device and their name in rows: the address they
    /// connect to and their device (what the device sent meanwhile is theirs, unsent, if the target is
    /// not reached). Forgotten once connected or when their device closes.
    connecting_servers: BTreeMap<PeerId, (PeerId, Arc<PeerAddr>)>,
}

impl TrafficLog {
    /// An empty log. A framing that cannot work (see [`FramingError`]) is replaced by raw framing and
    /// reported by [`framing_error`](Self::framing_error).
    #[must_use]
    pub fn new(config: LogConfig) -> Self {
        let (framer, framing_error) = checked(config.framer);
        Self {
            id: NEXT_LOG_ID.fetch_add(1, Ordering::Relaxed),
            rows: Rows::new(config.byte_budget),
            framer,
            framing_error,
            datagrams: config.datagrams,
            streams: BTreeMap::new(),
            clock: EventClock::default(),
            totals: Counters::default(),
            peers: BTreeMap::new(),
            closed: VecDeque::new(),
            connected: 0,
            last_error: None,
            local_addr: None,
            certificate: None,
            stopped: false,
            dropped_datagrams: 0,
            messages: Vec::new(),
            drops: SendDrops::default(),
            rates: config.rates.then(RateHistory::default),
            first_datagram_due: BTreeMap::new(),
            paired_servers: BTreeMap::new(),
            connecting_servers: BTreeMap::new(),
        }
    }

    /// Frames data from now on with `framer`, as datagrams or as streams. Bytes the old framing held for
    /// unfinished messages are first flushed as [`MessageKind::Partial`](crate::codec::MessageKind::Partial) rows, so nothing is lost. A
    /// framing that cannot work is replaced by raw framing, as in [`new`](Self::new).
    pub fn set_framing(&mut self, framer: FramerConfig, datagrams: bool) {
        self.flush_all();
        (self.framer, self.framing_error) = checked(framer);
        self.datagrams = datagrams;
    }

    /// Why the framing asked for could not be used (raw framing is used instead), if it could not.
    #[must_use]
    pub fn framing_error(&self) -> Option<FramingError> {
        self.framing_error
    }

    /// The session stopped at `at`: what is framed is flushed, drops counted, open peers closed.
    fn stopped(&mut self, at: SystemTime) {
        self.flush_all();
        for row in self.drops.take_all(at) {
            self.push_drop_row(row);
        }
        // A UDP session stops without closing its remotes one by one.
        for stats in self.peers.values_mut() {
            if stats.closed.is_none() {
                stats.close(CloseReason::SessionStopped, at);
                self.closed.push_back(stats.id);
            }
        }
        self.connected = 0;
        self.forget_closed();
        self.stopped = true;
    }

    /// Takes one engine event seen at `now`: updates counters and peers, frames data per peer and
    /// direction, and appends rows.
    ///
    /// Idle gaps are measured between the events' own times, placed on the `now` clock, so bursts drained
    /// together in one frame are still told apart. Afterwards, call [`poll_idle`](Self::poll_idle).
    pub fn apply(&mut self, event: &Event, now: Instant) {
        // Every event, not only data, tells the clock how late events are seen.
        let instant = self.clock.instant(event.at(), now);
        match event {
            Event::Listening { addr, .. } => self.local_addr = Some(*addr),
            Event::Dropped { new, .. } => self.dropped_datagrams += new,
            Event::Connected {
                peer,
                addr,
                local,
                at,
            } => self.connected(*peer, *addr, *local, *at, now),
            Event::Data {
                peer,
                dir,
                bytes,
                at,
            } => self.data(*peer, *dir, bytes, *at, instant, now),
            Event::Connecting {
                device,
                server,
                addr,
                ..
            } => {
                self.connecting(*device, *server, *addr);
            }
            Event::Paired { device, server, .. } => self.paired(*device, *server),
            Event::Forwarded { to, bytes, at, .. } => {
                // Counted as sent to `to`, without a row: the bytes are the other side's received row.
                let len = bytes.len() as u64;
                if let Some(stats) = self.count(*to, Direction::Tx, len, 1, *at) {
                    stats.meter(Direction::Tx).add(now, len);
                }
            }
            Event::SendDropped {
                peer,
                len,
                queued,
                at,
            } => {
                // Seconds counted when the drops are seen, as `poll_idle` counts them: on the event
                // clock, drops seen more than a second late each looked a second after the last row.
                if let Some(row) = self.drops.dropped(*peer, *len, *queued, *at, now) {
                    self.push_drop_row(row);
                }
                return;
            }
            Event::Closed { peer, reason, at } => self.closed(*peer, reason, *at),
            Event::Unsent {
                peer,
                written,
                written_at,
                at,
                ..
            } => self.unsent(*peer, written, *written_at, *at, now),
            Event::HalfClosed { peer, side, .. } => self.half_closed(*peer, *side),
            Event::Error { error, at } => self.last_error = Some((*at, error.clone())),
            Event::Stopped { at } => self.stopped(*at),
            Event::TlsEstablished { peer, info, .. } => {
                if let Some(stats) = self.peers.get_mut(peer) {
                    stats.tls = Some(info.clone());
                    if info.certificate.is_none() {
                        stats.presented.clone_from(&self.certificate);
                    }
                }
            }
            Event::TlsCertificate { certificate, .. } => {
                self.certificate = Some(certificate.clone());
            }
            Event::TlsRaw {
                peer, dir, bytes, ..
            } => {
                if let Some(stats) = self.peers.get_mut(peer) {
                    let raw = stats.tls_raw.get_or_insert_default();
                    let len = bytes.len() as u64;
                    match dir {
                        Direction::Rx => raw.rx += len,
                        Direction::Tx => raw.tx += len,
                    }
                }
            }
            Event::Rejected { .. }
            | Event::ConnectFailed { .. }
            | Event::ReceiveBuffer { .. }
            | Event::Joined { .. }
            | Event::Left { .. }
            | Event::Periodic { .. }
            | Event::TlsKeptCertificate { .. }
            | Event::Check(_) => {}
        }
        match Note::of(event) {
            // UDP makes a remote for the first datagram either way: which way it went is told by it.
            Some((Some(peer), Note::Connected(addr))) if self.datagrams => {
                self.first_datagram_due.insert(peer, addr);
            }
            Some((peer, note)) => self.push_note(event.at(), peer, note),
            None => {}
        }
        if matches!(event, Event::Closed { .. }) {
            self.forget_closed();
        }
    }

    /// `side` of `peer` finished sending. Nothing more comes from a peer that finished: a message it left
    /// unfinished is cut off here, before the row that says so.
    fn half_closed(&mut self, peer: PeerId, side: Side) {
        if side == Side::Peer {
            self.flush_received(peer);
        }
        if let Some(stats) = self.peers.get_mut(&peer) {
            match side {
                Side::Peer => stats.peer_finished = true,
                Side::Local => stats.local_finished = true,
            }
        }
    }

    /// Relay: `device` is paired with `server`, which connects next.
    fn paired(&mut self, device: PeerId, server: PeerId) {
        self.paired_servers.insert(server, device);
    }

    /// `peer` connected from `addr` to `local` at `at`.
    fn connected(
        &mut self,
        peer: PeerId,
        addr: SocketAddr,
        local: SocketAddr,
        at: SystemTime,
        now: Instant,
    ) {
        self.local_addr.get_or_insert(local);
        self.connecting_servers.remove(&peer);
        let mut stats = PeerStats::new(peer, addr, at, now);
        if let Some(device) = self.paired_servers.remove(&peer) {
            self.name_pair(device, &mut stats, local);
        }
        // Ids are never reused within a session; the check keeps the count right if one were.
        if self
            .peers
            .insert(peer, stats)
            .is_none_or(|old| !old.is_connected())
        {
            self.connected += 1;
        }
    }

    /// Relay: `server` connects to `addr` for `device`. From now on `device` is a relay device whose
    /// partner is `server`, and both are named by the pair they are to form (`addr` the target's end);
    /// until it is connected, `server`'s rows are named by `addr`.
    fn connecting(&mut self, device: PeerId, server: PeerId, addr: SocketAddr) {
        let name = match self.peers.get_mut(&device) {
            Some(stats) => {
                stats.pairing = Some(Pairing {
                    side: RelaySide::Device,
                    partner: server,
                });
                let mut device_addr = *stats.addr;
                let name = PeerAddr::connecting(&mut device_addr, addr);
                stats.addr = Arc::new(device_addr);
                name
            }
            None => PeerAddr::from(addr),
        };
        self.connecting_servers
            .insert(server, (device, Arc::new(name)));
    }

    /// Relay: `server`, connecting from `local`, is `device`'s server side.
    fn name_pair(&mut self, device: PeerId, server: &mut PeerStats, local: SocketAddr) {
        server.pairing = Some(Pairing {
            side: RelaySide::Server,
            partner: device,
        });
        if let Some(device) = self.peers.get_mut(&device) {
            let (mut device_addr, mut server_addr) = (*device.addr, *server.addr);
            PeerAddr::pair(&mut device_addr, &mut server_addr, local);
            device.addr = Arc::new(device_addr);
            server.addr = Arc::new(server_addr);
        }
    }

    /// Forgets the peers that closed first, beyond [`CLOSED_PEERS_KEPT`].
    fn forget_closed(&mut self) {
        while self.closed.len() > CLOSED_PEERS_KEPT
            && let Some(peer) = self.closed.pop_front()
        {
            self.peers.remove(&peer);
        }
    }

    /// `peer` closed at `at`: its last bytes and dropped sends come before the note that says so.
    fn closed(&mut self, peer: PeerId, reason: &CloseReason, at: SystemTime) {
        // A relay's server sides that never connected are named no more.
        self.connecting_servers
            .retain(|_, (device, _)| *device != peer);
        // A remote forgotten before any datagram went either way had no first datagram.
        self.first_datagram_due.remove(&peer);
        if let Some(streams) = self.streams.remove(&peer) {
            self.flush(peer, streams);
        }
        if let Some(row) = self.drops.take(peer, at) {
            self.push_drop_row(row);
        }
        if let Some(stats) = self.peers.get_mut(&peer)
            && stats.is_connected()
        {
            stats.close(reason.clone(), at);
            self.connected -= 1;
            self.closed.push_back(peer);
        }
        if let CloseReason::Error(error) = reason {
            self.last_error = Some((at, error.clone()));
        }
    }

    /// Sends to `peer` did not go out (noted at `at`): the part of the send cut short that did go out is
    /// sent data, says it is partial and carries the time its last byte went (only the connection's end
    /// tells of it); dropped sends still counted come before the note.
    fn unsent(
        &mut self,
        peer: PeerId,
        written: &Bytes,
        written_at: SystemTime,
        at: SystemTime,
        now: Instant,
    ) {
        if !written.is_empty() {
            let message = Message {
                bytes: written.clone(),
                kind: MessageKind::Partial,
            };
            self.push_message(peer, Direction::Tx, written_at, message);
            let len = written.len() as u64;
            if let Some(stats) = self.count(peer, Direction::Tx, len, 1, written_at) {
                stats.meter(Direction::Tx).add(now, len);
            }
        }
        if let Some(row) = self.drops.take(peer, at) {
            self.push_drop_row(row);
        }
    }

    /// Rows that wait for time to pass: messages an idle gap has ended by `now`, and dropped sends
    /// counted since a peer's last such row once [`SEND_DROPPED_EVERY`](super::SEND_DROPPED_EVERY) has passed. Returns when the next
    /// one will be due, for the caller to look again then; `None` when nothing waits.
    pub fn poll_idle(&mut self, now: Instant) -> Option<Instant> {
        // Drops are counted only from events, which anchor the clock.
        let drops_due = self.clock.wall(now).and_then(|now_at| {
            let (rows, due) = self.drops.poll(now, now_at);
            for row in rows {
                self.push_drop_row(row);
            }
            due
        });
        let framing_due = self.poll_idle_gap(now);
        drops_due.into_iter().chain(framing_due).min()
    }

    fn push_drop_row(&mut self, (at, peer, note): DropRow) {
        self.push_note(at, Some(peer), note);
    }

    /// Idle-gap framing: appends the messages whose gap has passed at `now`; returns when the next one
    /// will be due. `None` when nothing waits (always, in other framings).
    fn poll_idle_gap(&mut self, now: Instant) -> Option<Instant> {
        if !matches!(self.framer.framing, Framing::IdleGap { .. }) {
            return None;
        }
        let mut due = Vec::new();
        let mut next: Option<Instant> = None;
        for (peer, pair) in &mut self.streams {
            for (dir, stream) in DIRECTIONS.into_iter().zip(pair.iter_mut()) {
                let Some(stream) = stream else { continue };
                if let Some(message) = stream.framer.poll_idle(now) {
                    due.push((*peer, dir, stream.last_at, message));
                }
                if let Some(deadline) = stream.framer.deadline() {
                    next = Some(next.map_or(deadline, |next| next.min(deadline)));
                }
            }
        }
        for (peer, dir, at, message) in due {
            self.push_ended(peer, dir, at, message);
        }
        next
    }

    /// The log's identity, unique in the process.
    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// How many rows are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no rows are kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.len() == 0
    }

    /// The row at `index`, 0 being the oldest still kept.
    #[must_use]
    pub fn row(&self, index: usize) -> Option<&Row> {
        self.rows.get(index)
    }

    /// The [`Row::seq`] of row 0; when no rows are kept, the seq the next row will get.
    #[must_use]
    pub fn first_seq(&self) -> u64 {
        self.rows.first_seq()
    }

    /// Where the row numbered `seq` is now, if it is still kept.
    #[must_use]
    pub fn index_of_seq(&self, seq: u64) -> Option<usize> {
        let index = seq.checked_sub(self.first_seq())?;
        (index < self.rows.len() as u64).then_some(index as usize)
    }

    /// Rows dropped, oldest first, to stay within the byte budget (rows removed by [`clear`](Self::clear)
    /// are not counted).
    #[must_use]
    pub fn dropped_rows(&self) -> u64 {
        self.rows.dropped()
    }

    /// Budget bytes the kept rows take: their payloads plus [`ROW_OVERHEAD`](super::ROW_OVERHEAD) each.
    #[must_use]
    pub fn used_bytes(&self) -> usize {
        self.rows.used()
    }

    /// Removes every row. Counters, peers and messages still being framed stay; sequence numbers go on.
    pub fn clear(&mut self) {
        self.rows.clear();
    }

    /// Sets the totals, the dropped datagrams and every peer's counters to zero. Rows and rates stay.
    pub fn reset_counters(&mut self) {
        self.totals = Counters::default();
        self.dropped_datagrams = 0;
        for stats in self.peers.values_mut() {
            stats.counters = Counters::default();
        }
    }

    /// The session's totals.
    #[must_use]
    pub fn totals(&self) -> &Counters {
        &self.totals
    }

    /// UDP datagrams the OS dropped because the socket's receive buffer was full, as far as the OS tells
    /// (Linux only; see [`Note::ReceiveBuffer`]).
    #[must_use]
    pub fn dropped_datagrams(&self) -> u64 {
        self.dropped_datagrams
    }

    /// Every connected peer and the last [`CLOSED_PEERS_KEPT`] closed ones, in [`PeerId`] order (the order
    /// they appeared).
    #[must_use]
    pub fn peers(&self) -> impl DoubleEndedIterator<Item = &PeerStats> {
        self.peers.values()
    }

    /// How many peers [`TrafficLog::peers`] holds, connected or closed.
    #[must_use]
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// The peer with this id, if it was seen.
    #[must_use]
    pub fn peer(&self, id: PeerId) -> Option<&PeerStats> {
        self.peers.get(&id)
    }

    /// How many peers are connected now.
    #[must_use]
    pub fn connected_peers(&self) -> usize {
        self.connected
    }

    /// The latest error, from an error event or a peer closed by one, and when it happened.
    #[must_use]
    pub fn last_error(&self) -> Option<&(SystemTime, NetError)> {
        self.last_error.as_ref()
    }

    /// A new session starts logging here, in `mode`, at `at`: a row says so, and the local address and
    /// the stopped state are the new session's from now on. Rows, peers and counters of earlier sessions
    /// stay; peer ids never repeat, so old rows keep their peers.
    pub fn begin_session(&mut self, mode: &Mode, at: SystemTime) {
        self.local_addr = None;
        self.certificate = None;
        self.stopped = false;
        self.push_note(at, None, Note::Opened(Box::new(mode.clone())));
    }

    /// Rates over time for the plots, when [`LogConfig::rates`] asked for them.
    #[must_use]
    pub fn rates(&self) -> Option<&RateHistory> {
        self.rates.as_ref()
    }

    /// Keeps the rates of exactly these peers (the user's selection) from `at` on, whether or not they
    /// are among the busiest; see [`RateHistory`]. Peers the log does not know are left out.
    pub fn pin_rates(&mut self, peers: &[PeerId], at: SystemTime) {
        let Some(rates) = &mut self.rates else { return };
        let known: Vec<_> = peers
            .iter()
            .filter_map(|peer| self.peers.get(peer))
            .map(|stats| {
                let known = Known {
                    addr: &stats.addr,
                    activity: stats.activity,
                };
                (stats.id, known)
            })
            .collect();
        rates.pin(&known, at);
    }

    /// The session's local address: where it listens, or where a TCP client connected from.
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// The certificate the session presents to its clients (a TLS server's, a relay's to its devices),
    /// once it listens; `None` without TLS.
    #[must_use]
    pub fn certificate(&self) -> Option<&CertSummary> {
        self.certificate.as_deref()
    }

    /// Whether the session has ended (its peers then count as closed).
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Frames data that happened at `at`, which is `instant` on the framers' clock, seen at `now`.
    fn data(
        &mut self,
        peer: PeerId,
        dir: Direction,
        bytes: &Bytes,
        at: SystemTime,
        instant: Instant,
        now: Instant,
    ) {
        if let Some(addr) = self.first_datagram_due.remove(&peer) {
            self.push_note(at, Some(peer), Note::FirstDatagram { addr, dir });
        }
        if dir == Direction::Tx {
            // Receive framing is for received data: a sent row is one send, as it was written.
            let message = Message {
                bytes: bytes.clone(),
                kind: MessageKind::Complete,
            };
            self.push_message(peer, dir, at, message);
            if let Some(stats) = self.count(peer, dir, bytes.len() as u64, 1, at) {
                stats.meter(dir).add(now, bytes.len() as u64);
            }
            return;
        }
        let slot = &mut self.streams.entry(peer).or_default()[dir_index(dir)];
        let stream = slot.get_or_insert_with(|| Stream {
            framer: framer(&self.framer),
            last_at: at,
        });
        // A burst that ended before these bytes is timed by its own last bytes, not by these.
        let ended = stream
            .framer
            .poll_idle(instant)
            .map(|message| (stream.last_at, message));
        let mut messages = std::mem::take(&mut self.messages);
        if self.datagrams {
            stream.framer.push_datagram(bytes, instant, &mut messages);
        } else {
            stream.framer.push(bytes, instant, &mut messages);
        }
        stream.last_at = at;
        let count = messages.len() as u64 + u64::from(ended.is_some());
        if let Some((ended_at, message)) = ended {
            self.push_message(peer, dir, ended_at, message);
        }
        for message in messages.drain(..) {
            self.push_message(peer, dir, at, message);
        }
        self.messages = messages;
        if let Some(stats) = self.count(peer, dir, bytes.len() as u64, count, at) {
            stats.meter(dir).add(now, bytes.len() as u64);
        }
    }

    /// Appends what `peer`'s framers still hold as partial messages.
    fn flush(&mut self, peer: PeerId, streams: [Option<Stream>; 2]) {
        for (dir, stream) in DIRECTIONS.into_iter().zip(streams) {
            if let Some(mut stream) = stream
                && let Some(message) = stream.framer.finish()
            {
                self.push_ended(peer, dir, stream.last_at, message);
            }
        }
    }

    /// Appends what `peer`'s received-data framer still holds as a partial message.
    fn flush_received(&mut self, peer: PeerId) {
        if let Some(streams) = self.streams.get_mut(&peer)
            && let Some(mut stream) = streams[dir_index(Direction::Rx)].take()
            && let Some(message) = stream.framer.finish()
        {
            self.push_ended(peer, Direction::Rx, stream.last_at, message);
        }
    }

    fn flush_all(&mut self) {
        for (peer, streams) in std::mem::take(&mut self.streams) {
            self.flush(peer, streams);
        }
    }

    fn push_message(&mut self, peer: PeerId, dir: Direction, at: SystemTime, message: Message) {
        let kind = RowKind::Data {
            dir,
            bytes: message.bytes,
            kind: message.kind,
        };
        let addr = self.addr_of(peer);
        self.rows.push(at, Some(peer), addr, kind);
    }

    /// Appends and counts a message that ended without new bytes: by an idle gap, or by a flush.
    fn push_ended(&mut self, peer: PeerId, dir: Direction, at: SystemTime, message: Message) {
        self.push_message(peer, dir, at, message);
        self.count(peer, dir, 0, 1, at);
    }

    fn push_note(&mut self, at: SystemTime, peer: Option<PeerId>, note: Note) {
        let addr = peer.and_then(|peer| self.addr_of(peer));
        self.rows.push(at, peer, addr, RowKind::Note(note));
    }

    /// The address of a peer the log knows, for its rows; a relay's server side still connecting is
    /// named by the address it connects to and its device.
    fn addr_of(&self, peer: PeerId) -> Option<Arc<PeerAddr>> {
        match self.peers.get(&peer) {
            Some(stats) => Some(Arc::clone(&stats.addr)),
            None => self
                .connecting_servers
                .get(&peer)
                .map(|(_, name)| Arc::clone(name)),
        }
    }

    /// Adds what happened at `at` to the totals, the peer's counters and the rates over time; returns the
    /// peer, if it is known.
    fn count(
        &mut self,
        peer: PeerId,
        dir: Direction,
        bytes: u64,
        messages: u64,
        at: SystemTime,
    ) -> Option<&mut PeerStats> {
        self.totals.add(dir, bytes, messages);
        let mut stats = self.peers.get_mut(&peer);
        if let Some(stats) = &mut stats {
            stats.counters.add(dir, bytes, messages);
        }
        if let Some(rates) = &mut self.rates {
            let known = stats.as_deref_mut().map(|stats| Known {
                addr: &stats.addr,
                activity: &mut stats.activity,
            });
            rates.add(peer, known, dir, bytes, messages, at);
        }
        stats
    }
}

/// The framing to use for `config`: itself if it can work, otherwise raw framing and why not.
fn checked(config: FramerConfig) -> (FramerConfig, Option<FramingError>) {
    match Framer::new(config.clone()) {
        Ok(_) => (config, None),
        Err(error) => (FramerConfig::default(), Some(error)),
    }
}

/// A framer for a configuration that [`checked`] accepted.
fn framer(config: &FramerConfig) -> Framer {
    // `Framer::new` depends only on the configuration, which was accepted once already.
    Framer::new(config.clone()).expect("the framing was checked when it was set")
}

fn dir_index(dir: Direction) -> usize {
    match dir {
        Direction::Rx => 0,
        Direction::Tx => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::Direction;
    use crate::traffic::rows::CHUNK_ROWS;
    use crate::traffic::test_support::*;
    use crate::traffic::{PairEnds, RawBytes};

    #[test]
    fn sticky_and_split_packets_become_one_row_per_message() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        s.rx(1, P1, b"look#lo");
        s.rx(2, P1, b"ok#");
        assert_eq!(
            summary(&s.log)[1..],
            ["#1 Rx Complete look", "#1 Rx Complete look"]
        );
        assert_eq!(s.log.row(2).unwrap().at, wall(2));
        assert_eq!(s.log.totals().rx_bytes, 10);
        assert_eq!(s.log.totals().rx_messages, 2);
    }

    #[test]
    fn each_send_is_one_row_as_written_and_framing_is_for_received_data() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        // Neither send holds the delimiter, and the second holds it in the middle: each is one row,
        // whole, at its own time, while received bytes are framed.
        s.tx(1, P1, b"GG");
        s.rx(2, P1, b"OK");
        s.tx(3, P1, b"AB#C");
        s.rx(4, P1, b"#");
        assert_eq!(
            summary(&s.log)[1..],
            [
                "#1 Tx Complete GG",
                "#1 Tx Complete AB#C",
                "#1 Rx Complete OK"
            ]
        );
        assert_eq!(
            [s.log.row(1).unwrap().at, s.log.row(2).unwrap().at],
            [wall(1), wall(3)]
        );
        assert_eq!(s.log.totals().tx_messages, 2);
    }

    #[test]
    fn the_part_of_a_send_cut_short_is_a_partial_row_before_the_unsent_note() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        s.event(
            5,
            &Event::Unsent {
                peer: P1,
                written: Bytes::from_static(b"abc"),
                written_at: wall(3),
                bytes: 1000,
                sends: 2,
                at: wall(5),
            },
        );
        s.event(
            5,
            &Event::Unsent {
                peer: P1,
                written: Bytes::new(),
                written_at: wall(5),
                bytes: 7,
                sends: 1,
                at: wall(5),
            },
        );
        assert_eq!(
            summary(&s.log)[1..],
            [
                "#1 Tx Partial abc",
                "#1 Not sent: 1000 bytes of 2 send(s) were still queued when the connection ended",
                "#1 Not sent: 7 bytes of 1 send(s) were still queued when the connection ended",
            ]
        );
        assert_eq!(s.log.totals().tx_bytes, 3);
        // The partial row is timed by its last byte written, not by the close that told of it.
        assert_eq!(s.log.row(1).unwrap().at, wall(3));
    }

    #[test]
    fn a_message_cut_off_by_the_peers_fin_comes_before_the_fin_row() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        s.rx(5, P1, b"ok#ij");
        s.event(
            7,
            &Event::HalfClosed {
                peer: P1,
                side: Side::Peer,
                tls: None,
                at: wall(7),
            },
        );
        s.close(9, P1, CloseReason::PeerClosed);
        assert_eq!(
            summary(&s.log)[1..],
            [
                "#1 Rx Complete ok",
                "#1 Rx Partial ij",
                "#1 The peer finished sending (FIN); it can still receive",
                "#1 Closed: the peer closed the connection (FIN)",
            ]
        );
    }

    #[test]
    fn a_close_flushes_the_partial_message_before_its_note() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        s.rx(5, P1, b"ok#abc");
        s.close(9, P1, CloseReason::PeerClosed);
        assert_eq!(
            summary(&s.log),
            [
                "#1 Connected",
                "#1 Rx Complete ok",
                "#1 Rx Partial abc",
                "#1 Closed: the peer closed the connection (FIN)",
            ]
        );
        // The partial message is timed by its bytes, the note by the close.
        assert_eq!(s.log.row(2).unwrap().at, wall(5));
        assert_eq!(s.log.row(3).unwrap().at, wall(9));
        assert_eq!(s.log.peer(P1).unwrap().counters.rx_messages, 2);
    }

    #[test]
    fn stopping_flushes_and_closes_every_peer() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        s.connect(0, P2);
        s.rx(1, P2, b"two");
        s.event(3, &Event::Stopped { at: wall(3) });
        assert!(s.log.is_stopped());
        assert_eq!(s.log.connected_peers(), 0);
        assert_eq!(
            s.log.peer(P2).unwrap().closed,
            Some(CloseReason::SessionStopped)
        );
        assert_eq!(
            summary(&s.log)[2..],
            ["#2 Rx Partial two", "- Session closed"]
        );
    }

    #[test]
    fn closed_peers_beyond_the_limit_are_forgotten_and_their_rows_keep_their_address() {
        let mut s = Session::new(LogConfig::default());
        let total = CLOSED_PEERS_KEPT as u64 + 5;
        for id in 1..=total {
            s.connect(0, PeerId(id));
            s.rx(1, PeerId(id), b"hi");
            s.close(2, PeerId(id), CloseReason::PeerClosed);
        }
        s.connect(3, PeerId(total + 1));
        assert_eq!(s.log.peers().count(), CLOSED_PEERS_KEPT + 1);
        assert!(s.log.peer(P1).is_none(), "the first to close is forgotten");
        assert!(s.log.peer(PeerId(6)).is_some());
        let first_rx = s.log.row(1).unwrap();
        assert_eq!(first_rx.peer, Some(P1));
        assert_eq!(
            crate::format::row_peer_name(first_rx),
            addr(50_001).to_string()
        );
        // A session that stops closes the rest, and the limit still holds.
        s.event(4, &Event::Stopped { at: wall(4) });
        assert_eq!(s.log.peers().count(), CLOSED_PEERS_KEPT);
    }

    #[test]
    fn a_half_close_marks_its_side_and_the_peer_stays_connected() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        s.connect(0, P2);
        let half_closed = |peer, side, ms| Event::HalfClosed {
            peer,
            side,
            tls: None,
            at: wall(ms),
        };
        s.event(1, &half_closed(P1, Side::Peer, 1));
        s.event(2, &half_closed(P2, Side::Local, 2));
        let (p1, p2) = (s.log.peer(P1).unwrap(), s.log.peer(P2).unwrap());
        assert_eq!((p1.peer_finished, p1.local_finished), (true, false));
        assert_eq!((p2.peer_finished, p2.local_finished), (false, true));
        assert!(p1.is_connected() && p2.is_connected());
        assert_eq!(s.log.connected_peers(), 2);
        assert_eq!(
            summary(&s.log)[2..],
            [
                "#1 The peer finished sending (FIN); it can still receive",
                "#2 You finished sending (FIN sent); the peer can still send"
            ]
        );
    }

    #[test]
    fn changing_the_framing_flushes_what_the_old_one_held() {
        let mut s = Session::new(config(delimiter(b"#")));
        s.connect(0, P1);
        s.rx(1, P1, b"a#b");
        s.log.set_framing(FramerConfig::default(), false);
        s.rx(2, P1, b"d#e");
        assert_eq!(
            summary(&s.log)[1..],
            ["#1 Rx Complete a", "#1 Rx Partial b", "#1 Rx Complete d#e",]
        );
        assert_eq!(s.log.totals().rx_messages, 3);
    }

    #[test]
    fn a_framing_that_cannot_work_falls_back_to_raw_and_says_why() {
        let mut s = Session::new(config(delimiter(b"")));
        assert_eq!(s.log.framing_error(), Some(FramingError::EmptyDelimiter));
        s.connect(0, P1);
        s.rx(1, P1, b"a#b");
        assert_eq!(summary(&s.log)[1..], ["#1 Rx Complete a#b"]);
        s.log.set_framing(delimiter(b"#"), false);
        assert_eq!(s.log.framing_error(), None);
        s.rx(2, P1, b"c#");
        assert_eq!(summary(&s.log)[2..], ["#1 Rx Complete c"]);
    }

    /// A UDP session listening on port 7088 whose messages end in `#`.
    fn udp_session() -> Session {
        let mut s = Session::new(LogConfig {
            datagrams: true,
            ..config(delimiter(b"#"))
        });
        s.listen(0, 7088);
        s
    }

    #[test]
    fn udp_datagrams_are_framed_one_by_one() {
        let mut s = udp_session();
        s.connect(1, P1);
        s.rx(1, P1, b"a#b");
        s.rx(2, P1, b"c");
        s.close(3, P1, CloseReason::Forgotten);
        assert_eq!(
            summary(&s.log)[2..],
            [
                "#1 Rx Complete a",
                "#1 Rx Complete b",
                "#1 Rx Complete c",
                "#1 Forgotten to make room for newer remotes",
            ]
        );
        assert_eq!(s.log.peer(P1).unwrap().closed, Some(CloseReason::Forgotten));
    }

    #[test]
    fn a_remote_s_first_datagram_says_which_way_it_went() {
        let mut s = udp_session();
        // We send to the first remote before it sends; the second sends first.
        for (ms, peer, dir, bytes) in [
            (2, P1, Direction::Tx, "hello"),
            (3, P1, Direction::Rx, "hi"),
            (5, P2, Direction::Rx, "ping"),
            (6, P2, Direction::Tx, "pong"),
        ] {
            if !s.log.peers.contains_key(&peer) {
                s.connect(ms - 1, peer);
            }
            s.data_seen(ms, ms, peer, dir, bytes.as_bytes());
        }
        assert_eq!(
            summary(&s.log)[1..],
            [
                "#1 First datagram to 192.168.1.20:50001",
                "#1 Tx Complete hello",
                "#1 Rx Complete hi",
                "#2 First datagram from 192.168.1.20:50002",
                "#2 Rx Complete ping",
                "#2 Tx Complete pong",
            ]
        );
        let first = s.log.row(1).unwrap();
        assert_eq!(first.at, wall(2), "timed by the datagram itself");
        // A remote forgotten before any datagram went either way has no first datagram.
        s.connect(7, PeerId(3));
        s.close(8, PeerId(3), CloseReason::Forgotten);
        s.rx(9, P1, b"again");
        assert_eq!(
            summary(&s.log)[7..],
            [
                "#3 Forgotten to make room for newer remotes",
                "#1 Rx Complete again"
            ]
        );
    }

    #[test]
    fn memory_stays_within_the_budget_over_a_long_run() {
        const BUDGET: usize = 256 << 10;
        let mut s = Session::new(LogConfig {
            byte_budget: BUDGET,
            ..config(delimiter(b"\n"))
        });
        s.connect(0, P1);
        let mut appended = 1;
        let mut lengths = (1..2000_usize).cycle().step_by(37);
        let mut rx_bytes = 0;
        for i in 0..50_000_u64 {
            let len = lengths.next().unwrap();
            let mut read = vec![b'x'; len];
            // A line break in about every other read, so messages span reads too.
            if i % 2 == 0 {
                read[len / 2] = b'\n';
                appended += 1;
            }
            rx_bytes += len as u64;
            s.rx(i, P1, &read);
            let log = &s.log;
            assert!(log.used_bytes() <= BUDGET);
            assert!(log.rows.slots() <= log.len() + 2 * CHUNK_ROWS);
            if i % 5000 == 0 {
                let costs: usize = (0..log.len())
                    .map(|index| log.row(index).unwrap().cost())
                    .sum();
                assert_eq!(costs, log.used_bytes());
            }
        }
        let log = &s.log;
        assert!(log.dropped_rows() > 0);
        assert_eq!(log.dropped_rows() + log.len() as u64, appended);
        assert_eq!(log.first_seq() + log.len() as u64, appended);
        assert_eq!(log.totals().rx_bytes, rx_bytes);
        assert_eq!(log.totals().rx_messages, appended - 1);
    }

    #[test]
    fn idle_gap_framing_with_injected_time() {
        let mut s = Session::new(config(Framing::IdleGap { gap_ms: 20 }.into()));
        s.connect(0, P1);
        assert_eq!(s.log.poll_idle(s.now(0)), None);
        s.rx(100, P1, b"ab");
        s.rx(105, P1, b"cd");
        assert_eq!(s.log.poll_idle(s.now(124)), Some(s.now(125)));
        assert_eq!(s.log.len(), 1);
        assert_eq!(s.log.poll_idle(s.now(125)), None);
        assert_eq!(summary(&s.log)[1..], ["#1 Rx Complete abcd"]);
        assert_eq!(s.log.row(1).unwrap().at, wall(105));
        assert_eq!(s.log.totals().rx_messages, 1);

        // Two bursts drained in one late frame are still two messages: the gap is measured between
        // the reads, not between the frames that saw them.
        s.data_seen(300, 360, P1, Direction::Rx, b"ef");
        s.data_seen(350, 360, P1, Direction::Rx, b"gh");
        assert_eq!(summary(&s.log)[2..], ["#1 Rx Complete ef"]);
        assert_eq!(s.log.row(2).unwrap().at, wall(300));
        assert_eq!(s.log.poll_idle(s.now(360)), Some(s.now(370)));
        assert_eq!(s.log.poll_idle(s.now(370)), None);
        assert_eq!(summary(&s.log)[3..], ["#1 Rx Complete gh"]);
    }

    #[test]
    fn poll_idle_reports_the_earliest_deadline_of_all_peers() {
        let mut s = Session::new(config(Framing::IdleGap { gap_ms: 50 }.into()));
        s.connect(0, P1);
        s.connect(0, P2);
        s.rx(10, P1, b"a");
        s.rx(20, P2, b"b");
        assert_eq!(s.log.poll_idle(s.now(30)), Some(s.now(60)));
        assert_eq!(s.log.poll_idle(s.now(60)), Some(s.now(70)));
        assert_eq!(s.log.poll_idle(s.now(70)), None);
        assert_eq!(
            summary(&s.log)[2..],
            ["#1 Rx Complete a", "#2 Rx Complete b"]
        );
    }

    #[test]
    fn errors_are_remembered_and_noted() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        let refused = net_error(std::io::ErrorKind::ConnectionRefused);
        s.event(
            1,
            &Event::Error {
                error: refused.clone(),
                at: wall(1),
            },
        );
        assert_eq!(s.log.last_error(), Some(&(wall(1), refused.clone())));
        let broken = net_error(std::io::ErrorKind::BrokenPipe);
        s.close(2, P1, CloseReason::Error(broken.clone()));
        assert_eq!(s.log.last_error(), Some(&(wall(2), broken.clone())));
        assert_eq!(summary(&s.log)[1], format!("- {refused}"));
        assert_eq!(summary(&s.log)[2], format!("#1 Closed: {broken}"));
    }

    #[test]
    fn dropped_sends_are_noted_at_most_once_a_second_per_peer_and_none_is_lost() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        s.connect(0, P2);
        let drop = |peer| {
            move |ms| Event::SendDropped {
                peer,
                len: 10,
                queued: 4000,
                at: wall(ms),
            }
        };
        // A send dropped every 10 ms for 2.5 s to P1, and one to P2 in the middle.
        for ms in (10..=2_500).step_by(10) {
            s.event(ms, &drop(P1)(ms));
            s.log.poll_idle(s.now(ms));
            if ms == 1_200 {
                s.event(ms, &drop(P2)(ms));
            }
        }
        let dropped = |log: &TrafficLog, peer| -> Vec<usize> {
            (0..log.len())
                .filter_map(|i| log.row(i))
                .filter(|row| row.peer == Some(peer))
                .filter_map(|row| match &row.kind {
                    RowKind::Note(Note::SendDropped { sends, len, .. }) => {
                        assert_eq!(*len, sends * 10);
                        Some(*sends)
                    }
                    _ => None,
                })
                .collect()
        };
        // The first at once, then one row a second; the last 0.5 s still waits for its second.
        let first_single = summary(&s.log)
            .into_iter()
            .find(|line| line.starts_with("#1 Send"))
            .unwrap();
        assert_eq!(
            first_single,
            "#1 Send dropped: 10 bytes did not fit behind the 4000 bytes still waiting (the peer is not reading)"
        );
        assert_eq!(dropped(&s.log, P1), [1, 100, 100]);
        assert_eq!(dropped(&s.log, P2), [1], "each peer has its own second");
        // Quiet: when the second has passed, the rest is noted without another drop.
        assert_eq!(s.log.poll_idle(s.now(3_020)), None);
        assert_eq!(dropped(&s.log, P1), [1, 100, 100, 49]);
        // Drops within a second of that row are counted; a close notes them before its own row.
        s.event(3_100, &drop(P1)(3_100));
        s.event(3_110, &drop(P1)(3_110));
        s.close(3_200, P1, CloseReason::Reset);
        assert_eq!(dropped(&s.log, P1), [1, 100, 100, 49, 2]);
        assert!(matches!(
            s.log.row(s.log.len() - 1).unwrap().kind,
            RowKind::Note(Note::Closed(CloseReason::Reset))
        ));
        assert_eq!(
            summary(&s.log)[s.log.len() - 2],
            format!(
                "#1 Sends dropped since {}: 2 sends (20 bytes) did not fit behind the 4000 bytes \
                 still waiting (the peer is not reading)",
                crate::timestamp::clock_text(wall(3_100))
            )
        );
        // Every row is made when it is logged: the times only go forward.
        let times: Vec<SystemTime> = (0..s.log.len()).map(|i| s.log.row(i).unwrap().at).collect();
        assert!(times.is_sorted(), "{times:?}");
        assert_eq!(s.log.row(s.log.len() - 2).unwrap().at, wall(3_200));
    }

    #[test]
    fn dropped_sends_seen_late_are_still_noted_at_most_once_a_second() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        // A loaded machine: each drop, one every 10 ms, is seen 2 s after it happened, and the log is
        // polled after each, as the command line does.
        let mut counted = 0;
        for ms in (10..=2_500).step_by(10) {
            let event = Event::SendDropped {
                peer: P1,
                len: 10,
                queued: 4000,
                at: wall(ms),
            };
            s.event(ms + 2_000, &event);
            s.log.poll_idle(s.now(ms + 2_000));
            counted += 1;
        }
        s.close(4_600, P1, CloseReason::Reset);
        let rows: Vec<usize> = (0..s.log.len())
            .filter_map(|i| s.log.row(i))
            .filter_map(|row| match &row.kind {
                RowKind::Note(Note::SendDropped { sends, .. }) => Some(*sends),
                _ => None,
            })
            .collect();
        assert!(rows.len() <= 4, "{rows:?}");
        assert_eq!(rows.iter().sum::<usize>(), counted, "{rows:?}");
    }

    #[test]
    fn a_new_session_is_a_row_and_has_its_own_local_address_and_state() {
        let mut s = Session::new(LogConfig::default());
        let server = Mode::TcpServer {
            bind: SocketAddr::from(([0, 0, 0, 0], 10_000)),
            max_clients: None,
        };
        s.log.begin_session(&server, wall(0));
        s.listen(0, 10_000);
        s.connect(1, P1);
        s.rx(2, P1, b"first");
        s.event(3, &Event::Stopped { at: wall(3) });
        assert!(s.log.is_stopped());

        let client = Mode::TcpClient {
            host: "192.168.1.5".to_owned(),
            port: 7000,
            local: None,
            timeout: Duration::from_secs(5),
        };
        s.log.begin_session(&client, wall(4));
        assert!(!s.log.is_stopped());
        assert_eq!(s.log.local_addr(), None, "not the old listening address");
        s.connect(5, P2);
        assert_eq!(s.log.local_addr(), Some(addr(10_000)));
        assert_eq!(
            summary(&s.log),
            [
                "- Session opened: TCP server on 0.0.0.0:10000",
                "- Listening on 0.0.0.0:10000",
                "#1 Connected",
                "#1 Rx Complete first",
                "- Session closed",
                "- Session opened: TCP client to 192.168.1.5:7000",
                "#2 Connected",
            ]
        );
        // The first session's peer keeps its own address.
        assert_eq!(s.log.peer(P1).unwrap().addr.socket, addr(50_001));
    }

    /// Relay: the device's server side connecting to `addr` as `server`, at `ms`.
    fn connecting(ms: u64, device: PeerId, server: PeerId, addr: SocketAddr) -> Event {
        Event::Connecting {
            device,
            server,
            target: addr.into(),
            addr,
            at: wall(ms),
        }
    }

    /// The pair a row's peer was named by.
    fn row_pair(log: &TrafficLog, index: usize) -> Option<PairEnds> {
        log.row(index)
            .and_then(|row| row.addr.as_ref())
            .and_then(|addr| addr.pair)
    }

    /// Relay: from the first connect to the target on, the device is named by the pair it is to form,
    /// the address tried as its partner and no local address yet; each further address tried renames
    /// it, its connected server side adds the local address, and rows already made keep their names.
    #[test]
    fn a_relay_device_is_named_by_its_pair_from_its_first_connect_on() {
        let mut s = Session::new(LogConfig::default());
        let (device, first, server) = (P1, P2, PeerId(3));
        let (tried, target, local) = (addr(8882), addr(8883), addr(40_003));
        s.connect(0, device);
        s.rx(1, device, b"a");
        s.event(2, &connecting(2, device, first, tried));
        s.rx(3, device, b"b");
        s.event(4, &connecting(4, device, server, target));
        s.rx(5, device, b"c");
        s.event(
            6,
            &Event::Paired {
                device,
                server,
                at: wall(6),
            },
        );
        s.event(
            6,
            &Event::Connected {
                peer: server,
                addr: target,
                local,
                at: wall(6),
            },
        );
        s.rx(7, device, b"d");
        let ends = |partner, server_local| {
            Some(PairEnds {
                side: RelaySide::Device,
                partner,
                server_local,
            })
        };
        let data: Vec<_> = (0..s.log.len())
            .filter(|&i| matches!(s.log.row(i).unwrap().kind, RowKind::Data { .. }))
            .map(|i| row_pair(&s.log, i))
            .collect();
        assert_eq!(
            data,
            [
                None,
                ends(tried, None),
                ends(target, None),
                ends(target, Some(local)),
            ]
        );
        let stats = s.log.peer(device).unwrap();
        assert_eq!(
            stats.pairing,
            Some(Pairing {
                side: RelaySide::Device,
                partner: server,
            })
        );
        assert_eq!(
            s.log.peer(server).unwrap().addr.pair,
            Some(PairEnds {
                side: RelaySide::Server,
                partner: addr(50_001),
                server_local: Some(local),
            })
        );
    }

    /// Relay: a target not reached. The server side is named by the address tried and its device,
    /// without a local address, in its *Not sent* row; its device by its pair in its close.
    #[test]
    fn an_unreached_server_side_and_its_device_are_named_by_their_pair() {
        let mut s = Session::new(LogConfig::default());
        let (device, server, target) = (P1, P2, addr(8883));
        s.connect(0, device);
        s.event(1, &connecting(1, device, server, target));
        s.rx(2, device, b"held");
        s.event(
            3,
            &Event::Unsent {
                peer: server,
                written: Bytes::new(),
                written_at: wall(3),
                bytes: 4,
                sends: 1,
                at: wall(3),
            },
        );
        let error = net_error(std::io::ErrorKind::ConnectionRefused);
        s.close(3, device, CloseReason::Unreachable(error));
        let last = s.log.len() - 1;
        let unsent = s.log.row(last - 1).unwrap();
        assert_eq!(unsent.peer, Some(server));
        assert_eq!(unsent.addr.as_ref().unwrap().socket, target);
        assert_eq!(
            row_pair(&s.log, last - 1),
            Some(PairEnds {
                side: RelaySide::Server,
                partner: addr(50_001),
                server_local: None,
            })
        );
        assert_eq!(
            row_pair(&s.log, last),
            Some(PairEnds {
                side: RelaySide::Device,
                partner: target,
                server_local: None,
            })
        );
    }

    /// The raw bytes of a failed TLS handshake are the peer's, each way, but not its data.
    #[test]
    fn a_failed_tls_handshake_counts_its_raw_bytes_apart() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        s.connect(0, P2);
        for (dir, len) in [(Direction::Rx, 517), (Direction::Tx, 7), (Direction::Tx, 2)] {
            s.event(
                1,
                &Event::TlsRaw {
                    peer: P1,
                    dir,
                    bytes: Bytes::from(vec![0x16; len]),
                    records: true,
                    at: wall(1),
                },
            );
        }
        s.close(2, P1, CloseReason::Reset);
        let peer = s.log.peer(P1).unwrap();
        assert_eq!(peer.tls_raw, Some(RawBytes { rx: 517, tx: 9 }));
        assert_eq!(peer.counters, Counters::default());
        assert_eq!(*s.log.totals(), Counters::default());
        assert_eq!(s.log.peer(P2).unwrap().tls_raw, None);
    }

    #[test]
    fn a_tcp_clients_local_address_comes_from_its_connection() {
        let mut s = Session::new(LogConfig::default());
        assert_eq!(s.log.local_addr(), None);
        s.connect(0, P1);
        assert_eq!(s.log.local_addr(), Some(addr(10_000)));
    }
}
