//! TLS in the window, driven through `egui_kittest` on loopback: the TCP client's verification (CA file
//! by its file dialog, accept any), SNI and the status bar and peers panel saying the version; the TCP
//! server's self-signed certificate kept in the window's folder with its fingerprint shown; wrong
//! certificate files refused before Open in English and Chinese; a relay's two sides; nothing for UDP.
#![allow(clippy::unwrap_used)]

mod common;
#[path = "tls/pki.rs"]
mod pki;
mod window;

use std::net::SocketAddr;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use netassist::engine::{Event, Mode, SessionConfig, TlsAccept, TlsIdentity};
use netassist::preset::{ModeKind, Preset, TlsSettings};
use netassist::ui::app::NetAssistApp;
use netassist::ui::{Lang, Settings};
use pki::Pki;
use window::*;

/// A NetAssist TLS server on loopback presenting `leaf`, echoing, and its address.
fn tls_echo_server(leaf: &pki::Leaf) -> (common::Running, SocketAddr) {
    let mut config = SessionConfig::new(Mode::TcpServer {
        bind: "127.0.0.1:0".parse().unwrap(),
        max_clients: None,
    })
    .with_echo(true);
    config.tls_accept = Some(TlsAccept::new(TlsIdentity::Files {
        cert: leaf.cert.clone(),
        key: leaf.key.clone(),
    }));
    let running = common::start(config);
    let addr = common::listening(&running.session);
    (running, addr)
}

fn client_of(server: SocketAddr) -> Preset {
    Preset {
        mode: ModeKind::TcpClient,
        local_ip: String::new(),
        remote_host: server.ip().to_string(),
        remote_port: server.port().to_string(),
        ..preset()
    }
}

/// Clicks the control `label` of `role`, scrolled into view first: at 1024x768 the connection panel's
/// TLS options may be below the fold.
fn click(harness: &mut egui_kittest::Harness<'_, NetAssistApp>, role: Role, label: &str) {
    harness.get_by_role_and_label(role, label).scroll_to_me();
    harness.run();
    harness.get_by_role_and_label(role, label).click();
    harness.run();
}

fn checkbox(harness: &mut egui_kittest::Harness<'_, NetAssistApp>, label: &str) {
    click(harness, Role::CheckBox, label);
}

#[test]
fn a_tls_client_verifies_by_a_ca_file_chosen_in_a_dialog_and_says_tls_everywhere() {
    let pki = Pki::new("Window");
    let leaf = pki.good();
    let (_server, addr) = tls_echo_server(&leaf);
    let dialogs = Scripted::with(&[&pki.ca]);
    let mut harness = harness_sized(
        NetAssistApp::new(with(client_of(addr)), Box::new(dialogs)),
        egui::vec2(1024.0, 768.0),
    );
    assert!(
        harness
            .query_by_label("Verify the server's certificate")
            .is_none()
    );
    checkbox(&mut harness, "TLS");
    harness.get_by_label("Verify the server's certificate");
    assert!(harness.state().settings.preset.tls.enabled);
    // The CA file comes from the file dialog, and shows in its field.
    harness
        .get_by_role_and_label(Role::RadioButton, "Against a CA file…")
        .click();
    harness.run();
    let ca = pki.ca.display().to_string();
    assert_eq!(harness.state().settings.preset.tls.ca_file, ca);
    harness.get_by_label("CA file (PEM)");
    // The server name field shows the host until one is typed.
    let sni = harness.get_by_label("Server name (SNI; empty: the host)");
    assert_eq!(sni.value().as_deref(), Some(""));
    sni.click();
    harness.run();
    harness
        .get_by_label("Server name (SNI; empty: the host)")
        .type_text("localhost");
    harness.run();
    assert_eq!(harness.state().settings.preset.tls.server_name, "localhost");

    open(&mut harness);
    step_until(&mut harness, "the handshake", |app| {
        app.log().peers().any(|peer| peer.tls.is_some())
    });
    harness.run();
    harness.get_by_label_contains("● Connected from 127.0.0.1:");
    harness.get_by_label_contains(" · TLS 1.3");
    harness.get_by_label_contains("TLS established: TLS 1.3, TLS_AES_");
    harness.get_by_label_contains("SNI localhost; server certificate: subject CN=good leaf");
    harness.get_by_label_contains("; verified");
    // The peers panel (folded at this size) marks the peer with its version.
    harness.get_by_role_and_label(Role::Button, "◀").click();
    harness.run();
    harness.get_by_label_contains("TLS 1.3 · RX ");
    // The settings keep it all for the next run, and a preset saved from them too.
    let settings: Settings =
        ron::from_str(&ron::to_string(&harness.state().settings).unwrap()).unwrap();
    assert!(settings.preset.tls.enabled);
    assert_eq!(settings.preset.tls.ca_file, ca);
    assert_eq!(settings.preset.tls.server_name, "localhost");
}

#[test]
fn accepting_any_certificate_is_a_warning_and_its_row_says_not_verified() {
    let other = Pki::new("Unknown");
    let (_server, addr) = tls_echo_server(&other.good());
    let mut preset = client_of(addr);
    preset.tls.enabled = true;
    let mut harness = harness(with(preset));
    harness
        .get_by_role_and_label(Role::RadioButton, "Accept any certificate (insecure)")
        .click();
    harness.run();
    assert!(harness.state().settings.preset.tls.accept_any);
    assert!(harness.query_by_label("CA file (PEM)").is_none());
    open(&mut harness);
    step_until(&mut harness, "the handshake", |app| {
        app.log().peers().any(|peer| peer.tls.is_some())
    });
    harness.run();
    harness.get_by_label_contains("NOT verified (any certificate accepted)");
    // Back to the system's roots: this server's issuer is unknown there, and the row says so.
    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();
    harness
        .get_by_role_and_label(Role::RadioButton, "Against this PC's trusted roots")
        .click();
    harness.run();
    assert!(!harness.state().settings.preset.tls.accept_any);
    harness.get_by_role_and_label(Role::Button, "Open").click();
    step_until(&mut harness, "the refusal", |app| {
        app.log()
            .peers()
            .any(|peer| peer.closed.is_some() && peer.tls.is_none())
    });
    harness.run();
    harness.get_by_label_contains("is not signed by an authority this PC trusts");
    // The peers panel's why? says what such a refusal usually means, in one readable sentence.
    harness.get_by_label_contains("Show closed (").click();
    harness.run();
    harness.get_by_role_and_label(Role::Button, "why?").click();
    harness.run();
    harness.get_by_label_contains(
        "A TLS client checks that the server's certificate is signed by an authority it trusts, is \
         for the name it connected to",
    );
}

#[test]
fn a_self_signed_server_keeps_its_certificate_in_the_windows_folder_and_shows_its_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = NetAssistApp::new(settings(), Box::<Scripted>::default());
    app.files_dir = Some(dir.path().to_owned());
    let mut harness = harness_for(app);
    checkbox(&mut harness, "TLS");
    harness
        .get_by_role_and_label(Role::RadioButton, "Self-signed")
        .click();
    harness.run();
    let cert = dir.path().join("netassist.cert.pem");
    harness.get_by_label(&format!(
        "Made once when the session opens, then kept in {}",
        cert.display()
    ));
    assert!(!cert.exists());
    let addr = open(&mut harness);
    step_until(&mut harness, "the certificate", |app| {
        app.log().certificate().is_some()
    });
    harness.run();
    assert!(cert.exists() && dir.path().join("netassist.key.pem").exists());
    // What the panel shows is the certificate saved, which a client that trusts the file verifies.
    let fingerprint = harness.state().log().certificate().unwrap().fingerprint();
    harness.get_by_label("Presented certificate, SHA-256:");
    harness.get_by_label(&fingerprint);
    harness.get_by_label_contains(&format!("● Listening on {addr} · TLS"));
    let mut client = SessionConfig::new(Mode::TcpClient {
        host: "localhost".to_owned(),
        port: addr.port(),
        local: None,
        timeout: WAIT,
    });
    client.tls_connect = Some(netassist::engine::TlsConnect {
        verify: netassist::engine::TlsVerify::CaFile(cert.clone()),
        server_name: None,
    });
    let client = common::start(client);
    let shown = common::wait_for(&client.session, "TLS established", |event| match event {
        Event::TlsEstablished { info, .. } => info.certificate.clone(),
        _ => None,
    });
    assert_eq!(shown.fingerprint(), fingerprint);
    step_until(&mut harness, "the client's handshake", |app| {
        app.log().peers().any(|peer| peer.tls.is_some())
    });
}

#[test]
fn a_preset_files_relative_certificate_files_are_read_beside_it() {
    let pki = Pki::new("Beside");
    let leaf = pki.good();
    let name = |path: &std::path::Path| path.file_name().unwrap().to_str().unwrap().to_owned();
    let mut preset = preset();
    preset.tls = TlsSettings {
        enabled: true,
        cert_file: name(&leaf.cert),
        key_file: name(&leaf.key),
        ..TlsSettings::default()
    };
    let mut settings = with(preset);
    settings.preset_file = Some(pki.dir.path().join("board.ron"));
    let mut harness = harness_for(NetAssistApp::new(settings, Box::<Scripted>::default()));
    open(&mut harness);
    step_until(&mut harness, "the certificate", |app| {
        app.log().certificate().is_some()
    });
    let certificate = harness.state().log().certificate().unwrap();
    let files = netassist::engine::CertSummary::of(&leaf.der).unwrap();
    assert_eq!(certificate.fingerprint(), files.fingerprint());
    // The settings keep the names as typed, for the preset file to stay movable with its files.
    assert_eq!(
        harness.state().settings.preset.tls.cert_file,
        name(&leaf.cert)
    );
}

#[test]
fn wrong_certificate_files_are_refused_before_open_in_both_languages() {
    let pki = Pki::new("Files");
    let one = pki.good();
    let other = pki.leaf("other", &["localhost"], 2020, 2090);
    let missing = pki.dir.path().join("missing.pem");
    // Browse… for the certificate, then for the key (another certificate's).
    let dialogs = Scripted::with(&[&one.cert, &other.key]);
    let mut harness = harness_for(NetAssistApp::new(settings(), Box::new(dialogs.clone())));
    checkbox(&mut harness, "TLS");
    harness
        .get_by_role_and_label(Role::RadioButton, "Certificate files")
        .click();
    harness.run();
    harness.get_by_label("Certificate (PEM)");
    harness.get_by_label("Private key (PEM)");
    for browse in 0..2 {
        harness
            .get_all_by_role_and_label(Role::Button, "Browse…")
            .nth(browse)
            .unwrap()
            .click();
        harness.run();
    }
    let tls = &harness.state().settings.preset.tls;
    assert_eq!(tls.cert_file, one.cert.display().to_string());
    assert_eq!(tls.key_file, other.key.display().to_string());
    harness.get_by_role_and_label(Role::Button, "Open").click();
    harness.run();
    assert!(!harness.state().is_open());
    harness.get_by_label_contains("the private key does not belong to the certificate");
    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_label_contains("私钥与证书不匹配");
    // A file that is not there, in Chinese, changes nothing else.
    harness.state_mut().settings.preset.tls.key_file = one.key.display().to_string();
    harness.state_mut().settings.preset.tls.cert_file = missing.display().to_string();
    harness.get_by_role_and_label(Role::Button, "打开").click();
    harness.run();
    assert!(!harness.state().is_open());
    harness.get_by_label_contains("文件不存在");
    assert_eq!(
        harness.state().settings.preset.tls.key_file,
        one.key.display().to_string()
    );
    // Right files: it opens.
    harness.state_mut().settings.preset.tls.cert_file = one.cert.display().to_string();
    harness.state_mut().settings.lang = Lang::En;
    harness.run();
    open(&mut harness);
    assert!(harness.query_by_label_contains("does not belong").is_none());
}

#[test]
fn a_relay_has_tls_on_each_side_and_udp_has_none() {
    let relay = Preset {
        mode: ModeKind::Relay,
        ..preset()
    };
    let mut harness = harness_sized(
        NetAssistApp::new(with(relay), Box::<Scripted>::default()),
        egui::vec2(1024.0, 768.0),
    );
    checkbox(
        &mut harness,
        "TLS to the devices (the relay is their server)",
    );
    checkbox(&mut harness, "TLS to the target (the relay is its client)");
    let preset = &harness.state().settings.preset;
    assert!(preset.tls.enabled && preset.target_tls.enabled);
    harness.get_by_role_and_label(Role::RadioButton, "Self-signed");
    harness.get_by_role_and_label(Role::RadioButton, "Accept any certificate (insecure)");
    harness.get_by_label("Server name (SNI; empty: the host)");
    // A self-signed certificate with nowhere to keep it is made for the session only.
    click(&mut harness, Role::RadioButton, "Self-signed");
    harness.get_by_label("Made when the session opens, for it only.");
    click(
        &mut harness,
        Role::RadioButton,
        "Accept any certificate (insecure)",
    );
    assert!(harness.state().settings.preset.target_tls.accept_any);
    let addr = open(&mut harness);
    harness.get_by_label_contains(&format!("● Relaying on {addr} · TLS both sides"));
    harness.get_by_role_and_label(Role::Button, "Close").click();
    harness.run();

    harness.state_mut().settings.lang = Lang::Zh;
    harness.run();
    harness.get_by_role_and_label(Role::CheckBox, "与设备之间使用 TLS（中继作为服务器）");
    harness.get_by_role_and_label(Role::CheckBox, "与目标之间使用 TLS（中继作为客户端）");
    harness.get_by_role_and_label(Role::RadioButton, "接受任何证书（不安全）");

    harness.state_mut().settings.lang = Lang::En;
    harness.state_mut().settings.preset.mode = ModeKind::Udp;
    harness.run();
    for label in [
        "TLS",
        "TLS to the devices (the relay is their server)",
        "TLS to the target (the relay is its client)",
    ] {
        assert!(
            harness
                .query_by_role_and_label(Role::CheckBox, label)
                .is_none()
        );
    }
    assert!(harness.query_by_label("Self-signed").is_none());
}

#[test]
fn a_relay_to_a_tls_target_marks_the_pairs_server_side_with_its_version() {
    let pki = Pki::new("Target");
    let (_server, target) = tls_echo_server(&pki.good());
    let mut relay = Preset {
        mode: ModeKind::Relay,
        remote_host: target.ip().to_string(),
        remote_port: target.port().to_string(),
        ..preset()
    };
    relay.target_tls.enabled = true;
    relay.target_tls.ca_file = pki.ca.display().to_string();
    let mut harness = harness_sized(
        NetAssistApp::new(with(relay), Box::<Scripted>::default()),
        egui::vec2(1024.0, 768.0),
    );
    let addr = open(&mut harness);
    harness.get_by_label_contains(&format!("● Relaying on {addr} · TLS to target"));
    let mut device = std::net::TcpStream::connect(addr).unwrap();
    device.set_read_timeout(Some(WAIT)).unwrap();
    std::io::Write::write_all(&mut device, b"plain in, TLS out\n").unwrap();
    // The TLS echo server's answer comes back to the plain device.
    assert_eq!(read_exactly(&mut device, 18), b"plain in, TLS out\n");
    step_until(&mut harness, "the server side's handshake", |app| {
        app.log().peers().any(|peer| peer.tls.is_some())
    });
    harness.get_by_role_and_label(Role::Button, "◀").click();
    harness.run();
    harness.get_by_label_contains(&format!("Server {target} :"));
    harness.get_by_label_contains(" · TLS 1.3 · RX ");
    assert_eq!(
        harness.query_all_by_label_contains("TLS 1.3 · RX").count(),
        1,
        "only the server side speaks TLS"
    );
}
