//! A relay with TLS on either side, on loopback: a plain device and a TLS server (Python's `ssl`),
//! byte for byte both ways; a TLS device (Python's `ssl` client) and a plain echo server; a target whose
//! certificate is refused, or that never answers the greeting, resets the device with the reason said.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "tls/peer.rs"]
mod peer;
#[path = "tls/pki.rs"]
mod pki;

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use common::{Running, client, close_reason, listening, read_n, relay_to, start, wait_for};
use netassist::doctor::closed::explain;
use netassist::engine::{
    CloseReason, Direction, Event, PeerId, TlsAccept, TlsConnect, TlsFailure, TlsIdentity, TlsInfo,
    TlsVerify,
};
use netassist::i18n::{Lang, Text};
use peer::line_after;
use pki::Pki;
use sha2::{Digest, Sha256};

/// Waits for the pair: (device, server side).
fn paired(running: &Running) -> (PeerId, PeerId) {
    wait_for(&running.session, "Paired", |event| match event {
        Event::Paired { device, server, .. } => Some((*device, *server)),
        _ => None,
    })
}

/// `len` bytes that do not repeat within a TLS record, so a lost, doubled or reordered piece shows.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8 ^ seed)
        .collect()
}

fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// A Python program, killed when dropped; its output is read line by line.
struct Python(Child);

impl Python {
    fn spawn(
        script: &str,
        args: &[&str],
        cwd: &Path,
    ) -> (Self, BufReader<std::process::ChildStdout>) {
        let mut child = Process::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        (Self(child), out)
    }
}

impl Python {
    /// Writes a line to the program's input.
    fn say(&mut self, line: &str) {
        let input = self.0.stdin.as_mut().unwrap();
        writeln!(input, "{line}").unwrap();
        input.flush().unwrap();
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TLS server that reads `argv[3]` bytes, says their SHA-256 and the name the client asked for, then
/// sends `argv[4]` bytes of the same pattern as the test's (seed 7) and ends with a `close_notify`.
const PY_TLS_SERVER: &str = r#"
import hashlib, socket, ssl, sys
want, reply = int(sys.argv[3]), int(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
names = []
ctx.sni_callback = lambda sock, name, c: names.append(name)
listener = socket.create_server(("127.0.0.1", 0))
print("PORT", listener.getsockname()[1], flush=True)
raw, _ = listener.accept()
raw.settimeout(20)
conn = ctx.wrap_socket(raw, server_side=True)
got = bytearray()
while len(got) < want:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
print("SNI", names[0] if names else "-", flush=True)
print("GOT", len(got), hashlib.sha256(got).hexdigest(), flush=True)
conn.sendall(bytes(((i * 31) ^ (i >> 8)) & 0xFF ^ 7 for i in range(reply)))
conn.unwrap()
"#;

#[test]
fn a_plain_device_and_a_python_tls_server_talk_byte_exact_through_the_relay() {
    const UP: usize = 1 << 20;
    const DOWN: usize = 768 << 10;
    let pki = Pki::new("Cloud");
    let leaf = pki.good();
    let (_python, mut out) = Python::spawn(
        PY_TLS_SERVER,
        &[
            leaf.cert.to_str().unwrap(),
            leaf.key.to_str().unwrap(),
            &UP.to_string(),
            &DOWN.to_string(),
        ],
        pki.dir.path(),
    );
    let port: u16 = line_after(&mut out, "PORT ").parse().unwrap();
    let mut config = relay_to(SocketAddr::from(([127, 0, 0, 1], port)), common::WAIT);
    config.tls_connect = Some(TlsConnect {
        verify: TlsVerify::CaFile(pki.ca.clone()),
        server_name: Some("localhost".to_owned()),
    });
    let running = start(config);
    let relay = listening(&running.session);
    let mut device = client(relay);
    let up = pattern(UP, 0);
    device.write_all(&up).unwrap();
    assert_eq!(line_after(&mut out, "SNI "), "localhost");
    assert_eq!(
        line_after(&mut out, "GOT "),
        format!("{UP} {}", hex_sha256(&up))
    );
    assert_eq!(read_n(&mut device, DOWN), pattern(DOWN, 7));

    // The record: the handshake of the server side, verified, and every byte each way as plaintext.
    // What the device sends is read from the start, even before the target's handshake finished.
    let (device_peer, server_peer, _) = common::connecting(&running.session);
    let mut established = None;
    let (mut from_device, mut from_server) = (Vec::new(), Vec::new());
    wait_for(
        &running.session,
        "the handshake and every byte as rows",
        |event| {
            match event {
                Event::TlsEstablished { peer, info, .. } => {
                    established = Some((*peer, TlsInfo::clone(info)));
                }
                Event::Data {
                    peer,
                    dir: Direction::Rx,
                    bytes,
                    ..
                } if *peer == device_peer => from_device.extend_from_slice(bytes),
                Event::Data {
                    peer,
                    dir: Direction::Rx,
                    bytes,
                    ..
                } if *peer == server_peer => from_server.extend_from_slice(bytes),
                _ => {}
            }
            let all = from_device.len() == UP && from_server.len() == DOWN;
            (established.is_some() && all).then_some(())
        },
    );
    assert!(from_device == up && from_server == pattern(DOWN, 7));
    let (tls_peer, info) = established.unwrap();
    assert_eq!(tls_peer, server_peer);
    assert!(info.verified);
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert_eq!(
        info.certificate.unwrap().sha256.to_vec(),
        Sha256::digest(&leaf.der).to_vec()
    );
}

/// A TLS client that trusts `argv[2]`, sends `argv[3]` bytes of the test's pattern (seed 0) to the
/// relay at port `argv[1]` as `localhost`, reads as many back and says whether they are the same.
const PY_TLS_CLIENT: &str = r#"
import socket, ssl, sys
port, count = int(sys.argv[1]), int(sys.argv[3])
ctx = ssl.create_default_context(cafile=sys.argv[2])
raw = socket.create_connection(("127.0.0.1", port), timeout=20)
conn = ctx.wrap_socket(raw, server_hostname="localhost")
print("VERSION", conn.version(), flush=True)
sent = bytes(((i * 31) ^ (i >> 8)) & 0xFF for i in range(count))
conn.sendall(sent)
got = bytearray()
while len(got) < count:
    chunk = conn.recv(65536)
    if not chunk:
        break
    got += chunk
print("ECHOED", len(got), got == sent, flush=True)
conn.unwrap()
"#;

/// A relay to `target`, TLS toward its devices with a self-signed certificate saved in `dir` (whose
/// certificate file is returned, for a device to trust), and where it listens.
fn tls_device_relay(target: SocketAddr, dir: &Path) -> (Running, std::path::PathBuf, SocketAddr) {
    let (cert, key) = (dir.join("relay.cert.pem"), dir.join("relay.key.pem"));
    let mut config = relay_to(target, common::WAIT);
    config.tls_accept = Some(TlsAccept::new(TlsIdentity::SelfSigned {
        save: Some((cert.clone(), key)),
    }));
    let running = start(config);
    let relay = listening(&running.session);
    (running, cert, relay)
}

/// Echoes the first connection `echo` accepts until its FIN; how many bytes it echoed.
fn echo_one(echo: TcpListener) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let (mut stream, _) = echo.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut buf = vec![0; 65536];
        let mut echoed = 0;
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            stream.write_all(&buf[..n]).unwrap();
            echoed += n;
        }
        echoed
    })
}

#[test]
fn a_python_tls_device_and_a_plain_echo_server_talk_through_the_relay() {
    const COUNT: usize = 200_000;
    let echo = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = echo.local_addr().unwrap();
    let echoing = echo_one(echo);
    let dir = tempfile::tempdir().unwrap();
    let (running, cert, relay) = tls_device_relay(target, dir.path());
    let shown = wait_for(
        &running.session,
        "the relay's certificate",
        |event| match event {
            Event::TlsCertificate { certificate, .. } => Some(certificate.sha256),
            _ => None,
        },
    );
    let (_python, mut out) = Python::spawn(
        PY_TLS_CLIENT,
        &[
            &relay.port().to_string(),
            cert.to_str().unwrap(),
            &COUNT.to_string(),
        ],
        dir.path(),
    );
    assert_eq!(line_after(&mut out, "VERSION "), "TLSv1.3");
    assert_eq!(line_after(&mut out, "ECHOED "), format!("{COUNT} True"));
    // The device's handshake finishes before the target is connected to.
    let (tls_peer, info) = wait_for(&running.session, "TLS established", |event| match event {
        Event::TlsEstablished { peer, info, .. } => Some((*peer, TlsInfo::clone(info))),
        _ => None,
    });
    let (device_peer, server_peer, _) = common::connecting(&running.session);
    assert_eq!(tls_peer, device_peer);
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    // The certificate the device was shown is the one saved, which the device trusted.
    let pem = std::fs::read_to_string(&cert).unwrap();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes())
        .map(|der: rustls::pki_types::CertificateDer| der.to_vec())
        .unwrap();
    assert_eq!(shown.to_vec(), Sha256::digest(&der).to_vec());
    let (mut from_device, mut from_server) = (0, 0);
    wait_for(&running.session, "both directions' rows", |event| {
        if let Event::Data {
            peer,
            dir: Direction::Rx,
            bytes,
            ..
        } = event
        {
            if *peer == device_peer {
                from_device += bytes.len();
            } else if *peer == server_peer {
                from_server += bytes.len();
            }
        }
        (from_device == COUNT && from_server == COUNT).then_some(())
    });
    // The device's close_notify and FIN reach the echo server as a FIN.
    assert_eq!(echoing.join().unwrap(), COUNT);
}

/// Every event until both `peers` closed, in order.
fn until_closed(running: &Running, peers: [PeerId; 2]) -> Vec<Event> {
    let mut seen = Vec::new();
    let mut open = peers.to_vec();
    wait_for(&running.session, "both sides closed", |event| {
        seen.push(event.clone());
        if let Event::Closed { peer, .. } = event {
            open.retain(|p| p != peer);
        }
        open.is_empty().then_some(())
    });
    seen
}

/// The TLS failure a close reason carries.
fn tls_failure(reason: &CloseReason) -> TlsFailure {
    match reason {
        CloseReason::Error(error) => *error.tls.clone().unwrap(),
        other => panic!("not a TLS failure: {other:?}"),
    }
}

/// A TLS server that takes the connection, and starts its handshake only when told on its input (so
/// what the device sends meanwhile is surely read by the relay first); it says how its handshake ended.
const PY_LATE_TLS_SERVER: &str = r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
print("PORT", listener.getsockname()[1], flush=True)
raw, _ = listener.accept()
raw.settimeout(20)
sys.stdin.readline()
try:
    ctx.wrap_socket(raw, server_side=True)
    print("HANDSHAKE done", flush=True)
except ssl.SSLError as e:
    print("HANDSHAKE", e.reason, flush=True)
"#;

#[test]
fn a_target_whose_certificate_is_refused_resets_the_device_and_says_why() {
    let pki = Pki::new("Untrusted");
    let leaf = pki.good();
    let (mut python, mut out) = Python::spawn(
        PY_LATE_TLS_SERVER,
        &[leaf.cert.to_str().unwrap(), leaf.key.to_str().unwrap()],
        pki.dir.path(),
    );
    let port: u16 = line_after(&mut out, "PORT ").parse().unwrap();
    let target = SocketAddr::from(([127, 0, 0, 1], port));
    // Another CA's: the target's certificate is not signed by an authority the relay trusts.
    let trusted = Pki::new("Trusted");
    let mut config = relay_to(target, common::WAIT);
    config.tls_connect = Some(TlsConnect {
        verify: TlsVerify::CaFile(trusted.ca.clone()),
        server_name: None,
    });
    let running = start(config);
    let mut device = client(listening(&running.session));
    device.write_all(b"hello cloud\n").unwrap();
    let (device_peer, server_peer, _) = common::connecting(&running.session);
    // What the device sent is read (its row) and waits for the target's handshake.
    let read = common::data(&running.session, device_peer, Direction::Rx, 12);
    assert_eq!(read, b"hello cloud\n");
    python.say("go");
    let events = until_closed(&running, [device_peer, server_peer]);
    let failed = close_reason(&events, server_peer);
    assert_eq!(tls_failure(&failed), TlsFailure::UnknownIssuer);
    assert_eq!(
        close_reason(&events, device_peer),
        CloseReason::PartnerReset(server_peer)
    );
    // It never reached the target: a row says so. The target heard why from the relay's alert.
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Unsent { peer, bytes: 12, .. } if *peer == server_peer
    )));
    assert_eq!(line_after(&mut out, "HANDSHAKE "), "TLSV1_ALERT_UNKNOWN_CA");
    // The device sees the reset; `why?` names the certificate on the target's side in both languages.
    let mut rest = Vec::new();
    assert_eq!(
        device.read_to_end(&mut rest).unwrap_err().kind(),
        std::io::ErrorKind::ConnectionReset
    );
    let why = explain(&failed).unwrap();
    assert!(
        why.text(Lang::En).contains("certificate"),
        "{}",
        why.text(Lang::En)
    );
    assert!(
        why.text(Lang::Zh).contains("证书"),
        "{}",
        why.text(Lang::Zh)
    );
    let message = tls_failure(&failed).text(&target.to_string(), Lang::Zh);
    assert!(message.contains(&target.to_string()), "{message}");
}

#[test]
fn a_target_that_never_answers_the_greeting_ends_the_pair_after_the_time_out() {
    // A plain server that waits for a line before it says anything.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = silent.local_addr().unwrap();
    let waiting = std::thread::spawn(move || {
        let (mut stream, _) = silent.accept().unwrap();
        stream.set_read_timeout(Some(common::WAIT)).unwrap();
        let mut greeting = Vec::new();
        let _ = stream.read_to_end(&mut greeting);
        greeting
    });
    let timeout = Duration::from_millis(300);
    let mut config = relay_to(target, timeout);
    config.tls_connect = Some(TlsConnect {
        verify: TlsVerify::AcceptAny,
        server_name: None,
    });
    let running = start(config);
    let _device = client(listening(&running.session));
    let (device_peer, server_peer) = paired(&running);
    let events = until_closed(&running, [device_peer, server_peer]);
    assert_eq!(
        tls_failure(&close_reason(&events, server_peer)),
        TlsFailure::HandshakeTimedOut {
            waited_ms: 300,
            as_server: false
        }
    );
    assert_eq!(
        close_reason(&events, device_peer),
        CloseReason::PartnerReset(server_peer)
    );
    // It did get the relay's greeting: a TLS handshake record.
    assert_eq!(waiting.join().unwrap().first(), Some(&22));
}

/// Every event until `peer` closed, in order.
fn until_device_closed(running: &Running, peer: PeerId) -> Vec<Event> {
    let mut seen = Vec::new();
    wait_for(&running.session, "the device closed", |event| {
        seen.push(event.clone());
        matches!(event, Event::Closed { peer: closed, .. } if *closed == peer).then_some(())
    });
    seen
}

/// The device's id, from its `Connected` event.
fn device_connected(running: &Running) -> PeerId {
    wait_for(&running.session, "the device", |event| match event {
        Event::Connected { peer, .. } => Some(*peer),
        _ => None,
    })
}

/// Asserts that `events` have no connect on to the target.
fn assert_no_connect_on(events: &[Event]) {
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Connecting { .. } | Event::Paired { .. })),
        "{events:?}"
    );
}

/// Whether anything connected to `target` (a listener nobody accepts from).
fn reached(target: &TcpListener) -> bool {
    target.set_nonblocking(true).unwrap();
    target.accept().is_ok()
}

#[test]
fn a_device_that_never_starts_the_handshake_is_closed_at_the_time_out_and_never_reaches_the_target()
{
    // A plain target that would take the connection and wait.
    let target = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = relay_to(target.local_addr().unwrap(), common::WAIT);
    let mut tls = TlsAccept::new(TlsIdentity::SelfSigned { save: None });
    tls.handshake_timeout = Duration::from_millis(300);
    config.tls_accept = Some(tls);
    let running = start(config);
    // A plain device that waits for the relay to speak first.
    let _device = client(listening(&running.session));
    let device_peer = device_connected(&running);
    let events = until_device_closed(&running, device_peer);
    assert_eq!(
        tls_failure(&close_reason(&events, device_peer)),
        TlsFailure::HandshakeTimedOut {
            waited_ms: 300,
            as_server: true
        }
    );
    // The target was never connected to: no event says so, and it has nothing to accept.
    assert_no_connect_on(&events);
    assert!(!reached(&target));
}

#[test]
fn a_plain_device_on_the_tls_side_is_told_why_and_the_target_never_sees_it_then_a_tls_device_pairs()
{
    let echo = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = echo.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (running, cert, relay) = tls_device_relay(target, dir.path());
    // A plain board speaks first, in the clear.
    let mut plain = client(relay);
    plain.write_all(b"Hello 01Studio!\r\n").unwrap();
    let plain_peer = device_connected(&running);
    let events = until_device_closed(&running, plain_peer);
    assert!(
        matches!(
            tls_failure(&close_reason(&events, plain_peer)),
            TlsFailure::PlainClient { .. }
        ),
        "{events:?}"
    );
    assert_no_connect_on(&events);
    assert!(!reached(&echo));
    // A TLS device after it: the target's first connection is this device's.
    echo.set_nonblocking(false).unwrap();
    let echoing = echo_one(echo);
    let (_python, mut out) = Python::spawn(
        PY_TLS_CLIENT,
        &[&relay.port().to_string(), cert.to_str().unwrap(), "1000"],
        dir.path(),
    );
    assert_eq!(line_after(&mut out, "ECHOED "), "1000 True");
    // Its handshake came first, then the connect on.
    let device_peer = wait_for(&running.session, "TLS established", |event| match event {
        Event::TlsEstablished { peer, .. } => Some(*peer),
        _ => None,
    });
    let (connecting_for, _, _) = common::connecting(&running.session);
    assert_eq!(connecting_for, device_peer);
    assert_eq!(echoing.join().unwrap(), 1000);
}

#[test]
fn a_tls_devices_first_bytes_come_after_the_connect_on_so_their_row_names_the_pair() {
    // Several runs: the first plaintext often comes in the same read as the handshake's end.
    for _ in 0..5 {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let target = echo.local_addr().unwrap();
        let echoing = echo_one(echo);
        let dir = tempfile::tempdir().unwrap();
        let (running, cert, relay) = tls_device_relay(target, dir.path());
        let (_python, mut out) = Python::spawn(
            PY_TLS_CLIENT,
            &[&relay.port().to_string(), cert.to_str().unwrap(), "64"],
            dir.path(),
        );
        let mut connecting = false;
        wait_for(&running.session, "the device's first bytes", |event| {
            match event {
                Event::Connecting { .. } => connecting = true,
                Event::Data {
                    dir: Direction::Rx, ..
                } => {
                    assert!(
                        connecting,
                        "a device's bytes before its connect on: {event:?}"
                    );
                    return Some(());
                }
                _ => {}
            }
            None
        });
        assert_eq!(line_after(&mut out, "ECHOED "), "64 True");
        assert_eq!(echoing.join().unwrap(), 64);
    }
}
