//! The traffic log: what a session's window shows, built from the engine's events.
//!
//! [`TrafficLog`] owns everything the traffic view, the peers panel and the status bar read each frame:
//! - the rows: each framed message and each connection event, oldest first, bounded by a byte budget.
//!   The oldest rows are dropped first and counted; every row keeps the sequence number it was given, so a
//!   selection survives the rows before it being dropped;
//! - per-peer statistics ([`PeerStats`]) and session totals ([`Counters`]), exact whatever was dropped;
//! - a [`Framer`] per peer and direction between the engine's reads and the rows, so that a row is one
//!   message by the user's framing, for sent data as well as received.
//!
//! [`Filter`] and [`FilteredView`] pick rows for the view without copying them. Nothing here does I/O,
//! starts threads or draws, and time enters only as arguments, so every rule is testable without sockets
//! or sleeping. The caller applies the engine's events once per frame ([`TrafficLog::apply`]), then lets
//! idle-gap framing catch up ([`TrafficLog::poll_idle`]).

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use memchr::memmem::Finder;

use crate::codec::{
    self, ControlStyle, DisplayDecoder, Framer, FramerConfig, Framing, FramingError, Message,
    MessageKind, TextEncoding,
};
use crate::engine::{CloseReason, Direction, Event, NetError, PeerId, Side};

/// The default [`LogConfig::byte_budget`]: 64 MiB.
pub const DEFAULT_BYTE_BUDGET: usize = 64 << 20;

/// What a row costs in the byte budget besides its payload, in bytes.
///
/// It covers the row's slot in the log (`size_of::<Row>()`: 112 bytes on 64-bit targets; a test checks
/// that it fits) and a share of the buffer header that the messages cut from one read have in common.
/// Note rows count only this, as their text is short. Bytes a framing strips (delimiters, length headers)
/// are not counted.
pub const ROW_OVERHEAD: usize = 128;

/// Rows per storage chunk. The log grows and shrinks a chunk at a time, so the slots it holds are at most
/// two chunks more than its rows, where a single ring buffer would keep the capacity of its longest day.
const CHUNK_ROWS: usize = 1024;

/// The width of one rate bucket.
const RATE_BUCKET: Duration = Duration::from_millis(100);

/// The complete buckets a rate is measured over: one second.
const RATE_WINDOW: u64 = 10;

/// Buckets a meter keeps: the window plus the bucket being filled.
const RATE_SLOTS: usize = RATE_WINDOW as usize + 1;

/// Both directions, in the order a peer's framers are kept and flushed.
const DIRECTIONS: [Direction; 2] = [Direction::Rx, Direction::Tx];

/// Gives every log its own identity, so a [`FilteredView`] notices when it is shown a different log.
static NEXT_LOG_ID: AtomicU64 = AtomicU64::new(0);

/// How a [`TrafficLog`] frames and keeps traffic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogConfig {
    /// The most bytes the rows may take, payloads plus [`ROW_OVERHEAD`] per row; the oldest rows are
    /// dropped first to stay within it.
    pub byte_budget: usize,
    /// How each peer's stream is split into messages.
    pub framer: FramerConfig,
    /// A UDP session: each data event is one datagram, framed on its own
    /// ([`Framer::push_datagram`]), so no message spans two datagrams.
    pub datagrams: bool,
}

impl Default for LogConfig {
    /// A 64 MiB budget, raw framing, a stream session.
    fn default() -> Self {
        Self {
            byte_budget: DEFAULT_BYTE_BUDGET,
            framer: FramerConfig::default(),
            datagrams: false,
        }
    }
}

/// Bytes and messages counted in both directions.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counters {
    /// Bytes received, as the engine read them.
    pub rx_bytes: u64,
    /// Bytes sent, as the OS accepted them.
    pub tx_bytes: u64,
    /// Received messages: rows made from received bytes, partial and oversize pieces included.
    pub rx_messages: u64,
    /// Sent messages: rows made from sent bytes, partial and oversize pieces included.
    pub tx_messages: u64,
}

impl Counters {
    fn add(&mut self, dir: Direction, bytes: u64, messages: u64) {
        match dir {
            Direction::Rx => {
                self.rx_bytes += bytes;
                self.rx_messages += messages;
            }
            Direction::Tx => {
                self.tx_bytes += bytes;
                self.tx_messages += messages;
            }
        }
    }
}

/// One remote of the session: a TCP server's client, a TCP client's server, or a UDP remote (which
/// counts as connected from its first datagram). Kept after it closes, so its rows keep an address.
#[derive(Clone, Debug)]
pub struct PeerStats {
    /// The engine's id for it.
    pub id: PeerId,
    /// Its address.
    pub addr: SocketAddr,
    /// When it connected.
    pub since: SystemTime,
    /// Why it closed, once it has.
    pub closed: Option<CloseReason>,
    /// What it sent and received (zeroed by [`TrafficLog::reset_counters`]).
    pub counters: Counters,
    rx: RateMeter,
    tx: RateMeter,
}

impl PeerStats {
    fn new(id: PeerId, addr: SocketAddr, since: SystemTime, now: Instant) -> Self {
        Self {
            id,
            addr,
            since,
            closed: None,
            counters: Counters::default(),
            rx: RateMeter::new(now),
            tx: RateMeter::new(now),
        }
    }

    /// Whether it is still connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.closed.is_none()
    }

    /// Bytes per second received over about the last second before `now`.
    #[must_use]
    pub fn rx_rate(&self, now: Instant) -> f64 {
        self.rx.rate(now)
    }

    /// Bytes per second sent over about the last second before `now`.
    #[must_use]
    pub fn tx_rate(&self, now: Instant) -> f64 {
        self.tx.rate(now)
    }

    fn meter(&mut self, dir: Direction) -> &mut RateMeter {
        match dir {
            Direction::Rx => &mut self.rx,
            Direction::Tx => &mut self.tx,
        }
    }
}

/// Bytes per 100 ms bucket over the last second: a fixed ring, however long the peer lives.
#[derive(Clone, Debug)]
struct RateMeter {
    /// Where bucket 0 starts.
    origin: Instant,
    /// The newest bucket written; older ones in the ring are the ones before it.
    newest: u64,
    buckets: [u64; RATE_SLOTS],
}

impl RateMeter {
    fn new(origin: Instant) -> Self {
        Self {
            origin,
            newest: 0,
            buckets: [0; RATE_SLOTS],
        }
    }

    fn bucket(&self, at: Instant) -> u64 {
        (at.saturating_duration_since(self.origin).as_nanos() / RATE_BUCKET.as_nanos()) as u64
    }

    fn slot(bucket: u64) -> usize {
        (bucket % RATE_SLOTS as u64) as usize
    }

    fn add(&mut self, at: Instant, bytes: u64) {
        let bucket = self.bucket(at);
        if bucket > self.newest {
            // Buckets skipped over held traffic from more than a window ago.
            for stale in (self.newest + 1..=bucket).rev().take(RATE_SLOTS) {
                self.buckets[Self::slot(stale)] = 0;
            }
            self.newest = bucket;
        } else if self.newest - bucket >= RATE_SLOTS as u64 {
            // Too old to fall in any window still asked about.
            return;
        }
        self.buckets[Self::slot(bucket)] += bytes;
    }

    fn rate(&self, now: Instant) -> f64 {
        let current = self.bucket(now);
        // Whole buckets only, so a steady flow reads steady; the bucket being filled is left out.
        let window = current.saturating_sub(RATE_WINDOW)..current;
        if window.is_empty() {
            return 0.0;
        }
        let seconds = (window.end - window.start) as f64 * RATE_BUCKET.as_secs_f64();
        let held = self.newest.saturating_sub(RATE_SLOTS as u64 - 1)..=self.newest;
        let bytes: u64 = window
            .filter(|bucket| held.contains(bucket))
            .map(|bucket| self.buckets[Self::slot(bucket)])
            .sum();
        bytes as f64 / seconds
    }
}

/// One row of the log: a message or a connection event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Its number: 0 for the first row the log ever held, one more for each row after.
    pub seq: u64,
    /// When it happened; for a message, when its last byte was read or written.
    pub at: SystemTime,
    /// The peer it concerns, if any.
    pub peer: Option<PeerId>,
    /// What it is.
    pub kind: RowKind,
}

impl Row {
    /// What the row costs in the byte budget.
    fn cost(&self) -> usize {
        ROW_OVERHEAD
            + match &self.kind {
                RowKind::Data { bytes, .. } => bytes.len(),
                RowKind::Note(_) => 0,
            }
    }
}

/// What a [`Row`] holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// A message received or sent.
    Data {
        /// Received or sent.
        dir: Direction,
        /// The message's bytes, as framed.
        bytes: Bytes,
        /// Whether it is whole, or what is wrong with it.
        kind: MessageKind,
    },
    /// Something that happened to the session or a peer.
    Note(Note),
}

/// A connection event shown as a row of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// The session's socket is bound at this address.
    Listening(SocketAddr),
    /// UDP: the socket's receive buffer, and whether the OS will say when it drops datagrams.
    ReceiveBuffer {
        /// Bytes asked for.
        asked: usize,
        /// Bytes the OS granted.
        granted: usize,
        /// Drops will be counted ([`Note::Dropped`]).
        drops_reported: bool,
    },
    /// UDP: the OS dropped datagrams because the socket's receive buffer was full.
    Dropped {
        /// Dropped since the last such note.
        new: u64,
        /// Dropped since the session started.
        total: u64,
    },
    /// The row's peer connected from this address (UDP: its first datagram).
    Connected(SocketAddr),
    /// The row's peer (`Side::Peer`) or we (`Side::Local`) finished sending: a TCP half-close (FIN).
    HalfClosed(Side),
    /// Sends to the row's peer that did not go out because the connection ended first.
    Unsent {
        /// Bytes that did not go out.
        bytes: usize,
        /// The sends they belonged to.
        sends: usize,
    },
    /// The row's peer closed.
    Closed(CloseReason),
    /// A TCP client was refused because the server was full.
    Rejected {
        /// The refused client.
        addr: SocketAddr,
        /// The limit in force.
        max_clients: usize,
    },
    /// A send to the row's peer was dropped because its queue was full.
    SendDropped {
        /// Bytes refused.
        len: usize,
        /// Bytes still waiting in the queue.
        queued: usize,
    },
    /// A multicast group was joined.
    Joined(IpAddr),
    /// A multicast group was left.
    Left(IpAddr),
    /// Something failed.
    Error(NetError),
    /// The session ended.
    Stopped,
}

impl Note {
    /// The note an event shows as, with the peer it concerns; `None` for data (shown as messages) and for
    /// periodic-send progress (shown by the send panel; the sends themselves are data).
    #[must_use]
    pub fn of(event: &Event) -> Option<(Option<PeerId>, Self)> {
        Some(match event {
            Event::Listening { addr, .. } => (None, Self::Listening(*addr)),
            Event::ReceiveBuffer {
                asked,
                granted,
                drops_reported,
                ..
            } => (
                None,
                Self::ReceiveBuffer {
                    asked: *asked,
                    granted: *granted,
                    drops_reported: *drops_reported,
                },
            ),
            Event::Dropped {
                datagrams_total,
                new,
                ..
            } => (
                None,
                Self::Dropped {
                    new: *new,
                    total: *datagrams_total,
                },
            ),
            Event::Connected { peer, addr, .. } => (Some(*peer), Self::Connected(*addr)),
            Event::HalfClosed { peer, side, .. } => (Some(*peer), Self::HalfClosed(*side)),
            Event::Unsent {
                peer, bytes, sends, ..
            } => (
                Some(*peer),
                Self::Unsent {
                    bytes: *bytes,
                    sends: *sends,
                },
            ),
            Event::Closed { peer, reason, .. } => (Some(*peer), Self::Closed(reason.clone())),
            Event::Rejected {
                addr, max_clients, ..
            } => (
                None,
                Self::Rejected {
                    addr: *addr,
                    max_clients: *max_clients,
                },
            ),
            Event::SendDropped {
                peer, len, queued, ..
            } => (
                Some(*peer),
                Self::SendDropped {
                    len: *len,
                    queued: *queued,
                },
            ),
            Event::Joined { group, .. } => (None, Self::Joined(*group)),
            Event::Left { group, .. } => (None, Self::Left(*group)),
            Event::Error { error, .. } => (None, Self::Error(error.clone())),
            Event::Stopped { .. } => (None, Self::Stopped),
            Event::Data { .. } | Event::Periodic { .. } => return None,
        })
    }

    /// The note in plain English, as the traffic view shows it.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Listening(addr) => format!("Listening on {addr}"),
            Self::ReceiveBuffer {
                asked,
                granted,
                drops_reported,
            } => {
                let mut text = format!(
                    "Receive buffer {} KiB (asked for {} KiB)",
                    granted >> 10,
                    asked >> 10
                );
                if granted < asked {
                    text.push_str(": the OS allows no more (Linux: raise net.core.rmem_max)");
                }
                text.push_str(if *drops_reported {
                    "; datagrams the OS drops when it is full are counted"
                } else {
                    "; this OS does not say when it drops datagrams, so losses cannot be counted"
                });
                text
            }
            Self::Dropped { new, total } => format!(
                "The OS dropped {new} datagram(s) ({total} in all): the receive buffer was full"
            ),
            Self::Connected(_) => "Connected".to_owned(),
            Self::HalfClosed(Side::Peer) => {
                "The peer finished sending (FIN); it can still receive".to_owned()
            }
            Self::HalfClosed(Side::Local) => {
                "You finished sending (FIN sent); the peer can still send".to_owned()
            }
            Self::Unsent { bytes, sends } => format!(
                "Not sent: {bytes} bytes of {sends} send(s) were still queued when the connection ended"
            ),
            Self::Closed(reason) => {
                let why = match reason {
                    CloseReason::PeerClosed => "the peer closed the connection (FIN)".to_owned(),
                    CloseReason::Reset => "reset (RST)".to_owned(),
                    CloseReason::TimedOut => "timed out: the peer stopped answering".to_owned(),
                    CloseReason::Kicked => "disconnected by you".to_owned(),
                    CloseReason::Forgotten => "forgotten to make room for newer remotes".to_owned(),
                    CloseReason::SessionStopped => "the session was stopped".to_owned(),
                    CloseReason::Error(error) => error.to_string(),
                };
                format!("Closed: {why}")
            }
            Self::Rejected { addr, max_clients } => {
                format!(
                    "Refused {addr}: the server already has its maximum of {max_clients} clients"
                )
            }
            Self::SendDropped { len, queued } => format!(
                "Send dropped: {len} bytes did not fit behind the {queued} bytes still waiting \
                 (the peer is not reading)"
            ),
            Self::Joined(group) => format!("Joined multicast group {group}"),
            Self::Left(group) => format!("Left multicast group {group}"),
            Self::Error(error) => error.to_string(),
            Self::Stopped => "Stopped".to_owned(),
        }
    }

    /// The note in Chinese, for the Chinese interface.
    #[must_use]
    pub fn describe_zh(&self) -> String {
        match self {
            Self::Listening(addr) => format!("正在监听 {addr}"),
            Self::ReceiveBuffer {
                asked,
                granted,
                drops_reported,
            } => {
                let mut text = format!(
                    "接收缓冲区 {} KiB（请求 {} KiB）",
                    granted >> 10,
                    asked >> 10
                );
                if granted < asked {
                    text.push_str("：系统不允许更大（Linux：调大 net.core.rmem_max）");
                }
                text.push_str(if *drops_reported {
                    "；缓冲区满时系统丢弃的数据报会被计数"
                } else {
                    "；此系统不报告丢弃的数据报，无法统计丢失"
                });
                text
            }
            Self::Dropped { new, total } => {
                format!("系统丢弃了 {new} 个数据报（共 {total} 个）：接收缓冲区已满")
            }
            Self::Connected(_) => "已连接".to_owned(),
            Self::HalfClosed(Side::Peer) => "对方已结束发送 (FIN)，仍可接收".to_owned(),
            Self::HalfClosed(Side::Local) => "你已结束发送 (已发 FIN)，对方仍可发送".to_owned(),
            Self::Unsent { bytes, sends } => {
                format!("未发送：连接结束时还有 {sends} 次发送共 {bytes} 字节在排队")
            }
            Self::Closed(reason) => {
                let why = match reason {
                    CloseReason::PeerClosed => "对方关闭了连接 (FIN)".to_owned(),
                    CloseReason::Reset => "连接被重置 (RST)".to_owned(),
                    CloseReason::TimedOut => "超时：对方不再响应".to_owned(),
                    CloseReason::Kicked => "已由你断开".to_owned(),
                    CloseReason::Forgotten => "为给新的远端腾出位置而移除".to_owned(),
                    CloseReason::SessionStopped => "会话已停止".to_owned(),
                    CloseReason::Error(error) => error.zh(),
                };
                format!("已断开：{why}")
            }
            Self::Rejected { addr, max_clients } => {
                format!("拒绝 {addr}：服务器已达到最大客户端数 {max_clients}")
            }
            Self::SendDropped { len, queued } => {
                format!(
                    "发送被丢弃：还有 {queued} 字节在排队，放不下这 {len} 字节（对方没有在接收）"
                )
            }
            Self::Joined(group) => format!("已加入组播组 {group}"),
            Self::Left(group) => format!("已退出组播组 {group}"),
            Self::Error(error) => error.zh(),
            Self::Stopped => "已停止".to_owned(),
        }
    }
}

/// The rows, oldest first, in chunks of [`CHUNK_ROWS`], with the byte budget they are kept within.
#[derive(Debug)]
struct Rows {
    /// Every chunk but the first and the last is full, so a row is found by arithmetic.
    chunks: VecDeque<VecDeque<Row>>,
    len: usize,
    next_seq: u64,
    /// Budget bytes the rows take.
    used: usize,
    dropped: u64,
    budget: usize,
}

impl Rows {
    fn new(budget: usize) -> Self {
        Self {
            chunks: VecDeque::new(),
            len: 0,
            next_seq: 0,
            used: 0,
            dropped: 0,
            budget,
        }
    }

    fn first_seq(&self) -> u64 {
        self.next_seq - self.len as u64
    }

    fn get(&self, index: usize) -> Option<&Row> {
        let first = self.chunks.front()?;
        match index.checked_sub(first.len()) {
            None => first.get(index),
            Some(rest) => self
                .chunks
                .get(1 + rest / CHUNK_ROWS)?
                .get(rest % CHUNK_ROWS),
        }
    }

    /// Appends a row, then drops the oldest rows until the budget holds (the new row too, if it alone is
    /// over the budget).
    fn push(&mut self, at: SystemTime, peer: Option<PeerId>, kind: RowKind) {
        let row = Row {
            seq: self.next_seq,
            at,
            peer,
            kind,
        };
        self.next_seq += 1;
        self.used += row.cost();
        self.len += 1;
        match self.chunks.back_mut() {
            Some(chunk) if chunk.len() < CHUNK_ROWS => chunk.push_back(row),
            _ => {
                let mut chunk = VecDeque::with_capacity(CHUNK_ROWS);
                chunk.push_back(row);
                self.chunks.push_back(chunk);
            }
        }
        while self.used > self.budget {
            let Some(first) = self.chunks.front_mut() else {
                break;
            };
            if let Some(row) = first.pop_front() {
                self.used -= row.cost();
                self.len -= 1;
                self.dropped += 1;
            }
            if first.is_empty() {
                self.chunks.pop_front();
            }
        }
    }

    fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
        self.used = 0;
    }

    /// Row slots held in memory, used or not.
    #[cfg(test)]
    fn slots(&self) -> usize {
        self.chunks.iter().map(VecDeque::capacity).sum()
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
}

/// The rows, counters and peers of one session, built from its engine events; see the [module
/// docs](self).
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
    connected: usize,
    last_error: Option<(SystemTime, NetError)>,
    local_addr: Option<SocketAddr>,
    stopped: bool,
    /// UDP datagrams the OS reported dropping.
    dropped_datagrams: u64,
    /// Messages out of a framer, kept to reuse its allocation.
    messages: Vec<Message>,
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
            connected: 0,
            last_error: None,
            local_addr: None,
            stopped: false,
            dropped_datagrams: 0,
            messages: Vec::new(),
        }
    }

    /// Frames data from now on with `framer`, as datagrams or as streams. Bytes the old framing held for
    /// unfinished messages are first flushed as [`MessageKind::Partial`] rows, so nothing is lost. A
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
            } => {
                self.local_addr.get_or_insert(*local);
                let stats = PeerStats::new(*peer, *addr, *at, now);
                // Ids are never reused within a session; the check keeps the count right if one were.
                if self
                    .peers
                    .insert(*peer, stats)
                    .is_none_or(|old| !old.is_connected())
                {
                    self.connected += 1;
                }
            }
            Event::Data {
                peer,
                dir,
                bytes,
                at,
            } => self.data(*peer, *dir, bytes, *at, instant, now),
            Event::Closed { peer, reason, at } => {
                // The peer's last bytes come before the note that it closed.
                if let Some(streams) = self.streams.remove(peer) {
                    self.flush(*peer, streams);
                }
                if let Some(stats) = self.peers.get_mut(peer)
                    && stats.is_connected()
                {
                    stats.closed = Some(reason.clone());
                    self.connected -= 1;
                }
                if let CloseReason::Error(error) = reason {
                    self.last_error = Some((*at, error.clone()));
                }
            }
            Event::Unsent { peer, written, .. } if !written.is_empty() => {
                // The part of the send cut short that did go out is sent data, and says it is partial.
                self.push_message(
                    *peer,
                    Direction::Tx,
                    event.at(),
                    Message {
                        bytes: written.clone(),
                        kind: MessageKind::Partial,
                    },
                );
                if let Some(stats) = self.count(*peer, Direction::Tx, written.len() as u64, 1) {
                    stats.meter(Direction::Tx).add(now, written.len() as u64);
                }
            }
            Event::Error { error, at } => self.last_error = Some((*at, error.clone())),
            Event::Stopped { .. } => {
                self.flush_all();
                // A UDP session stops without closing its remotes one by one.
                for stats in self.peers.values_mut() {
                    stats.closed.get_or_insert(CloseReason::SessionStopped);
                }
                self.connected = 0;
                self.stopped = true;
            }
            Event::Rejected { .. }
            | Event::ReceiveBuffer { .. }
            | Event::HalfClosed { .. }
            | Event::Unsent { .. }
            | Event::SendDropped { .. }
            | Event::Joined { .. }
            | Event::Left { .. }
            | Event::Periodic { .. } => {}
        }
        if let Some((peer, note)) = Note::of(event) {
            self.push_note(event.at(), peer, note);
        }
    }

    /// Idle-gap framing: appends the messages whose gap has passed at `now`, and returns when the next one
    /// will be due, for the caller to look again then. `None` when nothing waits (always, in other modes).
    pub fn poll_idle(&mut self, now: Instant) -> Option<Instant> {
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

    /// How many rows are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len
    }

    /// Whether no rows are kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.len == 0
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
        (index < self.rows.len as u64).then_some(index as usize)
    }

    /// Rows dropped, oldest first, to stay within the byte budget (rows removed by [`clear`](Self::clear)
    /// are not counted).
    #[must_use]
    pub fn dropped_rows(&self) -> u64 {
        self.rows.dropped
    }

    /// Budget bytes the kept rows take: their payloads plus [`ROW_OVERHEAD`] each.
    #[must_use]
    pub fn used_bytes(&self) -> usize {
        self.rows.used
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

    /// Every peer seen, closed ones included, in [`PeerId`] order (the order they appeared).
    pub fn peers(&self) -> impl Iterator<Item = &PeerStats> {
        self.peers.values()
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

    /// The session's local address: where it listens, or where a TCP client connected from.
    #[must_use]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
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
        if dir == Direction::Tx {
            // Receive framing is for received data: a sent row is one send, as it was written.
            let message = Message {
                bytes: bytes.clone(),
                kind: MessageKind::Complete,
            };
            self.push_message(peer, dir, at, message);
            if let Some(stats) = self.count(peer, dir, bytes.len() as u64, 1) {
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
        if let Some(stats) = self.count(peer, dir, bytes.len() as u64, count) {
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
        self.rows.push(at, Some(peer), kind);
    }

    /// Appends and counts a message that ended without new bytes: by an idle gap, or by a flush.
    fn push_ended(&mut self, peer: PeerId, dir: Direction, at: SystemTime, message: Message) {
        self.push_message(peer, dir, at, message);
        self.count(peer, dir, 0, 1);
    }

    fn push_note(&mut self, at: SystemTime, peer: Option<PeerId>, note: Note) {
        self.rows.push(at, peer, RowKind::Note(note));
    }

    /// Adds to the totals and to the peer's counters; returns the peer, if it is known.
    fn count(
        &mut self,
        peer: PeerId,
        dir: Direction,
        bytes: u64,
        messages: u64,
    ) -> Option<&mut PeerStats> {
        self.totals.add(dir, bytes, messages);
        let stats = self.peers.get_mut(&peer)?;
        stats.counters.add(dir, bytes, messages);
        Some(stats)
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

/// Which rows the traffic view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Only this peer's rows (notes about the whole session still show), or every peer's.
    pub peer: Option<PeerId>,
    /// Only messages this way (notes still show), or both ways.
    pub dir: Option<Direction>,
    /// Text to find, ignoring case: in a message's text as the encoding decodes it (control characters
    /// as escapes such as `\r`), or in its hex form (`AA 55`); in a note's English or Chinese
    /// description. Empty finds everything.
    pub text: String,
    /// Whether notes (connects, closes, errors) show at all.
    pub show_notes: bool,
    /// The encoding messages are decoded with to find `text`.
    pub encoding: TextEncoding,
}

impl Default for Filter {
    /// Shows every row.
    fn default() -> Self {
        Self {
            peer: None,
            dir: None,
            text: String::new(),
            show_notes: true,
            encoding: TextEncoding::default(),
        }
    }
}

impl Filter {
    /// Whether `row` passes. To test many rows, a [`FilteredView`] prepares the search once.
    #[must_use]
    pub fn matches(&self, row: &Row) -> bool {
        Matcher::new(self).matches(row)
    }

    /// Whether any row could be hidden.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.peer.is_some() || self.dir.is_some() || !self.text.is_empty() || !self.show_notes
    }
}

/// A [`Filter`] prepared for testing many rows: the search text folded and compiled once, and the
/// buffers for each row's text reused.
struct Matcher<'f> {
    filter: &'f Filter,
    /// The folded search text; `None` when it is empty.
    needle: Option<Finder<'static>>,
    /// Whether the search text could occur in a hex form (hex digits and spaces only).
    hex_form: bool,
    decoder: DisplayDecoder,
    text: String,
    folded: String,
}

impl<'f> Matcher<'f> {
    fn new(filter: &'f Filter) -> Self {
        let mut folded = String::new();
        fold_case_into(&filter.text, &mut folded);
        Self {
            filter,
            needle: (!folded.is_empty()).then(|| Finder::new(folded.as_bytes()).into_owned()),
            hex_form: folded.bytes().all(|b| b.is_ascii_hexdigit() || b == b' '),
            decoder: DisplayDecoder::new(filter.encoding, ControlStyle::Escapes),
            text: String::new(),
            folded,
        }
    }

    fn matches(&mut self, row: &Row) -> bool {
        let filter = self.filter;
        if filter
            .peer
            .is_some_and(|wanted| row.peer.is_some_and(|peer| peer != wanted))
        {
            return false;
        }
        match &row.kind {
            RowKind::Data { dir, bytes, .. } => {
                filter.dir.is_none_or(|wanted| wanted == *dir) && self.data_matches(bytes)
            }
            RowKind::Note(note) => filter.show_notes && self.note_matches(note),
        }
    }

    fn data_matches(&mut self, bytes: &[u8]) -> bool {
        let Some(needle) = &self.needle else {
            return true;
        };
        let shown = if let Some(text) = shown_as_is(bytes) {
            text
        } else {
            self.text.clear();
            self.decoder.decode(bytes, &mut self.text);
            self.decoder.finish(&mut self.text);
            &self.text
        };
        if found(needle, shown, &mut self.folded) {
            return true;
        }
        if !self.hex_form {
            return false;
        }
        self.text.clear();
        codec::hex::format_into(bytes, &mut self.text);
        found(needle, &self.text, &mut self.folded)
    }

    fn note_matches(&mut self, note: &Note) -> bool {
        let Some(needle) = &self.needle else {
            return true;
        };
        found(needle, &note.describe(), &mut self.folded)
            || found(needle, &note.describe_zh(), &mut self.folded)
    }
}

/// `bytes` as the display shows them, when that is the bytes themselves: printable ASCII other than the
/// backslash (which shows escaped) reads the same in every supported encoding, so most text lines need no
/// decoding to be searched.
fn shown_as_is(bytes: &[u8]) -> Option<&str> {
    if bytes
        .iter()
        .all(|byte| matches!(byte, b' '..=b'[' | b']'..=b'~'))
    {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Whether the folded `haystack` holds `needle`; `folded` is a buffer to reuse.
fn found(needle: &Finder<'_>, haystack: &str, folded: &mut String) -> bool {
    folded.clear();
    fold_case_into(haystack, folded);
    needle.find(folded.as_bytes()).is_some()
}

/// Appends `text` lower-cased a character at a time, the same way for the search text and what it is
/// searched in (`str::to_lowercase` treats a final sigma by context, which would make them differ).
fn fold_case_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
    } else {
        out.extend(text.chars().flat_map(char::to_lowercase));
    }
}

/// The rows of a [`TrafficLog`] that pass a [`Filter`], kept up to date as the log changes.
///
/// It remembers rows by sequence number, so [`refresh`](Self::refresh) only forgets rows the log dropped
/// or cleared and tests rows appended since the last call; only a changed filter or a different log
/// tests every row again.
#[derive(Debug, Default)]
pub struct FilteredView {
    /// The log and filter the rows were picked for.
    source: Option<(u64, Filter)>,
    /// The seqs of the passing rows, oldest first.
    seqs: VecDeque<u64>,
    /// The log's first seq at the last refresh, to turn seqs into indexes.
    first_seq: u64,
    /// The seq after the last row tested.
    next_seq: u64,
    /// With a filter that passes everything, the view is the log itself: its row count, and no seqs.
    everything: Option<usize>,
}

impl FilteredView {
    /// An empty view; the first [`refresh`](Self::refresh) fills it.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Brings the view up to date with `log` under `filter`: the cost is the rows appended and dropped
    /// since the last call, or every row when the filter or the log is not the one of the last call.
    pub fn refresh(&mut self, log: &TrafficLog, filter: &Filter) {
        if !filter.is_active() {
            // Nothing to test or remember: a frame costs the same with a million rows as with ten.
            self.source = None;
            self.seqs.clear();
            self.everything = Some(log.len());
            return;
        }
        self.everything = None;
        if self
            .source
            .as_ref()
            .is_none_or(|(id, old)| *id != log.id || old != filter)
        {
            self.source = Some((log.id, filter.clone()));
            self.seqs.clear();
            self.next_seq = 0;
        }
        let first = log.first_seq();
        while self.seqs.front().is_some_and(|&seq| seq < first) {
            self.seqs.pop_front();
        }
        let end = first + log.len() as u64;
        let start = self.next_seq.max(first);
        if start < end {
            let mut matcher = Matcher::new(filter);
            let fresh = (start..end).filter(|&seq| {
                log.row((seq - first) as usize)
                    .is_some_and(|row| matcher.matches(row))
            });
            self.seqs.extend(fresh);
        }
        self.first_seq = first;
        self.next_seq = end;
    }

    /// How many rows pass.
    #[must_use]
    pub fn len(&self) -> usize {
        self.everything.unwrap_or(self.seqs.len())
    }

    /// Whether no row passes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The log index of the `i`th passing row, as of the last refresh.
    #[must_use]
    pub fn row_index(&self, i: usize) -> Option<usize> {
        match self.everything {
            Some(len) => (i < len).then_some(i),
            None => self.seqs.get(i).map(|seq| (seq - self.first_seq) as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use proptest::prelude::*;

    use super::*;
    use crate::engine::Operation;

    const P1: PeerId = PeerId(1);
    const P2: PeerId = PeerId(2);

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::new(192, 168, 1, 20), port))
    }

    /// The wall-clock time `ms` milliseconds into a test session.
    fn wall(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000) + Duration::from_millis(ms)
    }

    fn delimiter(delimiter: &[u8]) -> FramerConfig {
        Framing::Delimiter {
            delimiter: delimiter.to_vec(),
            keep: false,
        }
        .into()
    }

    fn config(framer: FramerConfig) -> LogConfig {
        LogConfig {
            framer,
            ..LogConfig::default()
        }
    }

    /// A log fed events that happen `ms` into the session and are seen at once, unless told otherwise.
    struct Session {
        log: TrafficLog,
        t0: Instant,
    }

    impl Session {
        fn new(config: LogConfig) -> Self {
            Self {
                log: TrafficLog::new(config),
                t0: Instant::now(),
            }
        }

        fn now(&self, ms: u64) -> Instant {
            self.t0 + Duration::from_millis(ms)
        }

        fn listen(&mut self, ms: u64, port: u16) {
            let event = Event::Listening {
                addr: SocketAddr::from(([0, 0, 0, 0], port)),
                at: wall(ms),
            };
            self.log.apply(&event, self.now(ms));
        }

        fn connect(&mut self, ms: u64, peer: PeerId) {
            let event = Event::Connected {
                peer,
                addr: addr(50_000 + peer.0 as u16),
                local: addr(10_000),
                at: wall(ms),
            };
            self.log.apply(&event, self.now(ms));
        }

        /// Data that happened at `ms` and was seen at `seen_ms`.
        fn data_seen(&mut self, ms: u64, seen_ms: u64, peer: PeerId, dir: Direction, bytes: &[u8]) {
            let event = Event::Data {
                peer,
                dir,
                bytes: Bytes::copy_from_slice(bytes),
                at: wall(ms),
            };
            self.log.apply(&event, self.now(seen_ms));
        }

        fn rx(&mut self, ms: u64, peer: PeerId, bytes: &[u8]) {
            self.data_seen(ms, ms, peer, Direction::Rx, bytes);
        }

        fn tx(&mut self, ms: u64, peer: PeerId, bytes: &[u8]) {
            self.data_seen(ms, ms, peer, Direction::Tx, bytes);
        }

        fn close(&mut self, ms: u64, peer: PeerId, reason: CloseReason) {
            let event = Event::Closed {
                peer,
                reason,
                at: wall(ms),
            };
            self.log.apply(&event, self.now(ms));
        }

        fn event(&mut self, ms: u64, event: &Event) {
            self.log.apply(event, self.now(ms));
        }
    }

    /// Each row in a line: peer, then `Rx`/`Tx`, the message kind and the text, or the note.
    fn summary(log: &TrafficLog) -> Vec<String> {
        (0..log.len())
            .map(|index| {
                let row = log.row(index).unwrap();
                let peer = row.peer.map_or("-".to_owned(), |peer| peer.to_string());
                match &row.kind {
                    RowKind::Data { dir, bytes, kind } => {
                        let text = codec::decode_for_display(
                            bytes,
                            TextEncoding::Utf8,
                            ControlStyle::Escapes,
                        );
                        format!("{peer} {dir:?} {kind:?} {text}")
                    }
                    RowKind::Note(note) => format!("{peer} {}", note.describe()),
                }
            })
            .collect()
    }

    fn net_error(kind: std::io::ErrorKind) -> NetError {
        NetError::io(
            Operation::Receive,
            Some(addr(50_001).to_string()),
            &std::io::Error::from(kind),
        )
    }

    #[test]
    fn counters_are_exact_over_mixed_events() {
        let mut s = Session::new(config(delimiter(b"\n")));
        s.listen(0, 10_000);
        s.connect(1, P1);
        s.connect(2, P2);
        s.rx(3, P1, b"hel");
        s.rx(4, P1, b"lo\nwor");
        s.rx(5, P2, b"x\ny\n");
        s.rx(6, P1, b"ld\n");
        s.tx(7, P1, b"hi\n");
        s.tx(8, P2, b"a");
        s.event(
            9,
            &Event::SendDropped {
                peer: P2,
                len: 5,
                queued: 100,
                at: wall(9),
            },
        );
        s.close(10, P2, CloseReason::Reset);
        assert_eq!(s.log.connected_peers(), 1);
        s.close(11, P1, CloseReason::PeerClosed);

        let log = &s.log;
        assert_eq!(
            *log.totals(),
            Counters {
                rx_bytes: 16,
                tx_bytes: 4,
                rx_messages: 4,
                tx_messages: 2,
            }
        );
        let p1 = log.peer(P1).unwrap();
        assert_eq!(
            p1.counters,
            Counters {
                rx_bytes: 12,
                tx_bytes: 3,
                rx_messages: 2,
                tx_messages: 1,
            }
        );
        let p2 = log.peer(P2).unwrap();
        assert_eq!(
            p2.counters,
            Counters {
                rx_bytes: 4,
                tx_bytes: 1,
                rx_messages: 2,
                tx_messages: 1,
            }
        );
        assert_eq!((p2.addr, p2.since), (addr(50_002), wall(2)));
        assert_eq!(p2.closed, Some(CloseReason::Reset));
        assert!(!p1.is_connected() && !p2.is_connected());
        assert_eq!(log.connected_peers(), 0);
        let ids: Vec<_> = log.peers().map(|peer| peer.id).collect();
        assert_eq!(ids, [P1, P2]);
        // The listening address wins over an accepted socket's local address.
        assert_eq!(
            log.local_addr(),
            Some(SocketAddr::from(([0, 0, 0, 0], 10_000)))
        );
        assert_eq!(
            summary(log),
            [
                "- Listening on 0.0.0.0:10000",
                "#1 Connected",
                "#2 Connected",
                "#1 Rx Complete hello",
                "#2 Rx Complete x",
                "#2 Rx Complete y",
                "#1 Rx Complete world",
                "#1 Tx Complete hi\\n",
                "#2 Tx Complete a",
                "#2 Send dropped: 5 bytes did not fit behind the 100 bytes still waiting (the peer is not reading)",
                "#2 Closed: reset (RST)",
                "#1 Closed: the peer closed the connection (FIN)",
            ]
        );
        assert_eq!(log.last_error(), None);
        assert!(!log.is_stopped());
    }

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
        assert_eq!(summary(&s.log)[2..], ["#2 Rx Partial two", "- Stopped"]);
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

    #[test]
    fn udp_datagrams_are_framed_one_by_one() {
        let mut s = Session::new(LogConfig {
            datagrams: true,
            ..config(delimiter(b"#"))
        });
        s.listen(0, 7088);
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
                "#1 Closed: forgotten to make room for newer remotes",
            ]
        );
        assert_eq!(s.log.peer(P1).unwrap().closed, Some(CloseReason::Forgotten));
    }

    #[test]
    fn the_budget_drops_the_oldest_rows_and_keeps_seqs_consistent() {
        let row_cost = ROW_OVERHEAD + 10;
        let mut s = Session::new(LogConfig {
            byte_budget: 5 * row_cost,
            ..LogConfig::default()
        });
        s.connect(0, P1);
        for i in 0..10 {
            s.rx(i + 1, P1, format!("message {i:02}").as_bytes());
        }
        let log = &s.log;
        // The note and messages 0 to 4 made room for messages 5 to 9.
        assert_eq!(log.len(), 5);
        assert_eq!(log.dropped_rows(), 6);
        assert_eq!(log.used_bytes(), 5 * row_cost);
        assert_eq!(summary(log)[0], "#1 Rx Complete message 05");
        assert_eq!(log.first_seq(), 6);
        assert_eq!(log.row(0).unwrap().seq, 6);
        assert_eq!(log.row(4).unwrap().seq, 10);
        assert_eq!(log.row(5), None);
        assert_eq!(log.index_of_seq(5), None);
        assert_eq!(log.index_of_seq(6), Some(0));
        assert_eq!(log.index_of_seq(10), Some(4));
        assert_eq!(log.index_of_seq(11), None);
        // Dropping rows never touches the counts.
        assert_eq!(log.totals().rx_messages, 10);
        assert_eq!(log.peer(P1).unwrap().counters.rx_bytes, 100);

        // A row larger than the whole budget cannot be kept at all.
        s.rx(20, P1, &[b'x'; 1000]);
        assert!(s.log.is_empty());
        assert_eq!(s.log.dropped_rows(), 12);
        assert_eq!(s.log.first_seq(), 12);
        assert_eq!(s.log.used_bytes(), 0);
    }

    #[test]
    fn clearing_keeps_counters_peers_and_the_seq_count() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        s.rx(1, P1, b"abc");
        s.log.clear();
        assert!(s.log.is_empty());
        assert_eq!(
            (s.log.first_seq(), s.log.dropped_rows(), s.log.used_bytes()),
            (2, 0, 0)
        );
        assert_eq!(s.log.totals().rx_bytes, 3);
        assert_eq!(s.log.connected_peers(), 1);
        s.rx(2, P1, b"d");
        assert_eq!(s.log.row(0).unwrap().seq, 2);

        s.log.reset_counters();
        assert_eq!(*s.log.totals(), Counters::default());
        assert_eq!(s.log.peer(P1).unwrap().counters, Counters::default());
        assert_eq!(s.log.len(), 1);
        s.tx(3, P1, b"ef");
        assert_eq!(s.log.totals().tx_bytes, 2);
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
    fn a_row_fits_its_overhead() {
        assert!(
            std::mem::size_of::<Row>() <= ROW_OVERHEAD,
            "{}",
            std::mem::size_of::<Row>()
        );
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
    fn rates_over_the_last_second() {
        let mut s = Session::new(LogConfig::default());
        s.connect(0, P1);
        // 1000 bytes every 100 ms for three seconds, in the middle of each 100 ms.
        for k in 0..30 {
            s.rx(k * 100 + 50, P1, &[0; 1000]);
            let peer = s.log.peer(P1).unwrap();
            match k {
                0 => assert!((peer.rx_rate(s.now(50)) - 0.0).abs() < f64::EPSILON),
                // Half a second in, the rate is over the half second there was.
                5 => assert!((peer.rx_rate(s.now(550)) - 10_000.0).abs() < 1e-6),
                _ => {}
            }
        }
        let peer = s.log.peer(P1).unwrap();
        assert!((peer.rx_rate(s.now(3_050)) - 10_000.0).abs() < 1e-6);
        assert!((peer.tx_rate(s.now(3_050)) - 0.0).abs() < f64::EPSILON);
        // Silence brings it down: half a second later, half the window is empty.
        assert!((peer.rx_rate(s.now(3_550)) - 5_000.0).abs() < 1e-6);
        assert!((peer.rx_rate(s.now(60_000)) - 0.0).abs() < f64::EPSILON);

        // A burst after a long silence counts alone.
        s.tx(10_020, P1, &[0; 300]);
        s.tx(10_080, P1, &[0; 200]);
        let peer = s.log.peer(P1).unwrap();
        assert!((peer.tx_rate(s.now(10_100)) - 500.0).abs() < 1e-6);
        assert!((peer.rx_rate(s.now(10_100)) - 0.0).abs() < f64::EPSILON);
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
    fn a_tcp_clients_local_address_comes_from_its_connection() {
        let mut s = Session::new(LogConfig::default());
        assert_eq!(s.log.local_addr(), None);
        s.connect(0, P1);
        assert_eq!(s.log.local_addr(), Some(addr(10_000)));
    }

    #[test]
    fn notes_in_plain_words() {
        let group = IpAddr::from([239, 1, 2, 3]);
        let error = net_error(std::io::ErrorKind::ConnectionRefused);
        let cases = [
            (Note::Connected(addr(1)), "Connected", "已连接"),
            (
                Note::Closed(CloseReason::PeerClosed),
                "Closed: the peer closed the connection (FIN)",
                "已断开：对方关闭了连接 (FIN)",
            ),
            (
                Note::Closed(CloseReason::Reset),
                "Closed: reset (RST)",
                "已断开：连接被重置 (RST)",
            ),
            (
                Note::Closed(CloseReason::Kicked),
                "Closed: disconnected by you",
                "已断开：已由你断开",
            ),
            (
                Note::Rejected {
                    addr: addr(2),
                    max_clients: 8,
                },
                "Refused 192.168.1.20:2: the server already has its maximum of 8 clients",
                "拒绝 192.168.1.20:2：服务器已达到最大客户端数 8",
            ),
            (
                Note::Joined(group),
                "Joined multicast group 239.1.2.3",
                "已加入组播组 239.1.2.3",
            ),
            (Note::Stopped, "Stopped", "已停止"),
        ];
        for (note, en, zh) in cases {
            assert_eq!(
                (note.describe(), note.describe_zh()),
                (en.to_owned(), zh.to_owned())
            );
        }
        let note = Note::Error(error.clone());
        assert_eq!(
            (note.describe(), note.describe_zh()),
            (error.to_string(), error.zh())
        );
        let closed = Note::Closed(CloseReason::Error(error.clone()));
        assert_eq!(closed.describe(), format!("Closed: {error}"));
        assert_eq!(closed.describe_zh(), format!("已断开：{}", error.zh()));
    }

    fn data_row(peer: PeerId, dir: Direction, bytes: &[u8]) -> Row {
        Row {
            seq: 0,
            at: wall(0),
            peer: Some(peer),
            kind: RowKind::Data {
                dir,
                bytes: Bytes::copy_from_slice(bytes),
                kind: MessageKind::Complete,
            },
        }
    }

    fn text(text: &str) -> Filter {
        Filter {
            text: text.to_owned(),
            ..Filter::default()
        }
    }

    #[test]
    fn the_filter_finds_gbk_text_when_the_encoding_is_gbk() {
        let mut gbk = Vec::new();
        TextEncoding::Gbk
            .encode_into("温度 OK=25\r\n", &mut gbk)
            .unwrap();
        let row = data_row(P1, Direction::Rx, &gbk);
        let filter = Filter {
            encoding: TextEncoding::Gbk,
            ..text("温度")
        };
        assert!(filter.matches(&row));
        assert!(
            !Filter {
                encoding: TextEncoding::Utf8,
                ..filter.clone()
            }
            .matches(&row)
        );
        // Case does not matter; control characters are found as the escapes the view shows.
        assert!(
            Filter {
                text: "ok=".to_owned(),
                ..filter.clone()
            }
            .matches(&row)
        );
        assert!(
            Filter {
                text: "25\\r\\n".to_owned(),
                ..filter.clone()
            }
            .matches(&row)
        );
        assert!(
            !Filter {
                text: "26".to_owned(),
                ..filter
            }
            .matches(&row)
        );
    }

    #[test]
    fn the_filter_finds_hex() {
        let row = data_row(P1, Direction::Rx, &[0xAA, 0x55, 0x01, 0x7F]);
        assert!(text("AA 55").matches(&row));
        assert!(text("55 01 7f").matches(&row));
        assert!(text("a 5").matches(&row));
        assert!(!text("55 7F").matches(&row));
        assert!(!text("AA 56").matches(&row));
        // In the text, 0x7F shows as `\x7F`, which the hex form alone would not find.
        assert!(text("\\x7f").matches(&row));
    }

    #[test]
    fn the_filter_by_peer_direction_and_notes() {
        let rx = data_row(P1, Direction::Rx, b"ping");
        let tx = data_row(P2, Direction::Tx, b"pong");
        let note = |peer, note| Row {
            seq: 0,
            at: wall(0),
            peer,
            kind: RowKind::Note(note),
        };
        let closed = note(Some(P2), Note::Closed(CloseReason::Reset));
        let listening = note(None, Note::Listening(addr(10_000)));
        let all = [&rx, &tx, &closed, &listening];
        let passing = |filter: &Filter| all.map(|row| filter.matches(row));

        assert!(!Filter::default().is_active());
        assert_eq!(passing(&Filter::default()), [true; 4]);
        let only_p2 = Filter {
            peer: Some(P2),
            ..Filter::default()
        };
        assert!(only_p2.is_active());
        // Notes about the whole session still show when one peer is picked.
        assert_eq!(passing(&only_p2), [false, true, true, true]);
        let only_rx = Filter {
            dir: Some(Direction::Rx),
            ..Filter::default()
        };
        assert_eq!(passing(&only_rx), [true, false, true, true]);
        let no_notes = Filter {
            show_notes: false,
            ..Filter::default()
        };
        assert!(no_notes.is_active());
        assert_eq!(passing(&no_notes), [true, true, false, false]);
        assert_eq!(passing(&text("RST")), [false, false, true, false]);
        assert_eq!(passing(&text("监听")), [false, false, false, true]);
        assert_eq!(passing(&text("PO")), [false, true, false, false]);
    }

    #[test]
    fn case_folding_handles_more_than_ascii() {
        let row = data_row(P1, Direction::Rx, "ΣΟΦΟΣ Straße".as_bytes());
        assert!(text("σοφοσ").matches(&row));
        assert!(text("STRAßE").matches(&row));
    }

    #[test]
    fn a_view_follows_appends_drops_and_filter_changes() {
        let mut s = Session::new(LogConfig {
            byte_budget: 4 * (ROW_OVERHEAD + 1),
            ..LogConfig::default()
        });
        let mut view = FilteredView::new();
        let filter = text("a");
        view.refresh(&s.log, &filter);
        assert!(view.is_empty());
        s.rx(0, P1, b"a");
        s.rx(1, P1, b"b");
        s.rx(2, P1, b"a");
        view.refresh(&s.log, &filter);
        assert_eq!(
            (view.len(), view.row_index(0), view.row_index(1)),
            (2, Some(0), Some(2))
        );
        s.rx(3, P1, b"b");
        s.rx(4, P1, b"a");
        view.refresh(&s.log, &filter);
        // The first `a` was dropped; indexes follow the log's.
        assert_eq!(s.log.first_seq(), 1);
        assert_eq!(
            (0..view.len())
                .map(|i| view.row_index(i))
                .collect::<Vec<_>>(),
            [Some(1), Some(3)]
        );
        assert_eq!(view.row_index(2), None);
        view.refresh(&s.log, &text("b"));
        assert_eq!(
            (0..view.len())
                .map(|i| view.row_index(i))
                .collect::<Vec<_>>(),
            [Some(0), Some(2)]
        );
        // A new log is a new start, even with the same filter.
        let other = TrafficLog::new(LogConfig::default());
        view.refresh(&other, &text("b"));
        assert!(view.is_empty());
    }

    /// Something that can happen to a log and its view.
    #[derive(Clone, Debug)]
    enum Step {
        Data(u64, bool, Vec<u8>),
        Connect(u64),
        Close(u64),
        Clear,
        Filter(Filter),
        Refresh,
    }

    fn filter_strategy() -> impl Strategy<Value = Filter> {
        let texts = vec![
            "", "a", "B", "ab", "#", "aa 55", "\\r", "conn", "closed", "已",
        ];
        (
            proptest::option::of(1..=3_u64),
            proptest::option::of(any::<bool>()),
            proptest::sample::select(texts),
            any::<bool>(),
            proptest::sample::select(TextEncoding::ALL.to_vec()),
        )
            .prop_map(|(peer, tx, text, show_notes, encoding)| Filter {
                peer: peer.map(PeerId),
                dir: tx.map(|tx| if tx { Direction::Tx } else { Direction::Rx }),
                text: text.to_owned(),
                show_notes,
                encoding,
            })
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        let byte = proptest::sample::select(vec![b'a', b'B', b'#', b'\r', 0xAA, 0x55, 0xC4, 0xE3]);
        prop_oneof![
            6 => (1..=3_u64, any::<bool>(), proptest::collection::vec(byte, 0..8))
                .prop_map(|(peer, tx, bytes)| Step::Data(peer, tx, bytes)),
            1 => (1..=3_u64).prop_map(Step::Connect),
            1 => (1..=3_u64).prop_map(Step::Close),
            1 => Just(Step::Clear),
            1 => filter_strategy().prop_map(Step::Filter),
            3 => Just(Step::Refresh),
        ]
    }

    /// The log indexes of the rows that pass, tested one by one.
    fn passing_rows(log: &TrafficLog, filter: &Filter) -> Vec<usize> {
        (0..log.len())
            .filter(|&index| filter.matches(log.row(index).unwrap()))
            .collect()
    }

    fn view_rows(view: &FilteredView) -> Vec<usize> {
        (0..view.len())
            .map(|i| view.row_index(i).unwrap())
            .collect()
    }

    proptest! {
        #[test]
        fn a_message_matches_exactly_when_its_shown_text_or_hex_holds_the_search_text(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'K', b' ', b'\\', b'\r', b'x', b'7', 0x7F, 0xAA, 0xC4, 0xE3]),
                0..10,
            ),
            needle in proptest::sample::select(vec!["a", "k", "A K", "\\\\", "\\r", "x7", "7f", "aa", "\\xaa", "ä", "a\\"]),
            encoding in proptest::sample::select(TextEncoding::ALL.to_vec()),
        ) {
            let fold = |text: &str| text.chars().flat_map(char::to_lowercase).collect::<String>();
            let shown = codec::decode_for_display(&bytes, encoding, ControlStyle::Escapes);
            let expected = fold(&shown).contains(&fold(needle))
                || fold(&codec::hex::format(&bytes)).contains(&fold(needle));
            let filter = Filter { encoding, ..text(needle) };
            prop_assert_eq!(filter.matches(&data_row(P1, Direction::Rx, &bytes)), expected);
        }

        #[test]
        fn an_incremental_view_equals_a_full_rebuild(
            budget_rows in 0..12_usize,
            steps in proptest::collection::vec(step_strategy(), 1..80),
        ) {
            let mut s = Session::new(LogConfig {
                byte_budget: budget_rows * (ROW_OVERHEAD + 4),
                ..config(delimiter(b"#"))
            });
            let mut view = FilteredView::new();
            let mut filter = Filter::default();
            for (ms, step) in (0..).zip(steps) {
                match step {
                    Step::Data(peer, tx, bytes) => {
                        let dir = if tx { Direction::Tx } else { Direction::Rx };
                        s.data_seen(ms, ms, PeerId(peer), dir, &bytes);
                    }
                    Step::Connect(peer) => s.connect(ms, PeerId(peer)),
                    Step::Close(peer) => s.close(ms, PeerId(peer), CloseReason::PeerClosed),
                    Step::Clear => s.log.clear(),
                    Step::Filter(new) => filter = new,
                    Step::Refresh => {
                        view.refresh(&s.log, &filter);
                        prop_assert_eq!(view_rows(&view), passing_rows(&s.log, &filter));
                    }
                }
            }
            view.refresh(&s.log, &filter);
            let mut fresh = FilteredView::new();
            fresh.refresh(&s.log, &filter);
            prop_assert_eq!(view_rows(&view), view_rows(&fresh));
            prop_assert_eq!(view_rows(&view), passing_rows(&s.log, &filter));
        }
    }
}
