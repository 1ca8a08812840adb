//! The report to hand in, from real loopback sessions: a peer with its counters and close, a device check,
//! a capture (with raw files) and a pcapng file whose SHA-256 is computed again by `sha256sum` (or
//! Python's hashlib); what was dropped and not sent (a relay's peers named as in the Peers table, a
//! server side that never connected named as such, with why); a TLS handshake that failed, with its raw
//! bytes; Chinese; HTML; and `--report` on the command line (`tcp-server`, `check`, a relay whose devices
//! failed their TLS handshake), with a path that cannot be written refused before the session runs.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use common::cli::Netassist;
use common::{WAIT, until};
use netassist::capture::CaptureOptions;
use netassist::check::Check;
use netassist::engine::{Command, Target};
use netassist::format::Display;
use netassist::i18n::Lang;
use netassist::pcap::PcapOptions;
use netassist::preset::Preset;
use netassist::report::{self, FileKind, Subject, WrittenFile};
use netassist::session::Controller;
use netassist::traffic::{LogConfig, RelaySide, TrafficLog};

/// The SHA-256 of `path` as another program computes it: `sha256sum`, or Python's hashlib; `None`,
/// saying so, with neither.
fn independent_sha256(path: &Path) -> Option<String> {
    if let Ok(out) = Process::new("sha256sum").arg(path).output()
        && out.status.success()
    {
        let text = String::from_utf8(out.stdout).unwrap();
        return Some(text.split_whitespace().next().unwrap().to_owned());
    }
    let script =
        "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())";
    match Process::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
    {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8(out.stdout).unwrap().trim().to_owned())
        }
        _ => {
            eprintln!("skipped: needs sha256sum or python3 to compute a SHA-256 independently");
            None
        }
    }
}

fn loopback_preset() -> Preset {
    Preset {
        local_ip: "127.0.0.1".to_owned(),
        local_port: "0".to_owned(),
        ..Preset::default()
    }
}

/// A server session on loopback with a capture (raw bytes per peer) and a pcapng file in `dir`, and a
/// client connected to it; the files as a report lists them.
fn recorded_server(dir: &Path) -> (Controller, TcpStream, Vec<WrittenFile>) {
    let preset = loopback_preset();
    let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
    let since = std::time::SystemTime::now();
    let capture = dir.join("capture.log");
    let pcap = dir.join("session.pcapng");
    let options = CaptureOptions {
        display: Display::of(&preset),
        raw_per_peer: true,
    };
    controller.start_capture(&capture, options).unwrap();
    controller
        .start_pcap(&pcap, PcapOptions::default())
        .unwrap();
    controller.start(preset.session().unwrap(), || {}).unwrap();
    let port = until(&mut controller, |c| c.log().local_addr()).port();
    let client = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    until(&mut controller, |c| {
        (c.log().connected_peers() == 1).then_some(())
    });
    let files = vec![
        WrittenFile {
            kind: FileKind::Capture { raw_per_peer: true },
            path: capture,
            since,
        },
        WrittenFile {
            kind: FileKind::Pcapng,
            path: pcap,
            since,
        },
    ];
    (controller, client, files)
}

fn check(steps: &str) -> Check {
    ron::from_str(&format!("Check(name: \"greeting\", steps: [{steps}])")).unwrap()
}

/// Fails unless each of `headings` is a line of `text`.
fn has_headings(text: &str, headings: &[&str]) {
    for heading in headings {
        assert!(text.lines().any(|l| l == *heading), "{heading} in\n{text}");
    }
}

/// The line of the report's file table for `path`: its size and hash.
fn file_row<'a>(report: &'a str, path: &Path) -> &'a str {
    let name = path.file_name().unwrap().to_str().unwrap();
    report
        .lines()
        .find(|line| line.starts_with("| `") && line.contains(&format!("{name}`")))
        .unwrap_or_else(|| panic!("no row for {name} in\n{report}"))
}

/// A recorded server session in `dir` whose client passed a check (greeted with `board 7` when asked)
/// and closed; the session and its recordings are stopped.
fn checked_session(dir: &Path) -> (Controller, Vec<WrittenFile>) {
    let (mut controller, mut client, files) = recorded_server(dir);
    let compiled = loopback_preset()
        .compile_check(&check(
            r#"WaitClient(within_ms: 1000), Send(text: "who?"), Expect(matcher: Contains("board 7"), within_ms: 2000)"#,
        ))
        .unwrap();
    assert!(controller.run_check(compiled));
    assert_eq!(common::read_n(&mut client, 4), b"who?");
    client.write_all(b"board 7").unwrap();
    until(&mut controller, |c| c.check_report()?.finished);
    drop(client);
    until(&mut controller, |c| {
        (c.log().connected_peers() == 0).then_some(())
    });
    controller.stop(|_| {});
    controller.stop_capture().unwrap().unwrap();
    controller.stop_pcap().unwrap().unwrap();
    (controller, files)
}

#[test]
fn a_report_of_a_loopback_session_has_every_section_and_hashes_that_verify() {
    let dir = tempfile::tempdir().unwrap();
    let (controller, files) = checked_session(dir.path());
    let path = dir.path().join("report.md");
    let checks: Vec<_> = controller.check_report().cloned().into_iter().collect();
    let preset = loopback_preset();
    let preset_file = dir.path().join("board.ron");
    let subject = Subject {
        preset: &preset,
        preset_file: Some(&preset_file),
        controller: &controller,
        checks: &checks,
        files: &files,
    };
    report::write(&path, &subject, Lang::En).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();

    has_headings(
        &text,
        &[
            "# NetAssist report",
            "## Preset",
            "## Sessions",
            "## Peers",
            "## Device checks",
            "## Files",
            "## Dropped or not sent",
        ],
    );
    let version = format!("| Program | NetAssist {} |", env!("CARGO_PKG_VERSION"));
    assert!(text.contains(&version), "{text}");
    assert!(text.contains("**board** (file `"), "{text}");
    assert!(text.contains("mode: TcpServer"), "the preset's RON: {text}");
    // The session, with the address it really listened on.
    let local = controller
        .history()
        .sessions()
        .next()
        .unwrap()
        .local
        .unwrap();
    assert!(
        text.contains(&format!("| 1 | TCP server on 127.0.0.1:0 | {local} |")),
        "{text}"
    );
    // The peer: 7 bytes in one message received, 4 sent, closed by its FIN.
    let peer = controller.log().peers().next().unwrap();
    let row = text
        .lines()
        .find(|l| l.starts_with(&format!("| {} | {} |", peer.id, peer.addr)))
        .unwrap();
    assert!(
        row.ends_with("| 7 | 1 | 4 | 1 | the peer closed the connection (FIN) |"),
        "{row}"
    );
    // The check, each step with its result.
    assert!(text.contains("### greeting: PASS ("), "{text}");
    for step in [
        "| 1 | wait for a client",
        "| 2 | send \"who?\"",
        "| 3 | expect \"board 7\"",
    ] {
        let line = text.lines().find(|l| l.starts_with(step)).unwrap();
        assert!(line.contains("| PASS | 1 |"), "{line}");
    }
    assert!(text.contains("- Latency of step 3 "), "{text}");
    // Every file, with the hash another program computes.
    let raw_rx = netassist::capture::raw_path(
        &files[0].path,
        Some(&peer.addr),
        peer.id,
        netassist::engine::Direction::Rx,
    );
    for file in [&files[0].path, &files[1].path, &raw_rx] {
        let row = file_row(&text, file);
        let size = std::fs::metadata(file).unwrap().len();
        assert!(row.contains(&format!("| {size} |")), "{row}");
        if let Some(hash) = independent_sha256(file) {
            assert!(row.ends_with(&format!("| `{hash}` |")), "{row}");
        }
    }
    assert_eq!(std::fs::read(&raw_rx).unwrap(), b"board 7");
    assert!(text.contains("Nothing was dropped, and every send went out."));

    // The same report in Chinese, and as HTML.
    let zh = dir.path().join("报告.md");
    report::write(&zh, &subject, Lang::Zh).unwrap();
    let zh = std::fs::read_to_string(&zh).unwrap();
    has_headings(
        &zh,
        &[
            "# NetAssist 报告",
            "## 会话",
            "## 连接对象",
            "## 设备检查",
            "## 文件",
        ],
    );
    assert!(zh.contains("对方关闭了连接 (FIN)"), "{zh}");
    let html = dir.path().join("report.html");
    report::write(&html, &subject, Lang::En).unwrap();
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<h2>Files</h2>") && html.contains("<table>"),
        "{html}"
    );
}

#[test]
fn what_was_dropped_and_not_sent_is_in_the_report_as_the_events_counted_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mut controller, client, _) = recorded_server(dir.path());
    // A client that never reads: the sends fill its queue (4 MiB) and the socket buffers; the rest are
    // dropped, and what is queued when the session stops is not sent.
    let peer = controller.log().peers().next().unwrap().id;
    for _ in 0..64 {
        let bytes = bytes::Bytes::from(vec![b'x'; 1 << 20]);
        controller.command(Command::Send {
            to: Target::Peer(peer),
            bytes,
        });
    }
    until(&mut controller, |c| {
        (c.history().losses().send_dropped > 0).then_some(())
    });
    controller.stop(|_| {});
    drop(client);
    let losses = controller.history().losses();
    assert!(losses.unsent_sends > 0, "{losses:?}");
    let preset = loopback_preset();
    let subject = Subject {
        preset: &preset,
        preset_file: None,
        controller: &controller,
        checks: &[],
        files: &[],
    };
    let text = report::markdown(
        &subject,
        Lang::En,
        std::time::SystemTime::now(),
        &report::Machine::this(),
    );
    assert!(
        text.contains(&format!(
            "- Not sent: {} bytes of {} sends (the connection ended first).",
            losses.unsent_bytes, losses.unsent_sends
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "- Dropped: {} sends ({} bytes) did not fit",
            losses.send_dropped, losses.send_dropped_bytes
        )),
        "{text}"
    );
    assert!(text.contains("The log's rows about them:"), "{text}");
    assert!(text.contains("Not saved to a file"), "{text}");
    assert!(text.contains("No device check was run."), "{text}");
    assert!(
        text.contains("No capture or pcapng file was written."),
        "{text}"
    );
}

#[test]
fn the_command_line_writes_a_report_with_the_pcapng_files_hash() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("board.pcapng");
    let report = dir.path().join("board.md");
    let mut netassist = Netassist::start(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--expect",
        "Hello",
        "--pcap",
        pcap.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let port = netassist.port();
    let mut client = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    client.write_all(b"Hello").unwrap();
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("| 5 | 1 | 0 | 0 |"), "{text}");
    let row = file_row(&text, &pcap);
    if let Some(hash) = independent_sha256(&pcap) {
        assert!(row.ends_with(&format!("| `{hash}` |")), "{row}");
    }
}

#[test]
fn netassist_check_reports_each_step_and_a_report_that_cannot_be_written_exits_2_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let preset = dir.path().join("greets.ron");
    std::fs::write(
        &preset,
        r#"Preset(version: 4, mode: TcpServer, local_ip: "127.0.0.1", local_port: "0",
           checks: [Check(name: "greets", steps: [WaitClient(within_ms: 5000),
           Expect(matcher: Contains("Hello"), within_ms: 2000)])])"#,
    )
    .unwrap();
    let report = dir.path().join("greets.md");
    let mut netassist = Netassist::start(&[
        "check",
        preset.to_str().unwrap(),
        "--traffic",
        "--report",
        report.to_str().unwrap(),
    ]);
    let port = netassist.port();
    let mut client = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    client.write_all(b"Hello").unwrap();
    let ended = netassist.end();
    assert_eq!(ended.code, 0, "{:#?}\n{}", ended.stdout, ended.stderr);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("**greets** (file `"), "{text}");
    assert!(text.contains("### greets: PASS ("), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("| 2 | expect \"Hello\"") && l.contains("| PASS |")),
        "{text}"
    );

    let nowhere = dir.path().join("no such folder").join("r.md");
    let started = Instant::now();
    let ended = Netassist::start(&[
        "check",
        preset.to_str().unwrap(),
        "--report",
        nowhere.to_str().unwrap(),
    ])
    .end();
    assert_eq!(ended.code, 2);
    assert!(
        ended.stderr.contains("cannot write the report"),
        "{}",
        ended.stderr
    );
    // It did not wait for a client first.
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// A TLS server on loopback with a self-signed certificate, and the port it listens on.
fn tls_server() -> (Controller, u16) {
    use netassist::engine::{Mode, SessionConfig, TlsAccept, TlsIdentity};
    let mut server = Controller::new(TrafficLog::new(LogConfig::default()));
    let mut config = SessionConfig::new(Mode::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_clients: None,
    });
    config.tls_accept = Some(TlsAccept::new(TlsIdentity::SelfSigned { save: None }));
    server.start(config, || {}).unwrap();
    let port = until(&mut server, |c| c.log().local_addr()).port();
    (server, port)
}

#[test]
fn a_tls_sessions_report_names_tls_its_certificate_and_whether_it_was_verified() {
    use netassist::engine::{Event, Mode, SessionConfig, TlsConnect, TlsVerify};
    let (mut server, port) = tls_server();
    let fingerprint = until(&mut server, |c| {
        c.log()
            .certificate()
            .map(netassist::engine::CertSummary::fingerprint)
    });

    let mut client = Controller::new(TrafficLog::new(LogConfig::default()));
    let mut config = SessionConfig::new(Mode::TcpClient {
        host: "localhost".to_owned(),
        port,
        local: None,
        timeout: WAIT,
    });
    config.tls_connect = Some(TlsConnect {
        verify: TlsVerify::AcceptAny,
        server_name: None,
    });
    client.start(config, || {}).unwrap();
    let tls_done = |c: &Controller| c.log().peers().find_map(|p| p.tls.as_ref().map(|_| ()));
    until(&mut client, tls_done);
    until(&mut server, tls_done);

    let text = report_of(&server, Lang::En);
    assert!(
        text.lines()
            .any(|l| l.starts_with("| 1 | TCP server on 127.0.0.1:0 over TLS (TLS 1.3) |")),
        "{text}"
    );
    assert!(
        text.contains("### Session 1: TCP server on 127.0.0.1:0 over TLS (TLS 1.3)\n"),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("- #") && l.contains("TLS 1.3, TLS_"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("SNI localhost"), "{line}");
    assert!(
        line.contains("; our certificate: subject CN=NetAssist self-signed,"),
        "{line}"
    );
    assert!(line.contains(&format!("SHA-256 {fingerprint}")), "{line}");

    let text = report_of(&client, Lang::En);
    assert!(text.contains("over TLS (TLS 1.3)"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("- #") && l.contains("TLS 1.3, TLS_"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("; server certificate: subject CN=NetAssist self-signed,"),
        "{line}"
    );
    assert!(
        line.contains(&format!("SHA-256 {fingerprint}; NOT verified")),
        "{line}"
    );
    client.stop(|_: &Event| {});
    server.stop(|_: &Event| {});
}

/// The report of a session `controller` ran, in `lang`.
fn report_of(controller: &Controller, lang: Lang) -> String {
    let preset = loopback_preset();
    let subject = Subject {
        preset: &preset,
        preset_file: None,
        controller,
        checks: &[],
        files: &[],
    };
    report::markdown(
        &subject,
        lang,
        std::time::SystemTime::now(),
        &report::Machine::this(),
    )
}

/// A relay session to `target` (each connect given up after `timeout`) and a device connected to it.
fn relayed_device(target: SocketAddr, timeout: Duration) -> (Controller, TcpStream) {
    let mut controller = Controller::new(TrafficLog::new(LogConfig::default()));
    controller
        .start(common::relay_to(target, timeout), || {})
        .unwrap();
    let port = until(&mut controller, |c| c.log().local_addr()).port();
    let device = common::client(SocketAddr::from(([127, 0, 0, 1], port)));
    (controller, device)
}

#[test]
fn a_relays_server_side_that_never_connected_is_named_as_such_where_its_bytes_were_not_sent() {
    let target = common::Unanswered::listen();
    let (mut controller, mut device) = relayed_device(target.addr, Duration::from_millis(500));
    let device_addr = device.local_addr().unwrap();
    device.write_all(b"hello").unwrap();
    // The connect times out: the device is closed, and what it sent is its server side's, not sent.
    let (device_id, server_id) = until(&mut controller, |c| {
        let device = c.log().peers().next()?;
        let server = device.pairing?.partner;
        (!device.is_connected() && c.history().losses().unsent_sends > 0)
            .then_some((device.id, server))
    });
    let target = target.addr;
    let text = report_of(&controller, Lang::En);
    // The device's row names the address it tried; its server side is in no table, as it never
    // connected, so the Not sent row names it by its pair, and says why.
    assert!(
        text.contains(&format!(
            "| {device_id} | {device_addr} ⇄ {target} (device) |"
        )),
        "{text}"
    );
    let named = format!(
        " {server_id} {device_addr} ⇄ {target} (server side, never connected: No answer from \
         {target} "
    );
    let line = text
        .lines()
        .find(|line| line.contains("Not sent: 5 bytes of 1 send(s)"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(&named), "{line}");
    let text = report_of(&controller, Lang::Zh);
    assert!(
        text.contains(&format!(
            " {server_id} {device_addr} ⇄ {target} (服务器端，从未连上：{target} 没有响应"
        )),
        "{text}"
    );
    controller.stop(|_| {});
}

#[test]
fn a_device_reset_while_its_target_connect_was_pending_is_the_why_of_its_server_sides_not_sent_row()
{
    let target = common::Unanswered::listen();
    let (mut controller, mut device) = relayed_device(target.addr, Duration::from_secs(5));
    let device_addr = device.local_addr().unwrap();
    device.write_all(b"hello").unwrap();
    until(&mut controller, |c| {
        c.log()
            .peers()
            .next()
            .and_then(|device| device.pairing)
            .map(|_| ())
    });
    // The device resets (an RST) while the target has not answered.
    socket2::SockRef::from(&device)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(device);
    let server_id = until(&mut controller, |c| {
        let device = c.log().peers().next()?;
        (!device.is_connected() && c.history().losses().unsent_sends > 0)
            .then(|| device.pairing.map(|pairing| pairing.partner))
            .flatten()
    });
    let target = target.addr;
    let text = report_of(&controller, Lang::En);
    let line = text
        .lines()
        .find(|line| line.contains("Not sent: 5 bytes of 1 send(s)"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!(
            " {server_id} {device_addr} ⇄ {target} (server side, never connected: the device's \
             connection ended before the connect to the target finished: reset (RST)) "
        )),
        "{line}"
    );
    let text = report_of(&controller, Lang::Zh);
    assert!(
        text.contains(&format!(
            " {server_id} {device_addr} ⇄ {target} (服务器端，从未连上：设备的连接在连上目标之前就\
             结束了：连接被重置 (RST)) "
        )),
        "{text}"
    );
    controller.stop(|_| {});
}

#[test]
fn a_relays_server_side_is_named_in_a_not_sent_row_as_in_the_peers_table() {
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut controller, _device) = relayed_device(target.local_addr().unwrap(), WAIT);
    let (device_id, server_id) = until(&mut controller, |c| {
        let server = c
            .log()
            .peers()
            .find(|peer| peer.pairing.is_some_and(|p| p.side == RelaySide::Server))?;
        Some((server.pairing?.partner, server.id))
    });
    controller.command(Command::Disconnect(device_id));
    until(&mut controller, |c| {
        c.log()
            .peers()
            .all(|peer| !peer.is_connected())
            .then_some(())
    });
    // A send to the side that is gone: not sent, a row of its own.
    controller.command(Command::Send {
        to: Target::Peer(server_id),
        bytes: bytes::Bytes::from_static(b"late"),
    });
    until(&mut controller, |c| {
        (c.history().losses().unsent_sends > 0).then_some(())
    });
    let text = report_of(&controller, Lang::En);
    let table_row = text
        .lines()
        .find(|line| line.starts_with(&format!("| {server_id} | ")))
        .unwrap_or_else(|| panic!("{text}"));
    let name = table_row.split(" | ").nth(1).unwrap();
    assert!(name.ends_with(" (server side)"), "{table_row}");
    let line = text
        .lines()
        .find(|line| line.contains("Not sent: 4 bytes of 1 send(s)"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!(" {server_id} {name} Not sent")),
        "{line}"
    );
    controller.stop(|_| {});
}

#[test]
fn a_peer_whose_tls_handshake_failed_says_so_with_its_raw_bytes() {
    let (mut server, port) = tls_server();
    // Plain TCP to a TLS server: the handshake fails on the first bytes.
    let mut client = common::client(format!("127.0.0.1:{port}").parse().unwrap());
    let request = b"GET / HTTP/1.0\r\n\r\n";
    client.write_all(request).unwrap();
    let answer = common::read_to_close(&mut client);
    let peer = until(&mut server, |c| {
        c.log().peers().find(|p| !p.is_connected()).map(|p| p.id)
    });
    let text = report_of(&server, Lang::En);
    let row = text
        .lines()
        .find(|line| line.starts_with(&format!("| {peer} |")))
        .unwrap_or_else(|| panic!("{text}"));
    // No data went either way, but the handshake's bytes did, as the pcapng holds them.
    assert!(row.contains(" | 0 | 0 | 0 | 0 | "), "{row}");
    assert!(
        row.contains(&format!(
            "; the TLS handshake failed: {} raw bytes received and {} sent (in a pcapng, not counted \
             in RX/TX) |",
            request.len(),
            answer.len()
        )),
        "{row}"
    );
    let text = report_of(&server, Lang::Zh);
    assert!(
        text.contains(&format!(
            "；TLS 握手失败：收到 {} 字节、发出 {} 字节原始数据（在 pcapng 中，不计入收发字节） |",
            request.len(),
            answer.len()
        )),
        "{text}"
    );
    server.stop(|_| {});
}

#[test]
fn a_relays_devices_that_failed_the_tls_handshake_are_named_as_devices_numbered_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("relay.md");
    let target = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let to = target.local_addr().unwrap().to_string();
    let flags = [
        "--tls-device",
        "--self-signed",
        "--seconds",
        "2",
        "--report",
    ];
    let mut relay = Netassist::relay(&to, &[&flags[..], &[report.to_str().unwrap()]].concat());
    let port = relay.port();
    // Plain clients where the relay is a TLS server: each handshake fails on the first bytes, and
    // neither device gets a server side.
    let mut devices = Vec::new();
    for _ in 0..2 {
        let mut device = common::client(format!("127.0.0.1:{port}").parse().unwrap());
        device.write_all(b"hello\r\n").unwrap();
        common::read_to_close(&mut device);
        devices.push(device.local_addr().unwrap());
    }
    let ended = relay.end();
    let text = std::fs::read_to_string(&report).unwrap();
    // The only peers of the run, numbered in turn: no id is taken for a server side never started.
    for (id, device) in [1, 2].into_iter().zip(devices) {
        assert!(
            text.contains(&format!("| #{id} | {device} (device) |")),
            "{}\n{text}",
            ended.stderr
        );
    }
}
