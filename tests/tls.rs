//! TLS on loopback: the client against Python's `ssl` and `openssl s_server`, the server against Python's
//! `ssl` and `openssl s_client`, each handshake failure explained, plain TCP on either side of a TLS one,
//! and a thousand TLS clients on the server's one worker.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "tls/peer.rs"]
mod peer;
#[path = "tls/pki.rs"]
mod pki;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{Running, WAIT, connected, data, start, wait_for};
use netassist::engine::{
    CloseReason, Command, Direction, Event, Mode, PeerId, SessionConfig, Side, Target, TlsAccept,
    TlsClose, TlsConnect, TlsFailure, TlsIdentity, TlsInfo, TlsVerify,
};
use peer::{Peer, line_after};
use pki::Pki;

fn server_config(identity: TlsIdentity) -> SessionConfig {
    let mut config = SessionConfig::new(Mode::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_clients: None,
    });
    config.tls_accept = Some(TlsAccept::new(identity));
    config
}

fn files(leaf: &pki::Leaf) -> TlsIdentity {
    TlsIdentity::Files {
        cert: leaf.cert.clone(),
        key: leaf.key.clone(),
    }
}

/// A TLS server session (echoing when `echo`) and its address.
fn tls_server(identity: TlsIdentity, echo: bool) -> (Running, SocketAddr) {
    let running = start(server_config(identity).with_echo(echo));
    let addr = common::listening(&running.session);
    (running, addr)
}

fn client_config(host: &str, port: u16, verify: TlsVerify, timeout: Duration) -> SessionConfig {
    let mut config = SessionConfig::new(Mode::TcpClient {
        host: host.to_owned(),
        port,
        local: None,
        timeout,
    });
    config.tls_connect = Some(TlsConnect {
        verify,
        server_name: None,
    });
    config
}

fn tls_client(host: &str, port: u16, verify: TlsVerify) -> Running {
    start(client_config(host, port, verify, WAIT))
}

fn established(running: &Running) -> (PeerId, TlsInfo) {
    wait_for(&running.session, "TLS established", |e| match e {
        Event::TlsEstablished { peer, info, .. } => Some((*peer, (**info).clone())),
        _ => None,
    })
}

/// The TLS failure that closed a connection of the session.
fn failure(running: &Running) -> TlsFailure {
    wait_for(&running.session, "a close by a TLS failure", |e| match e {
        Event::Closed {
            reason: CloseReason::Error(error),
            ..
        } => Some(
            *error
                .tls
                .clone()
                .unwrap_or_else(|| panic!("not a TLS failure: {error}")),
        ),
        Event::TlsEstablished { .. } => panic!("the handshake should have failed"),
        _ => None,
    })
}

fn half_closed(running: &Running, side: Side) -> Option<TlsClose> {
    wait_for(&running.session, "a half-close", |e| match e {
        Event::HalfClosed { side: s, tls, .. } if *s == side => Some(*tls),
        _ => None,
    })
}

fn sha256(der: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(der).into()
}

const PY_SERVER: &str = r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
print("PORT", listener.getsockname()[1], flush=True)
raw, _ = listener.accept()
raw.settimeout(10)
conn = ctx.wrap_socket(raw, server_side=True)
conn.sendall(b"hello from python\n")
got = b""
while not got.endswith(b"bye\n"):
    chunk = conn.recv(4096)
    if not chunk:
        break
    got += chunk
conn.sendall(b"you said " + got)
if sys.argv[3] == "close_notify":
    conn.unwrap()
else:
    conn.shutdown(socket.SHUT_WR)
raw.recv(1)
"#;

fn python_server(pki: &Pki, leaf: &pki::Leaf, end: &str) -> (Peer, u16) {
    let (peer, mut out) = Peer::spawn(
        "python3",
        &[
            "-c",
            PY_SERVER,
            leaf.cert.to_str().unwrap(),
            leaf.key.to_str().unwrap(),
            end,
        ],
        pki.dir.path(),
    );
    let port = line_after(&mut out, "PORT ").parse().unwrap();
    (peer, port)
}

#[test]
fn the_client_verifies_a_python_ssl_server_shows_its_certificate_and_sees_plaintext() {
    let pki = Pki::new("Python");
    let leaf = pki.good();
    let (_python, port) = python_server(&pki, &leaf, "close_notify");
    let client = tls_client("127.0.0.1", port, TlsVerify::CaFile(pki.ca.clone()));
    let (peer, info) = established(&client);
    assert_eq!(info.version, "TLS 1.3");
    // By the IANA name, as openssl and Wireshark show it.
    assert!(
        [
            "TLS_AES_256_GCM_SHA384",
            "TLS_AES_128_GCM_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
        .contains(&info.cipher_suite.as_str()),
        "{}",
        info.cipher_suite
    );
    // An IP address is sent no SNI and is checked against the certificate's IP addresses.
    assert_eq!(info.server_name, None);
    assert!(info.verified);
    let certificate = info.certificate.expect("the server's certificate");
    assert_eq!(certificate.sha256, sha256(&leaf.der));
    assert!(
        certificate.subject.contains("good leaf"),
        "{}",
        certificate.subject
    );
    assert!(
        certificate.issuer.contains("Python CA"),
        "{}",
        certificate.issuer
    );
    assert!(certificate.names.contains(&"IP:127.0.0.1".to_owned()));
    assert_eq!(
        certificate.not_after,
        std::time::SystemTime::from(rcgen::date_time_ymd(2090, 1, 1))
    );
    // The log sees the application data, not records.
    let hello = data(&client.session, peer, Direction::Rx, 18);
    assert_eq!(hello, b"hello from python\n");
    client.session.send(Command::Send {
        to: Target::Default,
        bytes: Bytes::from_static(b"ping bye\n"),
    });
    let sent = data(&client.session, peer, Direction::Tx, 9);
    assert_eq!(sent, b"ping bye\n");
    let answer = data(&client.session, peer, Direction::Rx, 18);
    assert_eq!(answer, b"you said ping bye\n");
    assert_eq!(
        half_closed(&client, Side::Peer),
        Some(TlsClose::CloseNotify)
    );
}

#[test]
fn a_fin_without_close_notify_is_reported_as_a_truncation() {
    let pki = Pki::new("Truncating");
    let leaf = pki.good();
    let (_python, port) = python_server(&pki, &leaf, "fin");
    let client = tls_client("localhost", port, TlsVerify::CaFile(pki.ca.clone()));
    let (peer, info) = established(&client);
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    data(&client.session, peer, Direction::Rx, 18);
    client.session.send(Command::Send {
        to: Target::Default,
        bytes: Bytes::from_static(b"bye\n"),
    });
    assert_eq!(half_closed(&client, Side::Peer), Some(TlsClose::Truncated));
}

#[test]
fn the_client_talks_to_openssl_s_server() {
    let pki = Pki::new("OpenSSL");
    let leaf = pki.good();
    let (mut server, mut out) = Peer::spawn(
        "openssl",
        &[
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            leaf.cert.to_str().unwrap(),
            "-key",
            leaf.key.to_str().unwrap(),
            "-tls1_2",
        ],
        pki.dir.path(),
    );
    let port: u16 = line_after(&mut out, "ACCEPT 127.0.0.1:").parse().unwrap();
    let client = tls_client("127.0.0.1", port, TlsVerify::CaFile(pki.ca.clone()));
    let (peer, info) = established(&client);
    assert_eq!(info.version, "TLS 1.2");
    assert!(
        info.cipher_suite.starts_with("TLS_ECDHE_"),
        "{}",
        info.cipher_suite
    );
    client.session.send(Command::Send {
        to: Target::Default,
        bytes: Bytes::from_static(b"to openssl\n"),
    });
    data(&client.session, peer, Direction::Tx, 11);
    // s_server prints what it receives and sends what it reads from its input.
    line_after(&mut out, "to openssl");
    let stdin = server.0.stdin.as_mut().unwrap();
    stdin.write_all(b"from openssl\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(
        data(&client.session, peer, Direction::Rx, 13),
        b"from openssl\n"
    );
}

const PY_CLIENT: &str = r#"
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
conn = ctx.wrap_socket(raw, server_hostname="localhost")
print("VERSION", conn.version(), flush=True)
conn.sendall(b"ping\n")
got = b""
while len(got) < 5:
    got += conn.recv(4096)
print("GOT", got.decode().strip(), flush=True)
conn.unwrap()
print("DONE", flush=True)
"#;

#[test]
fn a_self_signed_server_saves_its_certificate_and_serves_a_python_ssl_client_that_trusts_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("server.pem"), dir.path().join("server.key"));
    let (server, addr) = tls_server(
        TlsIdentity::SelfSigned {
            save: Some((cert.clone(), key.clone())),
        },
        true,
    );
    let shown = wait_for(&server.session, "the server's certificate", |e| match e {
        Event::TlsCertificate { certificate, .. } => Some(certificate.clone()),
        _ => None,
    });
    let saved = std::fs::read(&cert).unwrap();
    let der = rustls_pemfile_der(&saved);
    assert_eq!(shown.sha256, sha256(&der));
    assert_eq!(shown.subject, shown.issuer);
    let (_python, mut out) = Peer::spawn(
        "python3",
        &[
            "-c",
            PY_CLIENT,
            &addr.port().to_string(),
            cert.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (peer, info) = established(&server);
    assert_eq!(info.server_name.as_deref(), Some("localhost"));
    assert_eq!(info.certificate, None);
    assert_eq!(data(&server.session, peer, Direction::Rx, 5), b"ping\n");
    assert_eq!(line_after(&mut out, "VERSION "), "TLSv1.3");
    assert_eq!(line_after(&mut out, "GOT "), "ping");
    assert_eq!(
        half_closed(&server, Side::Peer),
        Some(TlsClose::CloseNotify)
    );
    line_after(&mut out, "DONE");
    drop(server);
    // A second server with the same files presents the same certificate.
    let (again, _) = tls_server(
        TlsIdentity::SelfSigned {
            save: Some((cert, key)),
        },
        false,
    );
    let reused = wait_for(&again.session, "the certificate again", |e| match e {
        Event::TlsCertificate { certificate, .. } => Some(certificate.sha256),
        _ => None,
    });
    assert_eq!(reused, shown.sha256);
}

/// The DER of the first certificate in a PEM file.
fn rustls_pemfile_der(pem: &[u8]) -> Vec<u8> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .next()
        .unwrap()
        .unwrap()
        .to_vec()
}

#[test]
fn the_server_serves_openssl_s_client_and_our_half_close_is_close_notify_then_fin() {
    let pki = Pki::new("Server");
    let leaf = pki.good();
    let (server, addr) = tls_server(files(&leaf), true);
    let (mut client, mut out) = Peer::spawn(
        "openssl",
        &[
            "s_client",
            "-connect",
            &addr.to_string(),
            "-CAfile",
            pki.ca.to_str().unwrap(),
            "-verify_return_error",
            "-servername",
            "localhost",
            "-quiet",
        ],
        pki.dir.path(),
    );
    let (peer, info) = established(&server);
    assert_eq!(info.version, "TLS 1.3");
    let stdin = client.0.stdin.as_mut().unwrap();
    stdin.write_all(b"echo me\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(data(&server.session, peer, Direction::Rx, 8), b"echo me\n");
    assert_eq!(data(&server.session, peer, Direction::Tx, 8), b"echo me\n");
    line_after(&mut out, "echo me");
    server.session.send(Command::HalfClose(peer));
    assert_eq!(
        half_closed(&server, Side::Local),
        Some(TlsClose::CloseNotify)
    );
    // s_client ends at our close_notify, and its end reaches us.
    wait_for(&server.session, "the client's end", |e| {
        matches!(e, Event::Closed { peer: p, .. } if *p == peer).then_some(())
    });
}

#[test]
fn certificate_failures_are_named_by_the_client_and_the_refusal_by_the_server() {
    let pki = Pki::new("Failures");
    let other = Pki::new("Other");
    let cases = [
        (pki.leaf("expired", &["127.0.0.1"], 2000, 2001), "expired"),
        (pki.leaf("future", &["127.0.0.1"], 2080, 2090), "future"),
        (
            pki.leaf("wrong-name", &["board.example"], 2020, 2090),
            "name",
        ),
        (other.good(), "issuer"),
    ];
    for (leaf, what) in &cases {
        let (server, addr) = tls_server(files(leaf), false);
        let client = tls_client("127.0.0.1", addr.port(), TlsVerify::CaFile(pki.ca.clone()));
        let got = failure(&client);
        match *what {
            "expired" => assert!(
                matches!(got, TlsFailure::Expired { not_after: Some(t) }
                    if t == std::time::SystemTime::from(rcgen::date_time_ymd(2001, 1, 1))),
                "{got:?}"
            ),
            "future" => assert!(matches!(got, TlsFailure::NotYetValid { .. }), "{got:?}"),
            "name" => assert_eq!(
                got,
                TlsFailure::NameMismatch {
                    expected: "127.0.0.1".to_owned(),
                    presented: Some(vec!["DNS:board.example".to_owned()]),
                }
            ),
            _ => assert_eq!(got, TlsFailure::UnknownIssuer),
        }
        // The server learns why from the client's alert.
        let refused = failure(&server);
        assert!(
            matches!(refused, TlsFailure::CertificateRefused { .. }),
            "{what}: {refused:?}"
        );
    }
    // Accepting any certificate lets the unknown issuer through, and says it was not verified.
    let (_server, addr) = tls_server(files(&cases[3].0), false);
    let client = tls_client("127.0.0.1", addr.port(), TlsVerify::AcceptAny);
    let (_, info) = established(&client);
    assert!(!info.verified);
    assert_eq!(info.certificate.unwrap().sha256, sha256(&cases[3].0.der));
}

#[test]
fn a_self_signed_server_is_an_unknown_issuer_to_the_system_roots() {
    let (_server, addr) = tls_server(TlsIdentity::SelfSigned { save: None }, false);
    let client = tls_client("localhost", addr.port(), TlsVerify::SystemRoots);
    assert_eq!(failure(&client), TlsFailure::UnknownIssuer);
}

#[test]
fn no_common_version_or_cipher_is_named_on_either_side() {
    let pki = Pki::new("Versions");
    let leaf = pki.good();
    // An old peer: TLS 1.1 only (OpenSSL allows it at security level 0).
    let (_old, mut out) = Peer::spawn(
        "openssl",
        &[
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            leaf.cert.to_str().unwrap(),
            "-key",
            leaf.key.to_str().unwrap(),
            "-tls1_1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
        ],
        pki.dir.path(),
    );
    let port: u16 = line_after(&mut out, "ACCEPT 127.0.0.1:").parse().unwrap();
    let client = tls_client("127.0.0.1", port, TlsVerify::CaFile(pki.ca.clone()));
    assert_eq!(failure(&client), TlsFailure::NoCommonVersion);

    let (server, addr) = tls_server(files(&leaf), false);
    for (args, want) in [
        (
            &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"][..],
            TlsFailure::NoCommonVersion,
        ),
        (
            &["-tls1_2", "-cipher", "AES128-SHA"][..],
            TlsFailure::NoCommonCipher,
        ),
    ] {
        let mut all = vec!["s_client", "-connect"];
        let target = addr.to_string();
        all.push(&target);
        all.extend_from_slice(args);
        let (_client, _) = Peer::spawn("openssl", &all, pki.dir.path());
        assert_eq!(failure(&server), want, "{args:?}");
    }
}

#[test]
fn a_server_that_wants_a_client_certificate_is_named_as_far_as_its_alert_tells() {
    let pki = Pki::new("Mutual");
    let leaf = pki.good();
    for (version, want) in [
        ("-tls1_2", TlsFailure::HandshakeRefused),
        ("-tls1_3", TlsFailure::ClientCertificateRequired),
    ] {
        let (_server, mut out) = Peer::spawn(
            "openssl",
            &[
                "s_server",
                "-accept",
                "127.0.0.1:0",
                "-cert",
                leaf.cert.to_str().unwrap(),
                "-key",
                leaf.key.to_str().unwrap(),
                "-CAfile",
                pki.ca.to_str().unwrap(),
                "-Verify",
                "1",
                "-verify_return_error",
                version,
            ],
            pki.dir.path(),
        );
        let port: u16 = line_after(&mut out, "ACCEPT 127.0.0.1:").parse().unwrap();
        let client = tls_client("127.0.0.1", port, TlsVerify::CaFile(pki.ca.clone()));
        // A TLS 1.3 client counts its handshake done before the server has checked it, so "TLS
        // established" may come first here.
        let got = wait_for(&client.session, "a close by a TLS failure", |e| match e {
            Event::Closed {
                reason: CloseReason::Error(error),
                ..
            } => Some(error.tls.clone().map(|failure| *failure)),
            _ => None,
        });
        assert_eq!(got, Some(want), "{version}");
    }
}

#[test]
fn a_plain_server_is_named_by_what_it_sent_and_an_echo_server_by_our_greeting() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = tls_client("127.0.0.1", port, TlsVerify::AcceptAny);
    let (mut board, _) = listener.accept().unwrap();
    board.write_all(b"220 board ready\r\n").unwrap();
    let got = failure(&client);
    assert_eq!(
        got,
        TlsFailure::PlainServer {
            first: b"220 board ready\r".to_vec()
        }
    );
    let message = got.text("127.0.0.1:1", netassist::i18n::Lang::En);
    assert!(
        message.contains("answered with plain bytes (\"220 board ready.\""),
        "{message}"
    );

    let client = tls_client("127.0.0.1", port, TlsVerify::AcceptAny);
    let (mut echo, _) = listener.accept().unwrap();
    echo.set_read_timeout(Some(WAIT)).unwrap();
    let mut hello = [0; 512];
    let n = echo.read(&mut hello).unwrap();
    echo.write_all(&hello[..n]).unwrap();
    assert_eq!(failure(&client), TlsFailure::EchoedHello);

    // A server that says nothing and waits: the handshake times out.
    let client = start(client_config(
        "127.0.0.1",
        port,
        TlsVerify::AcceptAny,
        Duration::from_millis(300),
    ));
    let (_silent, _) = listener.accept().unwrap();
    assert_eq!(
        failure(&client),
        TlsFailure::HandshakeTimedOut {
            waited_ms: 300,
            as_server: false
        }
    );
}

#[test]
fn a_silent_client_of_a_tls_server_is_closed_at_the_handshake_time_out() {
    let mut config = server_config(TlsIdentity::SelfSigned { save: None });
    if let Some(tls) = &mut config.tls_accept {
        tls.handshake_timeout = Duration::from_millis(300);
    }
    let server = start(config);
    let addr = common::listening(&server.session);
    let started = Instant::now();
    let mut silent = TcpStream::connect(addr).unwrap();
    connected(&server.session);
    assert_eq!(
        failure(&server),
        TlsFailure::HandshakeTimedOut {
            waited_ms: 300,
            as_server: true
        }
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    // The client sees its connection end.
    silent.set_read_timeout(Some(WAIT)).unwrap();
    let mut rest = Vec::new();
    let _ = silent.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
    let message = TlsFailure::HandshakeTimedOut {
        waited_ms: 300,
        as_server: true,
    }
    .text("127.0.0.1:5", netassist::i18n::Lang::Zh);
    assert!(message.contains("客户端 127.0.0.1:5"), "{message}");
}

#[test]
fn a_plain_client_of_a_tls_server_is_named_with_its_first_bytes() {
    let (server, addr) = tls_server(TlsIdentity::SelfSigned { save: None }, true);
    let mut plain = TcpStream::connect(addr).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    connected(&server.session);
    assert_eq!(
        failure(&server),
        TlsFailure::PlainClient {
            first: b"GET / HTTP/1.1\r\n".to_vec()
        }
    );
    // No data row: those bytes were never application data.
    plain.set_read_timeout(Some(WAIT)).unwrap();
    let mut rest = Vec::new();
    let _ = plain.read_to_end(&mut rest);
    assert!(!rest.starts_with(b"GET"), "nothing was echoed");
    let _ = plain.shutdown(Shutdown::Both);
}

/// A blocking rustls client that trusts any certificate, for the many-clients test.
fn any_certificate() -> Arc<rustls::ClientConfig> {
    #[derive(Debug)]
    struct Any(Arc<rustls::crypto::CryptoProvider>);
    impl rustls::client::danger::ServerCertVerifier for Any {
        fn verify_server_cert(
            &self,
            _: &rustls::pki_types::CertificateDer<'_>,
            _: &[rustls::pki_types::CertificateDer<'_>],
            _: &rustls::pki_types::ServerName<'_>,
            _: &[u8],
            _: rustls::pki_types::UnixTime,
        ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &rustls::pki_types::CertificateDer<'_>,
            d: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &rustls::pki_types::CertificateDer<'_>,
            d: &rustls::DigitallySignedStruct,
        ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                m,
                c,
                d,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Any(provider)))
            .with_no_client_auth(),
    )
}

#[test]
fn a_thousand_tls_clients_on_one_worker() {
    const CLIENTS: usize = 1000;
    let started = Instant::now();
    let (server, addr) = tls_server(TlsIdentity::SelfSigned { save: None }, true);
    let config = any_certificate();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    // Every client connects, finishes its handshake and is echoed, and all stay open at once.
    let mut clients = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        let conn = rustls::ClientConnection::new(config.clone(), name.clone()).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let message = format!("client {i}\n");
        tls.write_all(message.as_bytes()).unwrap();
        let mut echo = vec![0; message.len()];
        tls.read_exact(&mut echo).unwrap();
        assert_eq!(echo, message.as_bytes());
        clients.push(tls);
    }
    let mut established = 0;
    let mut closed = 0;
    wait_for(&server.session, "every handshake", |e| {
        match e {
            Event::TlsEstablished { .. } => established += 1,
            Event::Closed { .. } => closed += 1,
            _ => {}
        }
        (established == CLIENTS).then_some(())
    });
    assert_eq!(closed, 0, "every client is still connected");
    // Each ends with its close_notify; the server sees every one.
    for tls in &mut clients {
        tls.conn.send_close_notify();
        tls.flush().unwrap();
    }
    let mut notified = 0;
    wait_for(&server.session, "every close_notify", |e| {
        if matches!(
            e,
            Event::HalfClosed {
                side: Side::Peer,
                tls: Some(TlsClose::CloseNotify),
                ..
            }
        ) {
            notified += 1;
        }
        (notified == CLIENTS).then_some(())
    });
    assert!(
        started.elapsed() < Duration::from_mins(1),
        "{CLIENTS} TLS clients took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_command_line_runs_a_self_signed_tls_server_and_a_tls_client_that_trusts_its_file() {
    use common::cli::Netassist;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("s.pem"), dir.path().join("s.key"));
    let (cert_text, key_text) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let mut server = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--self-signed",
        "--cert",
        cert_text,
        "--key",
        key_text,
        "--echo",
        "--seconds",
        "8",
    ]);
    let port = server.port();
    let certificate = server.line("the certificate row", |l| l.contains("TLS certificate:"));
    assert!(certificate.contains("SHA-256 "), "{certificate}");
    let connect = format!("localhost:{port}");
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &connect,
        "--ca",
        cert_text,
        "--send",
        "over tls",
        "--half-close",
        "--expect",
        "over tls",
        "--seconds",
        "8",
    ]);
    let ended = client.end();
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    let text = ended.stdout.join("\n");
    assert!(text.contains("TLS established: TLS 1.3"), "{text}");
    assert!(text.contains("SNI localhost"), "{text}");
    assert!(text.contains("; verified"), "{text}");
    assert!(
        text.contains("You finished sending (TLS close_notify, then FIN)"),
        "{text}"
    );
    server.line("the echo row", |l| {
        l.contains("TX") && l.contains("over tls")
    });
}

/// A preset file with one check `c` of `steps`, for `mode` (the address comes on the command line).
fn check_preset(dir: &Path, mode: &str, steps: &str) -> String {
    let path = dir.join(format!("{mode}.ron"));
    std::fs::write(
        &path,
        format!(
            "Preset(version: 4, mode: {mode}, local_ip: \"127.0.0.1\", local_port: \"0\", \
             remote_host: \"127.0.0.1\", remote_port: \"1\", checks: [Check(name: \"c\", steps: \
             [{steps}])])"
        ),
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn a_checks_connect_passes_once_the_handshake_is_done_and_fails_with_its_reason() {
    use common::cli::Netassist;
    let pki = Pki::new("check");
    let (_server, addr) = tls_server(files(&pki.good()), true);
    let preset = check_preset(
        pki.dir.path(),
        "TcpClient",
        r#"Connect(within_ms: 8000), Send(text: "hi"), Expect(matcher: Exact("hi"), within_ms: 5000)"#,
    );
    let connect = addr.to_string();
    let ca = pki.ca.display().to_string();
    let trusted = Netassist::start(&["check", &preset, "--connect", &connect, "--ca", &ca]).end();
    assert_eq!(trusted.code, 0, "{:#?}", trusted.stdout);
    // A server this CA did not sign: the connect step itself fails, at once, with the handshake's
    // reason (not "no connection", not a later step).
    let other = Pki::new("other");
    let ca = other.ca.display().to_string();
    let refused = Netassist::start(&["check", &preset, "--connect", &connect, "--ca", &ca]).end();
    assert_eq!(refused.code, 1, "{:#?}", refused.stdout);
    let failed = refused
        .stdout
        .iter()
        .position(|l| l.contains("FAIL") && l.contains("connect"))
        .unwrap_or_else(|| panic!("{:#?}", refused.stdout));
    let reason = refused.stdout[failed + 1].trim();
    assert!(
        reason.starts_with("TLS") && reason.contains(&connect),
        "{reason}"
    );
    assert!(refused.took < Duration::from_secs(8), "{:?}", refused.took);
}

#[test]
fn a_checks_wait_client_on_a_tls_server_takes_only_a_client_whose_handshake_is_done() {
    use common::cli::Netassist;
    let pki = Pki::new("wait");
    let good = pki.good();
    let preset = check_preset(
        pki.dir.path(),
        "TcpServer",
        r#"WaitClient(within_ms: 8000), Expect(matcher: Contains("hi"), within_ms: 5000)"#,
    );
    let (cert, key) = (
        good.cert.display().to_string(),
        good.key.display().to_string(),
    );
    let mut netassist = Netassist::start(&[
        "check",
        &preset,
        "--bind",
        "127.0.0.1:0",
        "--traffic",
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    let port = netassist.port();
    // A plain client: its handshake fails and the server closes it; it is not the device.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap();
    plain.set_read_timeout(Some(WAIT)).unwrap();
    plain.write_all(b"hi\r\n").unwrap();
    let _ = plain.read_to_end(&mut Vec::new());
    let client = tls_client("127.0.0.1", port, TlsVerify::CaFile(pki.ca.clone()));
    established(&client);
    client.session.send(Command::Send {
        to: Target::Default,
        bytes: Bytes::from_static(b"hi"),
    });
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
}

#[test]
fn a_failed_handshake_exits_3_as_a_refused_connection_does() {
    use common::cli::Netassist;
    let pki = Pki::new("exit");
    let expired = pki.leaf("expired", &["localhost", "127.0.0.1"], 2000, 2001);
    let (_server, addr) = tls_server(files(&expired), true);
    let (connect, ca) = (addr.to_string(), pki.ca.display().to_string());
    let run = |extra: &[&str]| {
        let mut args = vec!["tcp-client", "--connect", &connect, "--seconds", "3"];
        args.extend(extra);
        Netassist::start(&args).end()
    };
    let refused = run(&["--ca", &ca, "--send", "x"]);
    assert_eq!(refused.code, 3, "{:#?}\n{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("TLS"), "{}", refused.stderr);
    // The same server, its certificate accepted: the run went as asked.
    let accepted = run(&["--tls-insecure", "--send", "x"]);
    assert_eq!(
        accepted.code, 0,
        "{:#?}\n{}",
        accepted.stdout, accepted.stderr
    );
}

#[test]
fn bad_tls_files_exit_2_before_the_session_opens_and_write_no_report() {
    use common::cli::Netassist;
    let pki = Pki::new("files");
    let (good, other) = (pki.good(), pki.leaf("other", &["localhost"], 2020, 2090));
    let dir = pki.dir.path();
    let not_pem = dir.join("not.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let text = |path: &Path| path.display().to_string();
    let (cert, key, other_key) = (text(&good.cert), text(&good.key), text(&other.key));
    let (missing, not_pem) = (text(&dir.join("missing.pem")), text(&not_pem));
    let server = |cert: &str, key: &str| {
        vec![
            "tcp-server".to_owned(),
            "--bind".to_owned(),
            "127.0.0.1:0".to_owned(),
            "--cert".to_owned(),
            cert.to_owned(),
            "--key".to_owned(),
            key.to_owned(),
        ]
    };
    let client = |ca: &str| {
        ["tcp-client", "--connect", "127.0.0.1:1", "--ca", ca]
            .map(str::to_owned)
            .to_vec()
    };
    let cases = [
        (server(&missing, &key), "missing.pem"),
        (server(&not_pem, &key), "not.pem"),
        (server(&cert, &not_pem), "not.pem"),
        (server(&cert, &other_key), "does not belong"),
        (client(&missing), "missing.pem"),
        (client(&not_pem), "not.pem"),
    ];
    for (index, (mut args, says)) in cases.into_iter().enumerate() {
        let report = dir.join(format!("report-{index}.md"));
        args.extend(["--seconds", "3", "--report", &text(&report)].map(str::to_owned));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let ended = Netassist::start(&args).end();
        assert_eq!(
            ended.code, 2,
            "{args:?}: {:#?}\n{}",
            ended.stdout, ended.stderr
        );
        assert!(ended.stderr.contains(says), "{args:?}: {}", ended.stderr);
        assert!(
            !ended.stdout.iter().any(|l| l.contains("Session opened")),
            "{:#?}",
            ended.stdout
        );
        assert!(!report.exists(), "{args:?}");
    }
}

#[test]
fn json_lines_carry_the_handshake_the_certificate_and_the_failure_kind() {
    use common::cli::{Netassist, json_lines};
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("s.pem"), dir.path().join("s.key"));
    let (cert_text, key_text) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let mut server = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--self-signed",
        "--cert",
        cert_text,
        "--key",
        key_text,
        "--json",
        "--seconds",
        "8",
    ]);
    let listening = server.line("listening", |l| l.contains("\"listening\""));
    let addr = json_lines(&[listening])[0]["addr"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = server.line("the certificate", |l| l.contains("\"tls_certificate\""));
    let shown = &json_lines(&[shown])[0];
    assert_eq!(shown["addr"], addr.as_str());
    let fingerprint = shown["fingerprint_sha256"].as_str().unwrap().to_owned();
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{shown}");
    assert!(
        shown["subject"].as_str().unwrap().contains("CN="),
        "{shown}"
    );
    assert!(shown["not_before"].as_str().unwrap() < shown["not_after"].as_str().unwrap());

    let port = addr.rsplit(':').next().unwrap();
    let connect = format!("localhost:{port}");
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &connect,
        "--ca",
        cert_text,
        "--json",
        "--send",
        "hi",
        "--half-close",
        "--seconds",
        "8",
    ]);
    let ended = client.end();
    let lines = json_lines(&ended.stdout);
    let established = lines
        .iter()
        .find(|l| l["event"] == "tls_established")
        .unwrap_or_else(|| panic!("{:#?}", ended.stdout));
    assert_eq!(established["version"], "TLS 1.3", "{established}");
    assert!(
        established["cipher_suite"]
            .as_str()
            .unwrap()
            .starts_with("TLS_"),
        "{established}"
    );
    assert_eq!(established["server_name"], "localhost");
    assert_eq!(established["verified"], true);
    assert_eq!(established["fingerprint_sha256"], fingerprint.as_str());
    assert!(established["reason"].as_str().unwrap().contains("TLS 1.3"));

    // Without the CA the certificate is refused: the close names the kind.
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &connect,
        "--tls",
        "--json",
        "--seconds",
        "8",
    ]);
    let ended = client.end();
    let lines = json_lines(&ended.stdout);
    let closed = lines
        .iter()
        .find(|l| l["event"] == "closed")
        .unwrap_or_else(|| panic!("{:#?}", ended.stdout));
    assert_eq!(
        closed["tls_failure"], "unknown_issuer",
        "{:#?}",
        ended.stdout
    );
    drop(server);
}

#[test]
fn what_a_tls_client_sent_before_the_reset_a_write_found_is_recorded_as_plaintext() {
    let mut config = server_config(TlsIdentity::SelfSigned { save: None }).with_echo(true);
    config.max_queue_bytes = 32 << 20;
    let server = start(config);
    let session = &server.session;
    let addr = common::listening(session);
    // A client that reads nothing once its handshake is done, with a small receive buffer.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let tcp = TcpStream::from(socket);
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(any_certificate(), name).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"hi").unwrap();
    let mut echo = [0; 2];
    tls.read_exact(&mut echo).unwrap();
    let (peer, _) = established(&server);
    // More than the socket buffers hold stays queued, and the echo then stops reading the client.
    common::send_taken(session, peer, vec![b'x'; 32 << 20]);
    tls.write_all(b"PEERDATA").unwrap();
    // The client resets; the next write finds it.
    socket2::SockRef::from(&tls.sock)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(tls);
    assert!(session.send(Command::Send {
        to: Target::Peer(peer),
        bytes: Bytes::from_static(b"AAA"),
    }));
    let mut received = Vec::new();
    let reason = wait_for(session, "the close", |e| match e {
        Event::Data {
            peer: p,
            dir: Direction::Rx,
            bytes,
            ..
        } if *p == peer => {
            received.push(bytes.clone());
            None
        }
        Event::Closed {
            peer: p, reason, ..
        } if *p == peer => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(reason, CloseReason::Reset);
    assert_eq!(received, [&b"PEERDATA"[..]], "read before the close");
}
