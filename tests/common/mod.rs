//! Helpers shared by the engine's integration tests: start sessions on loopback and wait for events with a
//! bounded time-out, never sleeping for "long enough".
#![allow(dead_code, clippy::missing_panics_doc)]

pub mod cli;
pub mod tshark;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use netassist::engine::{
    self, CloseReason, Direction, Event, Mode, PeerId, Session, SessionConfig,
};
use socket2::{Domain, Socket, Type};

/// The longest any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A started session with a count of how often it woke its caller.
pub struct Running {
    pub session: Session,
    pub wakes: Arc<AtomicUsize>,
}

impl Running {
    pub fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

pub fn start(config: SessionConfig) -> Running {
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&wakes);
    let session = engine::start(config, move || {
        counter.fetch_add(1, Ordering::SeqCst);
    })
    .expect("session starts");
    Running { session, wakes }
}

/// Waits for the first event for which `pick` returns `Some`, failing after [`WAIT`] with what was seen.
pub fn wait_for<T>(session: &Session, what: &str, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Some(event) = session.recv_timeout(left) else {
            break;
        };
        if let Some(found) = pick(&event) {
            return found;
        }
        if seen.len() < 50 {
            seen.push(event);
        }
    }
    panic!("timed out waiting for {what}; first events seen: {seen:#?}");
}

/// Takes a session controller's events until `done` says what it waited for, failing after [`WAIT`].
pub fn until<T>(
    controller: &mut netassist::session::Controller,
    mut done: impl FnMut(&netassist::session::Controller) -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(found) = done(controller) {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out");
        controller.wait_event(Duration::from_millis(50));
    }
}

/// Sends `bytes` to `to`, then waits until the session took it: commands are taken in order, so once
/// a send to a peer that is not there was reported unsent, the one before it was queued.
pub fn send_taken(session: &Session, to: PeerId, bytes: Vec<u8>) {
    let nobody = PeerId(u64::MAX);
    for (to, bytes) in [
        (to, bytes::Bytes::from(bytes)),
        (nobody, bytes::Bytes::from_static(b"?")),
    ] {
        assert!(session.send(engine::Command::Send {
            to: engine::Target::Peer(to),
            bytes,
        }));
    }
    wait_for(session, "the send to nobody unsent", |e| {
        matches!(e, Event::Unsent { peer, .. } if *peer == nobody).then_some(())
    });
}

/// Starts a TCP server on `bind` and returns it with the address it really listens on.
pub fn tcp_server(config: SessionConfig) -> (Running, SocketAddr) {
    let running = start(config);
    let addr = listening(&running.session);
    (running, addr)
}

pub fn server_config(bind: &str) -> SessionConfig {
    SessionConfig::new(Mode::TcpServer {
        bind: bind.parse().expect("test address"),
        max_clients: None,
    })
}

/// A relay on a free loopback port to `target`, giving up a connect to it after `timeout`.
pub fn relay_to(target: SocketAddr, timeout: Duration) -> SessionConfig {
    SessionConfig::new(Mode::Relay {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        target: engine::HostPort::from(target),
        max_clients: None,
        timeout,
    })
}

/// Waits for a relay's next connect to its target: (device, the server side's id to be, the address
/// tried).
pub fn connecting(session: &Session) -> (PeerId, PeerId, SocketAddr) {
    wait_for(session, "Connecting", |event| match event {
        Event::Connecting {
            device,
            server,
            addr,
            ..
        } => Some((*device, *server, *addr)),
        _ => None,
    })
}

pub fn listening(session: &Session) -> SocketAddr {
    wait_for(session, "Listening", |e| match e {
        Event::Listening { addr, .. } => Some(*addr),
        _ => None,
    })
}

/// Waits for the next `Connected` event: (peer, remote address, local address).
pub fn connected(session: &Session) -> (PeerId, SocketAddr, SocketAddr) {
    wait_for(session, "Connected", |e| match e {
        Event::Connected {
            peer, addr, local, ..
        } => Some((*peer, *addr, *local)),
        _ => None,
    })
}

/// Collects `Data` bytes in direction `dir` from `peer` until `len` bytes arrived.
pub fn data(session: &Session, peer: PeerId, dir: Direction, len: usize) -> Vec<u8> {
    let mut got = Vec::new();
    wait_for(session, &format!("{len} bytes {dir:?} for {peer}"), |e| {
        if let Event::Data {
            peer: p,
            dir: d,
            bytes,
            ..
        } = e
            && *p == peer
            && *d == dir
        {
            got.extend_from_slice(bytes);
        }
        (got.len() >= len).then_some(())
    });
    got
}

/// A std client with a read time-out, so a test that expects bytes fails instead of hanging.
pub fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("test client connects");
    stream.set_read_timeout(Some(WAIT)).expect("read timeout");
    stream
}

pub fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream
        .read_exact(&mut buf)
        .expect("peer sends the expected bytes");
    buf
}

/// Reads until the other side closes; returns what came before the close.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .expect("the connection closes cleanly");
    buf
}

/// The real peer program `name` (Python, standard library only) from `../shared/peers` beside this
/// repository, or where `NETASSIST_PEERS` points; `None`, saying it is skipped, without it or `python3`.
pub fn peer_program(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("NETASSIST_PEERS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/peers"),
        PathBuf::from,
    );
    let program = dir.join(name);
    let python = Process::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if program.is_file() && python {
        Some(program)
    } else {
        eprintln!("skipped: needs python3 and {}", program.display());
        None
    }
}

/// A loopback listener that does not answer: its accept queue (backlog 0) is full of connections never
/// accepted, so the kernel drops new connection attempts (SYNs) and a connect to it hangs until its
/// time-out, or until [`Unanswered::answer_within`] makes room (the kernel sends a dropped SYN again
/// after 1 s, then 3 s).
pub struct Unanswered {
    socket: Socket,
    fillers: Vec<TcpStream>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Unanswered {
    pub fn listen() -> Self {
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
        socket
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .expect("bind to loopback");
        socket.listen(0).expect("listen");
        let addr = socket.local_addr().ok().and_then(|a| a.as_socket());
        let addr = addr.expect("the listening address");
        let mut fillers = Vec::new();
        for _ in 0..8 {
            match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(stream) => fillers.push(stream),
                // Not answered: the queue is full.
                Err(_) => {
                    return Self {
                        socket,
                        fillers,
                        addr,
                    };
                }
            }
        }
        panic!("the accept queue never filled");
    }

    /// Makes room in the queue (accepts the fillers), then waits up to `wait` for another connection;
    /// `None` if none came.
    pub fn answer_within(&mut self, wait: Duration) -> Option<TcpStream> {
        let fillers: Vec<SocketAddr> = self
            .fillers
            .iter()
            .map(|filler| filler.local_addr().expect("a filler's address"))
            .collect();
        let deadline = Instant::now() + wait;
        for _ in 0..=fillers.len() {
            let left = deadline.checked_duration_since(Instant::now())?;
            // SO_RCVTIMEO bounds an accept too (Linux).
            self.socket
                .set_read_timeout(Some(left))
                .expect("accept time-out");
            let (socket, from) = self.socket.accept().ok()?;
            if !from.as_socket().is_some_and(|from| fillers.contains(&from)) {
                let stream = TcpStream::from(socket);
                stream.set_read_timeout(Some(WAIT)).expect("read timeout");
                return Some(stream);
            }
        }
        None
    }
}

/// Set in the environment of a test binary run inside the network namespace made for it.
const IN_NAMESPACE: &str = "NETASSIST_TEST_IN_NAMESPACE";

/// Runs `inside` in a private network namespace whose only adapter is its own loopback, so nothing it
/// sends can reach a real network: the test binary runs again, only the test named `test`, under `unshare
/// --net` after the shell commands `setup` (e.g. `ip link set lo up`); in that run `inside` is called. Where
/// no namespace can be made (no `unshare`, no right to), the test says it is skipped and passes.
pub fn in_private_namespace(test: &str, setup: &str, inside: impl FnOnce()) {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        inside();
        return;
    }
    let script = format!("{setup} && exec \"$0\" --exact {test} --nocapture");
    let status = Process::new("unshare")
        .args(["--net", "sh", "-c", &script])
        .arg(std::env::current_exe().expect("the test binary's path"))
        .env(IN_NAMESPACE, "1")
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) if status.code() == Some(101) => panic!("the test failed inside the namespace"),
        other => eprintln!("skipped: cannot make a network namespace here ({other:?})"),
    }
}

/// Why `of` closed, from `events` (which hold its `Closed`).
pub fn close_reason(events: &[Event], of: PeerId) -> CloseReason {
    events
        .iter()
        .find_map(|event| match event {
            Event::Closed { peer, reason, .. } if *peer == of => Some(reason.clone()),
            _ => None,
        })
        .unwrap()
}
