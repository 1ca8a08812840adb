//! Engine benchmark: each figure beside a baseline measured in the same run on the same machine, because
//! these machines are noisy and only ratios compare across runs. Run with `cargo bench --bench engine`.
//!
//! 1. one TCP stream into a server session (events drained by a consumer thread) vs a std read-to-sink;
//! 2. 10,000 clients connect to one session and each sends a line, vs a std accept-and-read loop;
//! 3. 64-byte round trips through the session's echo, and through a reply rule, vs a std echo server
//!    (p50/p99);
//! 4. UDP datagrams a second received with zero loss (paced sender) vs a std receive loop, with the OS's
//!    default receive buffer and with the session's (4 MiB); and an unpaced burst of 100,000 datagrams:
//!    how many each receiver got, and how many the session reports the OS dropped;
//! 5. periodic UDP sends at 1, 10 and 100 ms, timed by a std receiver on arrival: sends a second and the
//!    gaps' p50/p99 beside the ideal (the period), and the ticks the session reported skipped; at 1 ms also
//!    with a message rendered anew each tick (a counter, the time and a CRC-32);
//! 6. one TLS stream (a rustls client, TLS 1.3) into a TLS server session vs the same stream in plain TCP
//!    into a plain server session: what encryption costs both ends on this machine.
#![allow(
    clippy::unwrap_used,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod clients;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use netassist::codec::{FramerConfig, Scope, SendOptions, Template, TextEncoding};
use netassist::engine::{self, Command, Direction, Event, Mode, Session, SessionConfig, Target};
use netassist::rules::{Rule, Rules};

// The same allocator as the app, so the bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ROUNDS: usize = 7;
const STREAM_BYTES: usize = 512 << 20;
const CLIENTS: usize = 10_000;
const ROUND_TRIPS: usize = 20_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if clients::child(&args) {
        return;
    }
    // Cargo passes `--bench`; any other word picks the figures to run: stream, echo, udp, clients,
    // periodic.
    let picked: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let run = |name: &str| picked.is_empty() || picked.iter().any(|p| *p == name);
    println!("NetAssist engine benchmark (medians of {ROUNDS} alternating rounds)\n");
    println!("| figure | baseline | engine | engine / baseline |");
    println!("|---|---|---|---|");
    if run("stream") {
        single_stream();
    }
    if run("echo") {
        round_trip();
    }
    if run("udp") {
        udp_knee();
    }
    if run("clients") {
        many_clients();
    }
    if run("periodic") {
        periodic();
    }
    if run("tls") {
        tls_stream();
    }
}

/// A session and the signal its waker raises, so the bench consumes events the way the GUI does: sleep
/// until woken, then drain everything waiting.
struct Running {
    session: Session,
    woken: Receiver<()>,
}

impl Running {
    fn start(config: SessionConfig) -> Self {
        let (wake_tx, woken) = crossbeam_channel::bounded(1);
        let session = engine::start(config, move || {
            let _ = wake_tx.try_send(());
        })
        .unwrap();
        Self { session, woken }
    }

    /// Feeds every event to `done` until it returns true; `false` if no event came for `quiet`.
    fn consume(&self, quiet: Duration, mut done: impl FnMut(Event) -> bool) -> bool {
        loop {
            if self.woken.recv_timeout(quiet).is_err() {
                return false;
            }
            for event in self.session.drain() {
                if done(event) {
                    return true;
                }
            }
        }
    }

    fn listening(&self) -> SocketAddr {
        let mut addr = None;
        self.consume(Duration::from_secs(5), |e| {
            if let Event::Listening { addr: a, .. } = e {
                addr = Some(a);
            }
            addr.is_some()
        });
        addr.expect("the session listens")
    }
}

/// A TCP server on loopback with any port, echo and rules off.
fn server_config() -> SessionConfig {
    SessionConfig::new(Mode::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_clients: None,
    })
}

fn server(config: SessionConfig) -> (Running, SocketAddr) {
    let running = Running::start(config);
    let addr = running.listening();
    (running, addr)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs `send` beside a consumer of `session`'s events until `len` bytes arrived: the rate in MB/s.
fn stream_into(session: &Running, len: usize, send: impl FnOnce() + Send) -> f64 {
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(send);
        let mut total = 0;
        let finished = session.consume(Duration::from_secs(10), |e| {
            if let Event::Data { bytes, .. } = e {
                total += bytes.len();
            }
            total == len
        });
        assert!(finished, "stalled after {total} bytes");
    });
    len as f64 / started.elapsed().as_secs_f64() / 1e6
}

fn row(figure: &str, unit: &str, baseline: f64, engine: f64) {
    println!(
        "| {figure} | {baseline:.1} {unit} | {engine:.1} {unit} | {:.2}x |",
        engine / baseline
    );
}

/// Writes `STREAM_BYTES` to `addr` in 64 KiB writes, then closes.
fn blast(addr: SocketAddr) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let chunk = vec![0xA5u8; 64 * 1024];
    for _ in 0..STREAM_BYTES / chunk.len() {
        stream.write_all(&chunk).unwrap();
    }
}

fn single_stream() {
    let mut base = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..ROUNDS {
        // Baseline: a plain std server reading into a reused buffer and throwing the bytes away.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| blast(addr));
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0;
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                total += n;
            }
            assert_eq!(total, STREAM_BYTES);
        });
        base.push(STREAM_BYTES as f64 / started.elapsed().as_secs_f64() / 1e6);

        let (session, addr) = server(server_config());
        ours.push(stream_into(&session, STREAM_BYTES, || blast(addr)));
    }
    row(
        "1. one TCP stream in, 512 MiB",
        "MB/s",
        median(base),
        median(ours),
    );
}

/// Sends `ROUND_TRIPS` 64-byte messages one at a time and returns each round trip in microseconds.
fn ping(addr: SocketAddr) -> Vec<f64> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let message = [0x42u8; 64];
    let mut reply = [0u8; 64];
    let mut times = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let started = Instant::now();
        stream.write_all(&message).unwrap();
        stream.read_exact(&mut reply).unwrap();
        times.push(started.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    times
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// Round trips through a server session made from `config`, while a consumer drains its events as a GUI
/// would, so the session pays for reporting what it did.
fn session_ping(config: SessionConfig) -> Vec<f64> {
    let (running, addr) = server(config);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                running.consume(Duration::from_millis(50), |_| false);
            }
        });
        let times = ping(addr);
        done.store(true, Ordering::Relaxed);
        times
    })
}

fn round_trip() {
    // A rule answering each whole message with itself, through a regex: the same bytes as the echo, so
    // the difference is what framing and matching cost.
    let rule: Rule = "regex:^B+$=>$0".parse().unwrap();
    let rules = Rules::new(&[rule], TextEncoding::Utf8, FramerConfig::default()).unwrap();
    let mut figures: [Vec<f64>; 6] = Default::default();
    for _ in 0..ROUNDS {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let base = std::thread::scope(|s| {
            s.spawn(|| {
                let (mut stream, _) = listener.accept().unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = stream.read(&mut buf) {
                    stream.write_all(&buf[..n]).unwrap();
                }
            });
            ping(addr)
        });
        let echo = session_ping(server_config().with_echo(true));
        let rule = session_ping(server_config().with_rules(rules.clone()));
        for (i, times) in [base, echo, rule].iter().enumerate() {
            figures[2 * i].push(percentile(times, 0.5));
            figures[2 * i + 1].push(percentile(times, 0.99));
        }
    }
    let [base50, base99, echo50, echo99, rule50, rule99] = figures.map(median);
    row("3. echo round trip, 64 B, p50", "µs", base50, echo50);
    row("3. echo round trip, 64 B, p99", "µs", base99, echo99);
    row(
        "3. rule round trip (regex, reply $0), 64 B, p50",
        "µs",
        base50,
        rule50,
    );
    row(
        "3. rule round trip (regex, reply $0), 64 B, p99",
        "µs",
        base99,
        rule99,
    );
}

/// Sends `count` 64-byte datagrams to `addr` at `rate` a second (in 1 ms batches).
fn paced_send(addr: SocketAddr, rate: usize, count: usize) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let per_ms = (rate / 1000).max(1);
    let started = Instant::now();
    let mut sent = 0;
    while sent < count {
        // Sleeping, not spinning: on two cores a spinning sender would starve the receiver it measures.
        let due = started + Duration::from_micros((sent / per_ms * 1000) as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for _ in 0..per_ms.min(count - sent) {
            socket.send_to(&[0x17u8; 64], addr).unwrap();
            sent += 1;
        }
    }
}

/// A UDP receiver under test.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UdpReceiver {
    /// A std socket receive loop with the OS's default receive buffer.
    StdDefault,
    /// A std socket receive loop with the session's default receive buffer.
    StdSized,
    /// A UDP session.
    Engine,
}

/// Sends with `send` (given the receiver's address) to `receiver` until nothing arrived for 300 ms, and
/// returns the datagrams it got and (the session only) those it reported the OS dropped.
fn udp_receive(receiver: UdpReceiver, send: impl FnOnce(SocketAddr) + Send) -> (usize, u64) {
    let quiet = Duration::from_millis(300);
    if receiver == UdpReceiver::Engine {
        let running = Running::start(SessionConfig::new(Mode::Udp {
            bind: "127.0.0.1:0".parse().unwrap(),
            remote: None,
            broadcast: false,
            multicast: Vec::new(),
        }));
        let addr = running.listening();
        std::thread::scope(|s| {
            s.spawn(move || send(addr));
            let (mut got, mut dropped) = (0, 0);
            running.consume(quiet, |e| {
                match e {
                    Event::Data {
                        dir: Direction::Rx, ..
                    } => got += 1,
                    Event::Dropped {
                        datagrams_total, ..
                    } => dropped = datagrams_total,
                    _ => {}
                }
                false
            });
            (got, dropped)
        })
    } else {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
        if receiver == UdpReceiver::StdSized {
            socket
                .set_recv_buffer_size(engine::DEFAULT_UDP_RECEIVE_BUFFER)
                .unwrap();
        }
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        let socket = UdpSocket::from(socket);
        socket.set_read_timeout(Some(quiet)).unwrap();
        let addr = socket.local_addr().unwrap();
        std::thread::scope(|s| {
            s.spawn(move || send(addr));
            let mut buf = vec![0u8; 65_536];
            let mut got = 0;
            while socket.recv_from(&mut buf).is_ok() {
                got += 1;
            }
            (got, 0)
        })
    }
}

/// The highest rates (stepping up by a quarter) at which most of `ROUNDS` bursts arrive without loss, for
/// each receiver, measured alternately at each rate. A single lost burst at a low rate is the machine's
/// noise (a descheduled receiver), which a majority vote filters out.
fn udp_knee() {
    let receivers = [
        UdpReceiver::StdDefault,
        UdpReceiver::StdSized,
        UdpReceiver::Engine,
    ];
    let mut rate = 25_000;
    let mut knees = [0; 3];
    let mut failed = [false; 3];
    while rate <= 4_000_000 && failed.contains(&false) {
        let count = rate / 4; // a quarter of a second of traffic
        let mut ok = [0; 3];
        for _ in 0..ROUNDS {
            for (i, receiver) in receivers.into_iter().enumerate() {
                if !failed[i] {
                    let (got, _) = udp_receive(receiver, |addr| paced_send(addr, rate, count));
                    ok[i] += usize::from(got == count);
                }
            }
        }
        for i in 0..receivers.len() {
            if failed[i] {
                continue;
            }
            if ok[i] * 2 > ROUNDS {
                knees[i] = rate;
            } else {
                failed[i] = true;
            }
        }
        rate += rate / 4;
    }
    let [std_default, std_sized, ours] = knees.map(|knee| knee as f64 / 1000.0);
    let buffer_kib = engine::DEFAULT_UDP_RECEIVE_BUFFER >> 10;
    row(
        "4. UDP 64 B, zero-loss rate; std with the OS's default buffer",
        "k/s",
        std_default,
        ours,
    );
    row(
        &format!("4. … std with the session's {buffer_kib} KiB buffer"),
        "k/s",
        std_sized,
        ours,
    );
    udp_burst(&receivers);
}

/// `BURST` datagrams of 64 B as fast as one sender can: the report of silent loss.
fn udp_burst(receivers: &[UdpReceiver]) {
    const BURST: usize = 100_000;
    let blast = |addr: SocketAddr| {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..BURST {
            socket.send_to(&[0x17u8; 64], addr).unwrap();
        }
    };
    let mut got = Vec::new();
    let mut dropped = Vec::new();
    for _ in 0..ROUNDS {
        for (i, receiver) in receivers.iter().enumerate() {
            let (received, reported) = udp_receive(*receiver, blast);
            if got.len() <= i {
                got.push(Vec::new());
                dropped.push(Vec::new());
            }
            got[i].push(received as f64 * 100.0 / BURST as f64);
            dropped[i].push(reported as f64 * 100.0 / BURST as f64);
        }
    }
    let [std_default, std_sized, ours] = [0, 1, 2].map(|i| median(got[i].clone()));
    row(
        &format!("4. {BURST} × 64 B unpaced, received; std with the OS's default buffer"),
        "%",
        std_default,
        ours,
    );
    row("4. … std with the session's buffer", "%", std_sized, ours);
    println!(
        "| 4. … the session's received + reported dropped by the OS | | {:.1} % | |",
        median(got[2].iter().zip(&dropped[2]).map(|(g, d)| g + d).collect())
    );
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn many_clients() {
    if !clients::raise_descriptor_limit(CLIENTS) {
        println!("| 2. {CLIENTS} clients | skipped: too few file descriptors allowed | | |");
        return;
    }
    // Baseline: a std loop accepting each client and reading its line, with the engine's listen backlog.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    socket.listen(1024).unwrap();
    let listener = TcpListener::from(socket);
    let addr = listener.local_addr().unwrap();
    let started = Instant::now();
    let mut base_secs = 0.0;
    clients::with_clients(addr, CLIENTS, || {
        let mut held = Vec::with_capacity(CLIENTS);
        let mut line = [0u8; 64];
        for _ in 0..CLIENTS {
            let (mut stream, _) = listener.accept().unwrap();
            assert!(stream.read(&mut line).unwrap() > 0);
            held.push(stream);
        }
        base_secs = started.elapsed().as_secs_f64();
    });
    drop(listener);

    let rss_before = rss_mib();
    let (session, addr) = server(server_config());
    let started = Instant::now();
    let (mut ours_secs, mut errors, mut rss_after) = (0.0, 0, 0.0);
    clients::with_clients(addr, CLIENTS, || {
        let all_lines: usize = (0..CLIENTS).map(|i| format!("client {i}\n").len()).sum();
        let (mut connected, mut line_bytes) = (0, 0);
        let all = session.consume(Duration::from_secs(30), |e| {
            match e {
                Event::Connected { .. } => connected += 1,
                Event::Data { bytes, .. } => line_bytes += bytes.len(),
                Event::Error { .. } | Event::Closed { .. } | Event::Rejected { .. } => errors += 1,
                _ => {}
            }
            connected == CLIENTS && line_bytes == all_lines
        });
        assert!(
            all,
            "stalled at {connected} connected, {line_bytes} of {all_lines} bytes"
        );
        ours_secs = started.elapsed().as_secs_f64();
        rss_after = rss_mib();
    });
    row(
        &format!("2. {CLIENTS} clients connected + 1 line each"),
        "s",
        base_secs,
        ours_secs,
    );
    println!(
        "| 2. … errors or closes while connecting | | {errors} | |\n\
         | 2. … server process RSS before → with all {CLIENTS} held | | {rss_before:.1} → {rss_after:.1} MiB | |"
    );
}

/// Each period runs once, for a fixed span: ticks are timed against the ideal grid, which needs no
/// alternating baseline (the ideal is exact), and a 1 ms period gives 2,000 gaps in 2 s.
fn periodic() {
    let fixed = Template::from(bytes::Bytes::from_static(b"tick"));
    // The same period with a message rendered anew each tick, beside the fixed one in the same run.
    let counting = Template::parse(
        "tick {counter:8} {time} {crc32}",
        &SendOptions::default(),
        Scope::SEND,
    )
    .unwrap();
    for (period_ms, span, message, what) in [
        (1, 2.0, fixed.clone(), ""),
        (1, 2.0, counting, " with variables"),
        (10, 2.0, fixed.clone(), ""),
        (100, 3.0, fixed, ""),
    ] {
        let every = Duration::from_millis(period_ms);
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let running = Running::start(SessionConfig::new(Mode::Udp {
            bind: "127.0.0.1:0".parse().unwrap(),
            remote: Some(engine::HostPort::from(receiver.local_addr().unwrap())),
            broadcast: false,
            multicast: Vec::new(),
        }));
        running.listening();
        running.session.send(Command::SendEvery {
            to: Target::Default,
            messages: vec![message],
            every,
            count: None,
        });
        let mut arrivals = Vec::new();
        let mut buf = [0u8; 64];
        let stop_at = Instant::now() + Duration::from_secs_f64(span);
        while Instant::now() < stop_at && receiver.recv_from(&mut buf).is_ok() {
            arrivals.push(Instant::now());
        }
        running.session.send(Command::StopPeriodic);
        let mut skipped = 0;
        running.consume(Duration::from_secs(2), |e| match e {
            Event::Periodic {
                skipped: s,
                done: true,
                ..
            } => {
                skipped = s;
                true
            }
            _ => false,
        });
        let first = arrivals[0];
        let last = arrivals[arrivals.len() - 1];
        let rate = (arrivals.len() - 1) as f64 / last.duration_since(first).as_secs_f64();
        let mut gaps: Vec<f64> = arrivals
            .windows(2)
            .map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1e3)
            .collect();
        gaps.sort_by(f64::total_cmp);
        let ideal_rate = 1000.0 / period_ms as f64;
        row(
            &format!("periodic {period_ms} ms{what}: sends a second ({skipped} skipped)"),
            "/s",
            ideal_rate,
            rate,
        );
        let ideal_gap = period_ms as f64;
        row_ms(
            &format!("periodic {period_ms} ms{what}: gap p50"),
            ideal_gap,
            percentile(&gaps, 0.5),
        );
        row_ms(
            &format!("periodic {period_ms} ms{what}: gap p99"),
            ideal_gap,
            percentile(&gaps, 0.99),
        );
    }
}

/// A row in milliseconds with three decimals: the gaps differ from the period by tenths of one.
fn row_ms(figure: &str, baseline: f64, engine: f64) {
    println!(
        "| {figure} | {baseline:.3} ms | {engine:.3} ms | {:.2}x |",
        engine / baseline
    );
}

/// Bytes of the TLS figure's stream, each way of measuring.
const TLS_STREAM_BYTES: usize = 128 << 20;

/// Writes `TLS_STREAM_BYTES` to `addr` in 64 KiB writes, over TLS when `tls` is given, then ends in
/// order: a `close_notify` (TLS), a FIN, and reading until the server closes. (A TLS 1.3 server sends
/// session tickets; closing with them unread would be an RST that loses the stream's tail.)
fn blast_tls(addr: SocketAddr, tls: Option<&std::sync::Arc<rustls::ClientConfig>>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_nodelay(true).unwrap();
    let chunk = vec![0xA5u8; 64 * 1024];
    let mut conn = tls.map(|config| {
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        rustls::ClientConnection::new(config.clone(), name).unwrap()
    });
    for _ in 0..TLS_STREAM_BYTES / chunk.len() {
        match &mut conn {
            Some(conn) => rustls::Stream::new(conn, &mut stream)
                .write_all(&chunk)
                .unwrap(),
            None => stream.write_all(&chunk).unwrap(),
        }
    }
    if let Some(conn) = &mut conn {
        conn.send_close_notify();
        while conn.wants_write() {
            conn.write_tls(&mut stream).unwrap();
        }
    }
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
}

fn tls_stream() {
    use netassist::engine::{TlsAccept, TlsIdentity};
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let made = netassist::engine::self_signed(None).unwrap();
    made.save(&cert, &key).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(der.unwrap()).unwrap();
    }
    let client = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let mut tls_config = server_config();
    tls_config.tls_accept = Some(TlsAccept::new(TlsIdentity::Files { cert, key }));
    let mut plain = Vec::new();
    let mut tls = Vec::new();
    for _ in 0..ROUNDS {
        for (config, rates, client) in [
            (server_config(), &mut plain, None),
            (tls_config.clone(), &mut tls, Some(&client)),
        ] {
            let (session, addr) = server(config);
            rates.push(stream_into(&session, TLS_STREAM_BYTES, || {
                blast_tls(addr, client);
            }));
        }
    }
    row(
        "6. one stream in, 128 MiB: plain TCP (baseline) vs TLS 1.3",
        "MB/s",
        median(plain),
        median(tls),
    );
}
