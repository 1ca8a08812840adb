//! What the log counts: bytes and messages each way ([`Counters`]), for the session and per peer
//! ([`PeerStats`]), and each peer's rate over the last second ([`RateMeter`]). Exact whatever rows the
//! byte budget dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::engine::{CertSummary, CloseReason, Direction, PeerId, TlsInfo};

use super::rates::Activity;

/// The width of one rate bucket.
const RATE_BUCKET: Duration = Duration::from_millis(100);

/// The complete buckets a rate is measured over: one second.
const RATE_WINDOW: u64 = 10;

/// Buckets a meter keeps: the window plus the bucket being filled.
const RATE_SLOTS: usize = RATE_WINDOW as usize + 1;

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
    pub(super) fn add(&mut self, dir: Direction, bytes: u64, messages: u64) {
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

/// The raw bytes of a TLS handshake that did not finish ([`crate::engine::Event::TlsRaw`]), each way:
/// never application data, so not in a peer's [`Counters`], but on its connection in a pcapng.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawBytes {
    /// Bytes read from the peer.
    pub rx: u64,
    /// Bytes we wrote to it.
    pub tx: u64,
}

/// Which side of a relay pair a peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelaySide {
    /// The client that connected to the relay.
    Device,
    /// The relay's connection to its target.
    Server,
}

/// A relay's peer: its side and the other side of its pair. A device has one from its first connect to
/// the target on ([`crate::engine::Event::Connecting`], the partner the server side being tried); a
/// server side once connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pairing {
    /// Which side this peer is.
    pub side: RelaySide,
    /// The other side's id.
    pub partner: PeerId,
}

/// The other end of a relay side's pair, for naming the side's rows: two pairs to one target are told
/// apart by their devices (and by their server sides' local ports). Known from the first connect to the
/// target ([`crate::engine::Event::Connecting`]), before the pair forms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairEnds {
    /// Which side the named peer is.
    pub side: RelaySide,
    /// The address of the pair's other side: the target for a device (the address being tried until
    /// one is connected), the device for a server side.
    pub partner: SocketAddr,
    /// The server side's local address (the relay's end of its connection to the target), once it is
    /// connected; `None` while connecting, and for good when the target was not reached.
    pub server_local: Option<SocketAddr>,
}

/// How a peer and its rows are named: its address, and for a relay's side the pair it belongs to.
///
/// Displayed as the address, or for a relay side as `SELF⇄PARTNER` (no spaces, so a line's peer stays
/// one word): `192.168.1.7:51234⇄203.0.113.5:8883` for a device, the reverse for its server side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerAddr {
    /// The peer's own address.
    pub socket: SocketAddr,
    /// Relay: its pair, from the first connect to the target on.
    pub pair: Option<PairEnds>,
}

impl From<SocketAddr> for PeerAddr {
    fn from(socket: SocketAddr) -> Self {
        Self { socket, pair: None }
    }
}

impl PeerAddr {
    /// Relay: `device`'s server side starts connecting to `target`; names `device` by its pair from now
    /// on (rows that hold the old name keep it), and returns the server side's name until it connects.
    /// Each further address tried names the pair anew.
    pub fn connecting(device: &mut Self, target: SocketAddr) -> Self {
        let mut server = Self::from(target);
        Self::name(device, &mut server, None);
        server
    }

    /// Relay: `server`, connected from `server_local`, is `device`'s server side; names both by their
    /// pair from now on (rows that hold the old names keep them).
    pub fn pair(device: &mut Self, server: &mut Self, server_local: SocketAddr) {
        Self::name(device, server, Some(server_local));
    }

    fn name(device: &mut Self, server: &mut Self, server_local: Option<SocketAddr>) {
        let ends = |side, partner| PairEnds {
            side,
            partner,
            server_local,
        };
        device.pair = Some(ends(RelaySide::Device, server.socket));
        server.pair = Some(ends(RelaySide::Server, device.socket));
    }

    /// The peer as a row of bytes going `dir` names it: its address, or for a relay side the pair in
    /// the direction the bytes went, `SELF→PARTNER` received from it (it sent them toward its partner),
    /// `SELF←PARTNER` written to it (where it expects its partner's bytes).
    #[must_use]
    pub fn toward(&self, dir: Direction) -> String {
        match (&self.pair, dir) {
            (None, _) => self.socket.to_string(),
            (Some(pair), Direction::Rx) => format!("{}→{}", self.socket, pair.partner),
            (Some(pair), Direction::Tx) => format!("{}←{}", self.socket, pair.partner),
        }
    }
}

impl std::fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.pair {
            None => write!(f, "{}", self.socket),
            Some(pair) => write!(f, "{}⇄{}", self.socket, pair.partner),
        }
    }
}

/// One remote of the session: a TCP server's client, a TCP client's server, or a UDP remote (which
/// counts as connected from its first datagram). Kept after it closes, so its rows keep an address.
#[derive(Clone, Debug)]
pub struct PeerStats {
    /// The engine's id for it.
    pub id: PeerId,
    /// Its address (and relay pair), shared with its rows (which keep it after the log forgets the peer).
    pub addr: Arc<PeerAddr>,
    /// When it connected.
    pub since: SystemTime,
    /// Why it closed, once it has.
    pub closed: Option<CloseReason>,
    /// When it closed (the close event's time, or the session's stop), once it has.
    pub closed_at: Option<SystemTime>,
    /// It finished sending (its TCP FIN arrived); the connection stays open while we still send to it.
    pub peer_finished: bool,
    /// We finished sending to it (our FIN went out, on the user's request); it can still send.
    pub local_finished: bool,
    /// Relay: which side of a pair it is, and its partner.
    pub pairing: Option<Pairing>,
    /// What its TLS handshake agreed (version, cipher suite, server name, the server's certificate and
    /// whether it was verified) once it finished; `None` for plain TCP (or a handshake still going on).
    pub tls: Option<Box<TlsInfo>>,
    /// The certificate the session presented to it, on a TLS connection it accepted (whose
    /// [`TlsInfo::certificate`] is `None`).
    pub presented: Option<Box<CertSummary>>,
    /// Its TLS handshake failed: the raw bytes that went each way before it gave up.
    pub tls_raw: Option<RawBytes>,
    /// What it sent and received (zeroed by [`TrafficLog::reset_counters`](super::TrafficLog::reset_counters)).
    pub counters: Counters,
    rx: RateMeter,
    tx: RateMeter,
    /// How busy it has been lately, for choosing the peers whose rates are kept over time.
    pub(super) activity: Activity,
}

impl PeerStats {
    pub(super) fn new(id: PeerId, addr: SocketAddr, since: SystemTime, now: Instant) -> Self {
        Self {
            id,
            addr: Arc::new(addr.into()),
            since,
            closed: None,
            closed_at: None,
            peer_finished: false,
            local_finished: false,
            pairing: None,
            tls: None,
            presented: None,
            tls_raw: None,
            counters: Counters::default(),
            rx: RateMeter::new(now),
            tx: RateMeter::new(now),
            activity: Activity::default(),
        }
    }

    /// Whether it is still connected.
    #[must_use]
    pub fn is_connected(&self) -> bool {
        self.closed.is_none()
    }

    /// Marks it closed for `reason` at `at`.
    pub(super) fn close(&mut self, reason: CloseReason, at: SystemTime) {
        self.closed = Some(reason);
        self.closed_at = Some(at);
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

    pub(super) fn meter(&mut self, dir: Direction) -> &mut RateMeter {
        match dir {
            Direction::Rx => &mut self.rx,
            Direction::Tx => &mut self.tx,
        }
    }
}

/// Bytes per 100 ms bucket over the last second: a fixed ring, however long the peer lives.
#[derive(Clone, Debug)]
pub(super) struct RateMeter {
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

    pub(super) fn add(&mut self, at: Instant, bytes: u64) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Event;
    use crate::traffic::LogConfig;
    use crate::traffic::test_support::*;

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
        assert_eq!((p2.addr.socket, p2.since), (addr(50_002), wall(2)));
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
}
