//! What the record says of TLS connections that did not go as they should, checked against the wire: a
//! plain TCP peer on either side of a TLS one is in the pcapng with the bytes it sent and the close as
//! it went (read back with `tshark`), a FIN in the middle of a TLS record is a certain truncation with
//! the bytes thrown away counted (from Python's `ssl` cutting its own record), a preset's relative
//! certificate files are read beside it wherever NetAssist runs, and a kept self-signed certificate
//! that no longer fits is said and still used.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "tls/peer.rs"]
mod peer;
#[path = "tls/pki.rs"]
mod pki;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use common::cli::{Netassist, json_lines};
use common::{WAIT, server_config, tshark};
use netassist::engine::{
    CertSummary, CloseReason, Event, Expiry, KeptProblem, Mode, SessionConfig, TlsAccept,
    TlsConnect, TlsFailure, TlsIdentity, TlsVerify,
};
use netassist::i18n::Lang;
use netassist::pcap::PcapOptions;
use netassist::session::Controller;
use netassist::traffic::{LogConfig, TrafficLog};
use peer::{Peer, line_after};
use pki::Pki;

/// Runs `controller` until an event for which `pick` says yes; fails after [`WAIT`].
fn until<T>(
    controller: &mut Controller,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        if let Some(found) = controller
            .wait_event(Duration::from_millis(50))
            .and_then(|event| pick(&event))
        {
            return found;
        }
    }
}

/// A session recorded to `file`, started.
fn recorded(config: SessionConfig, file: &Path) -> Controller {
    let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
    controller.start_pcap(file, PcapOptions::default()).unwrap();
    controller.start(config, || {}).unwrap();
    controller
}

/// The session recorded to `file` stopped, and the packets of the file.
fn stopped(mut controller: Controller, file: &Path) -> Vec<Packet> {
    controller.stop(|_| {});
    controller.stop_pcap().unwrap().unwrap();
    packets(file)
}

/// A TLS client session to `127.0.0.1:port`, checking the server's certificate as `verify` says.
fn tls_client(port: u16, verify: TlsVerify) -> SessionConfig {
    let mut config = SessionConfig::new(Mode::TcpClient {
        host: "127.0.0.1".to_owned(),
        port,
        local: None,
        timeout: WAIT,
    });
    config.tls_connect = Some(TlsConnect {
        verify,
        server_name: None,
    });
    config
}

/// The TLS failure that closed the session's connection.
fn failure(controller: &mut Controller) -> TlsFailure {
    until(controller, "a close by a TLS failure", |e| match e {
        Event::Closed {
            reason: CloseReason::Error(error),
            ..
        } => Some(*error.tls.clone().unwrap()),
        Event::Closed { reason, .. } => panic!("closed for {reason:?}"),
        _ => None,
    })
}

/// One TCP packet of a pcapng as tshark reads it.
#[derive(Debug)]
struct Packet {
    from_port: u16,
    payload: Vec<u8>,
    fin: bool,
    rst: bool,
    comment: String,
}

/// Every TCP packet of `file`.
fn packets(file: &Path) -> Vec<Packet> {
    let fields = [
        "tcp.srcport",
        "tcp.payload",
        "tcp.flags.fin",
        "tcp.flags.reset",
        "frame.comment",
    ];
    let mut args = vec!["-T", "fields", "-E", "occurrence=f"];
    for field in fields {
        args.extend(["-e", field]);
    }
    let flag = |text: &str| matches!(text, "1" | "True");
    tshark::read(file, &args)
        .lines()
        .map(|line| {
            let columns: Vec<&str> = line.split('\t').collect();
            Packet {
                from_port: columns[0].parse().unwrap(),
                payload: hex(columns[1]),
                fin: flag(columns[2]),
                rst: flag(columns[3]),
                comment: columns.get(4).copied().unwrap_or_default().to_owned(),
            }
        })
        .collect()
}

fn hex(text: &str) -> Vec<u8> {
    let text = text.replace(':', "");
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// What the plain end of a failed handshake read: everything up to an orderly close (a FIN), which a
/// reset would fail.
fn read_to_orderly_close(stream: &mut TcpStream) -> Vec<u8> {
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .expect("the TLS end closes in order (FIN), not with a reset");
    got
}

/// What `packets` carried from the end on `port`, in order.
fn sent_from(packets: &[Packet], port: u16) -> Vec<u8> {
    packets
        .iter()
        .filter(|p| p.from_port == port)
        .flat_map(|p| p.payload.clone())
        .collect()
}

#[test]
fn a_plain_client_of_a_tls_server_is_in_the_capture_with_its_bytes_and_the_close_it_saw() {
    if !tshark::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-client.pcapng");
    let mut config = server_config("127.0.0.1:0");
    config.tls_accept = Some(TlsAccept::new(TlsIdentity::SelfSigned { save: None }));
    let mut server = recorded(config, &file);
    let addr = until(&mut server, "listening", |e| match e {
        Event::Listening { addr, .. } => Some(*addr),
        _ => None,
    });
    let mut plain = TcpStream::connect(addr).unwrap();
    let client_port = plain.local_addr().unwrap().port();
    plain.write_all(b"hello").unwrap();
    assert_eq!(
        failure(&mut server),
        TlsFailure::PlainClient {
            first: b"hello".to_vec()
        }
    );
    // What went back over the wire: TLS's alert record (content type 21), then a FIN.
    let back = read_to_orderly_close(&mut plain);
    assert_eq!(back.first(), Some(&21), "{back:?}");
    drop(plain);

    let packets = stopped(server, &file);
    let hello: Vec<&Packet> = packets.iter().filter(|p| p.payload == b"hello").collect();
    assert_eq!(hello.len(), 1, "{packets:#?}");
    assert_eq!(hello[0].from_port, client_port);
    assert!(hello[0].comment.starts_with("Not TLS"), "{packets:#?}");
    assert_eq!(sent_from(&packets, addr.port()), back, "{packets:#?}");
    assert!(packets.iter().all(|p| !p.rst), "{packets:#?}");
    let fin = packets
        .iter()
        .find(|p| p.fin && p.from_port == addr.port())
        .unwrap_or_else(|| panic!("{packets:#?}"));
    assert!(fin.comment.contains("sent plain bytes"), "{}", fin.comment);
    assert_eq!(tshark::complaints(&file), Vec::<String>::new());
}

#[test]
fn our_tls_client_of_a_plain_server_is_in_the_capture_with_both_sides_bytes() {
    if !tshark::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-server.pcapng");
    let board = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = board.local_addr().unwrap().port();
    let mut client = recorded(tls_client(port, TlsVerify::AcceptAny), &file);
    let (mut board, _) = board.accept().unwrap();
    board.write_all(b"220 board ready\r\n").unwrap();
    assert_eq!(
        failure(&mut client),
        TlsFailure::PlainServer {
            first: b"220 board ready\r".to_vec()
        }
    );
    // The board got our greeting (a handshake record, 22) and the alert, then a FIN.
    let got = read_to_orderly_close(&mut board);
    assert_eq!(got.first(), Some(&22), "{got:?}");
    drop(board);

    let packets = stopped(client, &file);
    assert_eq!(sent_from(&packets, port), b"220 board ready\r\n");
    let ours: Vec<&Packet> = packets
        .iter()
        .filter(|p| p.from_port != port && !p.payload.is_empty())
        .collect();
    assert_eq!(
        ours.iter()
            .flat_map(|p| p.payload.clone())
            .collect::<Vec<_>>(),
        got,
        "{packets:#?}"
    );
    assert!(
        ours.iter()
            .all(|p| p.comment.starts_with("Raw TLS records NetAssist sent")),
        "{packets:#?}"
    );
    let banner = packets
        .iter()
        .find(|p| p.from_port == port && !p.payload.is_empty());
    assert!(
        banner.unwrap().comment.starts_with("Not TLS"),
        "{packets:#?}"
    );
    assert!(packets.iter().all(|p| !p.rst), "{packets:#?}");
    assert_eq!(tshark::complaints(&file), Vec::<String>::new());
}

/// A TLS server (Python's `ssl` over memory buffers, so it can cut its own records) that sends one
/// whole record, then the first half of the next, then a FIN; prints `PORT` and `CUT`, the bytes of
/// the record it sent.
const CUTTING_SERVER: &str = r#"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", 0))
print("PORT", listener.getsockname()[1], flush=True)
raw, _ = listener.accept()
raw.settimeout(10)
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        raw.sendall(outgoing.read())
        chunk = raw.recv(65536)
        if not chunk:
            sys.exit("closed during the handshake")
        incoming.write(chunk)
tls.write(b"whole\n")
raw.sendall(outgoing.read())
tls.write(b"this record is cut in half\n")
record = outgoing.read()
cut = len(record) // 2
raw.sendall(record[:cut])
print("CUT", cut, flush=True)
raw.shutdown(socket.SHUT_WR)
raw.recv(4096)
"#;

#[test]
fn a_fin_in_the_middle_of_a_record_is_a_certain_truncation_with_its_bytes_counted() {
    let pki = Pki::new("Cutting");
    let leaf = pki.good();
    let (_python, mut out) = Peer::spawn(
        "python3",
        &[
            "-c",
            CUTTING_SERVER,
            leaf.cert.to_str().unwrap(),
            leaf.key.to_str().unwrap(),
        ],
        pki.dir.path(),
    );
    let port = line_after(&mut out, "PORT ");
    let pcap = pki.dir.path().join("cut.pcapng");
    let client = Netassist::start(&[
        "tcp-client",
        "--connect",
        &format!("127.0.0.1:{port}"),
        "--tls-insecure",
        "--json",
        "--pcap",
        pcap.to_str().unwrap(),
        "--seconds",
        "5",
    ]);
    let cut: usize = line_after(&mut out, "CUT ").parse().unwrap();
    let ended = client.end();
    let lines = json_lines(&ended.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "data" && l["hex"] == "77 68 6F 6C 65 0A"),
        "{:#?}",
        ended.stdout
    );
    let half = lines
        .iter()
        .find(|l| l["event"] == "half_closed")
        .unwrap_or_else(|| panic!("{:#?}", ended.stdout));
    assert_eq!(half["tls_close"], "mid_record", "{half}");
    assert_eq!(half["discarded"], cut, "{half}");
    let reason = half["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "closed in the middle of a TLS record: what it sent was cut off, and the {cut} bytes"
        )),
        "{reason}"
    );
    assert!(!reason.contains("may be"), "{reason}");
    if tshark::available() {
        let packets = packets(&pcap);
        let fin = packets
            .iter()
            .find(|p| p.fin && p.from_port.to_string() == port)
            .unwrap_or_else(|| panic!("{packets:#?}"));
        assert_eq!(fin.comment, reason, "{packets:#?}");
    }
}

#[test]
fn a_presets_relative_certificate_files_are_read_beside_it_from_any_folder() {
    let pki = Pki::new("Beside");
    let leaf = pki.good();
    let name = |path: &Path| path.file_name().unwrap().to_str().unwrap().to_owned();
    let preset = pki.dir.path().join("board.ron");
    std::fs::write(
        &preset,
        format!(
            "Preset(version: 4, mode: TcpServer, local_ip: \"127.0.0.1\", local_port: \"0\", \
             tls: (enabled: true, cert_file: \"{}\", key_file: \"{}\"))",
            name(&leaf.cert),
            name(&leaf.key)
        ),
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut server = Netassist::start_in(
        elsewhere.path(),
        &["run", preset.to_str().unwrap(), "--seconds", "5"],
    );
    let port = server.port();
    let certificate = server.line("the certificate row", |l| l.contains("TLS certificate:"));
    assert!(certificate.contains("good leaf"), "{certificate}");
    // A client that trusts the CA completes its handshake with the certificate from the files.
    let client = common::start(tls_client(port, TlsVerify::CaFile(pki.ca.clone())));
    common::wait_for(&client.session, "the handshake", |e| match e {
        Event::TlsEstablished { .. } => Some(()),
        Event::Closed { reason, .. } => panic!("{reason:?}"),
        _ => None,
    });
}

/// The problem a TLS server session says of its kept self-signed pair `(cert, key)` when binding
/// `bind`, after the certificate it presents (the kept one, whose file is left as it was).
fn kept_problem(cert: &Path, key: &Path, bind: &str) -> KeptProblem {
    let before = std::fs::read(cert).unwrap();
    let mut config = server_config(bind);
    config.tls_accept = Some(TlsAccept::new(TlsIdentity::SelfSigned {
        save: Some((cert.to_owned(), key.to_owned())),
    }));
    let server = common::start(config);
    let presented = common::wait_for(&server.session, "the certificate", |e| match e {
        Event::TlsCertificate { certificate, .. } => Some(certificate.clone()),
        _ => None,
    });
    let problem = common::wait_for(&server.session, "the warning", |e| match e {
        Event::TlsKeptCertificate { problem, .. } => Some(*problem.clone()),
        Event::Connected { .. } => panic!("no warning"),
        _ => None,
    });
    assert_eq!(std::fs::read(cert).unwrap(), before, "never replaced");
    let kept: rustls::pki_types::CertificateDer =
        rustls::pki_types::pem::PemObject::from_pem_slice(&before).unwrap();
    assert_eq!(presented.sha256, CertSummary::of(&kept).unwrap().sha256);
    problem
}

#[test]
fn a_kept_self_signed_certificate_that_no_longer_fits_is_said_and_still_used() {
    let pki = Pki::new("Kept");
    let expired = pki.leaf("expired", &["localhost", "127.0.0.1"], 2000, 2001);
    let problem = kept_problem(&expired.cert, &expired.key, "127.0.0.1:0");
    assert!(
        matches!(problem.expiry, Some(Expiry::Expired(_))),
        "{problem:?}"
    );
    assert_eq!(problem.unnamed, None);
    assert!(
        problem.text(Lang::En).contains("expired on 2001-"),
        "{problem:?}"
    );

    // Made for a server on 127.0.0.1, kept, and used by one on 127.0.0.2.
    let made = netassist::engine::self_signed(Some("127.0.0.1:1".parse().unwrap())).unwrap();
    let (cert, key) = (
        pki.dir.path().join("k.cert.pem"),
        pki.dir.path().join("k.key.pem"),
    );
    made.save(&cert, &key).unwrap();
    let problem = kept_problem(&cert, &key, "127.0.0.2:0");
    assert_eq!(problem.expiry, None);
    assert_eq!(problem.unnamed, Some("127.0.0.2".parse().unwrap()));
    assert!(problem.text(Lang::Zh).contains("127.0.0.2"), "{problem:?}");
}
