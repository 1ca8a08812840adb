use clap::CommandFactory;

use super::*;
use std::net::SocketAddr;

use crate::codec::TextEncoding;

/// The plan for `netassist ARGS…`, or why there is none (clap's errors included).
fn plan_of(args: &[&str]) -> Result<Plan, String> {
    let matches = Cli::command()
        .try_get_matches_from(std::iter::once("netassist").chain(args.iter().copied()))
        .map_err(|error| error.to_string())?;
    Plan::new(&matches)
}

fn doctor_args(bind: Option<&str>, target: Option<&str>, udp: bool) -> DoctorArgs {
    DoctorArgs {
        bind: bind.map(str::to_owned),
        target: target.map(str::to_owned),
        udp,
        json: false,
    }
}

#[test]
fn doctor_addresses_are_checked_before_anything_runs() {
    let request = doctor_request(&doctor_args(
        Some("0.0.0.0:5000"),
        Some("board.local:7"),
        true,
    ))
    .unwrap();
    assert_eq!(request.bind, Some("0.0.0.0:5000".parse().unwrap()));
    assert_eq!(
        request.target,
        Some(HostPort {
            host: "board.local".to_owned(),
            port: 7
        })
    );
    assert_eq!(request.protocol, Protocol::Udp);
    let scoped = doctor_request(&doctor_args(Some("[::1]:0"), None, false)).unwrap();
    assert_eq!(
        (scoped.bind, scoped.target, scoped.protocol),
        (Some("[::1]:0".parse().unwrap()), None, Protocol::Tcp)
    );
    for (bind, target, wanted) in [
        (Some("board.local:5000"), None, "--bind"),
        (Some("127.0.0.1:99999"), None, "not a port"),
        (Some("127.0.0.1"), None, "--bind"),
        (None, Some("192.168.1.5"), "--target"),
        (None, Some("192.168.1.5:x"), "not a port"),
    ] {
        let error = doctor_request(&doctor_args(bind, target, false)).unwrap_err();
        assert!(error.contains(wanted), "{bind:?} {target:?}: {error}");
    }
}

#[test]
fn a_hex_expectation_mistake_is_named_where_it_was_typed() {
    let error = plan_of(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--expect-hex",
        "AA zz",
    ])
    .err()
    .unwrap();
    assert!(error.starts_with("--expect-hex 'AA zz': "), "{error}");
    assert!(!error.contains("* AA zz *"), "{error}");
    let at_typed = Pattern::new(&Match::Hex("AA zz".to_owned()), TextEncoding::Utf8)
        .err()
        .unwrap()
        .to_string();
    assert!(error.ends_with(&at_typed), "{error} / {at_typed}");
}

#[test]
fn half_close_needs_tcp_and_an_end_to_the_sends() {
    let udp = plan_of(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        "127.0.0.1:9",
        "--send",
        "x",
        "--half-close",
    ]);
    assert!(udp.is_err_and(|e| e.contains("--half-close needs a TCP connection")));
    let every = plan_of(&[
        "tcp-client",
        "--connect",
        "127.0.0.1:7000",
        "--send",
        "x",
        "--every",
        "10",
        "--half-close",
    ]);
    assert!(every.is_err_and(|e| e.contains("never end")));
    let plan = plan_of(&["tcp-client", "--connect", "127.0.0.1:7000", "--half-close"]).unwrap();
    assert!(plan.half_close);
}

#[test]
fn send_option_flags_build_the_bytes() {
    let plan = plan_of(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send",
        "a\\x01",
        "--escapes",
        "--checksum",
        "xor8",
        "--line-end",
        "lf",
    ])
    .unwrap();
    assert_eq!(fixed(&plan), [&[b'a', 1, b'a' ^ 1, b'\n'][..]]);
    let error = plan_of(&["tcp-server", "--bind", "127.0.0.1:0", "--checksum", "crc8"]);
    assert!(error.is_err_and(|e| e.contains("'crc8'")));
}

/// The bytes of sends without variables.
fn fixed(plan: &Plan) -> Vec<&[u8]> {
    plan.sends
        .iter()
        .map(|send| send.fixed().expect("no variables").as_ref())
        .collect()
}

#[test]
fn sends_may_hold_variables_and_a_typo_is_named() {
    let plan = plan_of(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send-hex",
        "01 {counter:2} {sum8}",
        "--send",
        r#"{"cmd":1}"#,
    ])
    .unwrap();
    let now = std::time::SystemTime::now();
    let rendered: Vec<_> = plan
        .sends
        .iter()
        .map(|send| send.render(crate::codec::Values::new(3, now)))
        .collect();
    assert_eq!(rendered, [&[1, 0, 3, 4][..], br#"{"cmd":1}"#]);
    let error = plan_of(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send",
        "n={conter}",
    ])
    .err()
    .unwrap();
    assert!(
        error.starts_with("--send 'n={conter}': position 3: unknown variable 'conter'"),
        "{error}"
    );
}

#[test]
fn sends_keep_the_order_typed_across_text_and_hex() {
    let plan = plan_of(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send",
        "a",
        "--send-hex",
        "41",
        "--send",
        "b",
    ])
    .unwrap();
    assert_eq!(fixed(&plan), [&b"a"[..], b"A", b"b"]);
    assert!(matches!(
        plan.config.mode,
        Mode::TcpServer { bind, .. } if bind == SocketAddr::from(([127, 0, 0, 1], 0))
    ));
    assert_eq!((plan.every, plan.seconds, plan.json), (None, None, false));
    assert_eq!(plan.pcap, None);
    let plan = plan_of(&["udp", "--bind", "127.0.0.1:0", "--pcap", "s.pcapng"]).unwrap();
    assert_eq!(plan.pcap, Some(PathBuf::from("s.pcapng")));
}

#[test]
fn udp_sends_need_a_target() {
    let error = plan_of(&["udp", "--bind", "127.0.0.1:0", "--send", "x"])
        .err()
        .unwrap();
    assert_eq!(error, "UDP needs --to HOST:PORT to know where --send goes");
    let plan = plan_of(&[
        "udp",
        "--bind",
        "127.0.0.1:0",
        "--to",
        "127.0.0.1:7088",
        "--send",
        "x",
    ])
    .unwrap();
    assert_eq!(fixed(&plan), [&b"x"[..]]);
}

#[test]
fn expectations_keep_the_order_typed_across_flags() {
    let plan = plan_of(&[
        "tcp-client",
        "--connect",
        "127.0.0.1:7000",
        "--expect-hex",
        "AA ??",
        "--expect",
        "OK",
        "--expect-regex",
        "^T=\\d+$",
        "--expect",
        "bye",
    ])
    .unwrap();
    let typed: Vec<_> = plan.expectations.iter().map(|e| e.typed.as_str()).collect();
    assert_eq!(
        typed,
        [
            "--expect-hex 'AA ??'",
            "--expect 'OK'",
            "--expect-regex '^T=\\d+$'",
            "--expect 'bye'",
        ]
    );
    assert!(
        plan.expectations[0]
            .pattern()
            .is_match(&[0x01, 0xAA, 0x02, 0x03])
    );
    assert!(plan.expectations[1].pattern().is_match(b"all OK\r\n"));
    assert!(plan.expectations[2].pattern().is_match(b"T=25"));
    assert!(plan.expectations.iter().all(|e| e.met.is_none()));

    let error = plan_of(&[
        "tcp-client",
        "--connect",
        "127.0.0.1:7000",
        "--expect-regex",
        "(",
    ])
    .err()
    .unwrap();
    assert!(error.starts_with("--expect-regex '(': "), "{error}");
}

#[test]
fn flags_override_a_loaded_preset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.ron");
    Preset {
        local_port: "10000".to_owned(),
        echo: true,
        view: DataView::Text,
        ..Preset::default()
    }
    .save(&path)
    .unwrap();
    let path = path.to_str().unwrap();

    let plan = plan_of(&[
        "run",
        path,
        "--bind",
        "127.0.0.1:9",
        "--hex",
        "--seconds",
        "1.5",
    ])
    .unwrap();
    assert_eq!(
        (
            plan.preset.local_ip.as_str(),
            plan.preset.local_port.as_str()
        ),
        ("127.0.0.1", "9")
    );
    assert!(matches!(
        plan.config.mode,
        Mode::TcpServer { bind, .. } if bind == SocketAddr::from(([127, 0, 0, 1], 9))
    ));
    // What the flags do not mention stays as the preset has it.
    assert!(plan.preset.echo && plan.config.echo);
    assert_eq!(plan.preset.view, DataView::Hex);
    assert_eq!(plan.seconds, Some(Duration::from_millis(1500)));
}

#[test]
fn seconds_must_be_a_time() {
    for bad in ["-1", "NaN", "inf"] {
        let error = plan_of(&[
            "tcp-server",
            "--bind",
            "127.0.0.1:0",
            &format!("--seconds={bad}"),
        ])
        .err()
        .unwrap();
        assert_eq!(error, format!("--seconds {bad} is not a time"));
    }
    assert!(
        plan_of(&["tcp-server", "--bind", "127.0.0.1:0", "--seconds", "soon"])
            .err()
            .unwrap()
            .contains("invalid value 'soon'")
    );
}

#[test]
fn every_needs_something_to_send() {
    let error = plan_of(&["tcp-server", "--bind", "127.0.0.1:0", "--every", "100"])
        .err()
        .unwrap();
    assert_eq!(
        error,
        "--every needs something to send: --send or --send-hex"
    );
}

#[test]
fn a_send_of_nothing_is_refused_once_or_every_so_often() {
    for (flag, value, every) in [
        ("--send", "", false),
        ("--send", "", true),
        ("--send-hex", " ", true),
        ("--send-hex", "", false),
    ] {
        let mut args = vec!["tcp-server", "--bind", "127.0.0.1:0", flag, value];
        if every {
            args.extend(["--every", "100"]);
        }
        let error = plan_of(&args).err().unwrap();
        assert_eq!(
            error,
            format!("{flag} '{value}': nothing to send: it makes no bytes")
        );
    }
    // A line end alone is something to send.
    let plan = plan_of(&[
        "tcp-server",
        "--bind",
        "127.0.0.1:0",
        "--send",
        "",
        "--line-end",
        "crlf",
    ]);
    assert!(plan.is_ok());
}

#[test]
fn tls_flags_switch_tls_on_for_the_end_they_belong_to() {
    use crate::engine::{TlsConnect, TlsIdentity, TlsVerify};
    let plan = plan_of(&[
        "tcp-client",
        "--connect",
        "127.0.0.1:8883",
        "--tls-insecure",
        "--sni",
        "board.local",
    ])
    .unwrap();
    assert_eq!(
        plan.config.tls_connect,
        Some(TlsConnect {
            verify: TlsVerify::AcceptAny,
            server_name: Some("board.local".to_owned())
        })
    );
    let without = plan_of(&["tcp-client", "--connect", "127.0.0.1:1883"]).unwrap();
    assert_eq!(without.config.tls_connect, None);
    let server = plan_of(&["tcp-server", "--bind", "127.0.0.1:0", "--self-signed"]).unwrap();
    assert_eq!(
        server.config.tls_accept.unwrap().identity,
        TlsIdentity::SelfSigned { save: None }
    );
    let refusals = [
        (
            &["udp", "--bind", "127.0.0.1:0", "--tls"][..],
            "UDP has none",
        ),
        (
            &["tcp-server", "--bind", "127.0.0.1:0", "--tls-insecure"][..],
            "for a TLS client",
        ),
        (
            &["tcp-client", "--connect", "h:1", "--self-signed"][..],
            "for a TLS server",
        ),
        (
            &["tcp-server", "--bind", "127.0.0.1:0", "--tls"][..],
            "needs a certificate",
        ),
        (
            &["tcp-server", "--bind", "127.0.0.1:0", "--cert", "c.pem"][..],
            "--key",
        ),
        (
            &[
                "tcp-client",
                "--connect",
                "h:1",
                "--tls-insecure",
                "--ca",
                "ca.pem",
            ][..],
            "'--tls-insecure' cannot be used with '--ca <FILE>'",
        ),
    ];
    for (args, want) in refusals {
        let Err(error) = plan_of(args) else {
            panic!("{args:?} should be refused");
        };
        assert!(error.contains(want), "{args:?}: {error}");
    }
}

#[test]
fn a_relay_takes_tls_for_each_side_by_its_own_flags() {
    use crate::engine::{TlsConnect, TlsIdentity, TlsVerify};
    let relay = [
        "relay",
        "--bind",
        "127.0.0.1:0",
        "--to",
        "cloud.example:8883",
    ];
    let plain = plan_of(&relay).unwrap();
    assert_eq!(
        (plain.config.tls_accept, plain.config.tls_connect),
        (None, None)
    );
    let target = plan_of(&[&relay[..], &["--tls-target"]].concat()).unwrap();
    assert_eq!(target.config.tls_accept, None);
    assert_eq!(
        target.config.tls_connect,
        Some(TlsConnect {
            verify: TlsVerify::SystemRoots,
            server_name: None
        })
    );
    // The client's flags are the target side's, the server's the devices' side's (their files are
    // read before a plan is made).
    let dir = tempfile::tempdir().unwrap();
    let pair = crate::engine::self_signed(None).unwrap();
    let (ca, key) = (dir.path().join("cloud-ca.pem"), dir.path().join("k.pem"));
    std::fs::write(&ca, &pair.cert_pem).unwrap();
    std::fs::write(&key, &pair.key_pem).unwrap();
    let (ca, key) = (ca.to_str().unwrap(), key.to_str().unwrap());
    let both =
        plan_of(&[&relay[..], &["--ca", ca, "--sni", "cloud", "--self-signed"]].concat()).unwrap();
    assert!(both.preset.tls.enabled && both.preset.target_tls.enabled);
    assert_eq!(
        both.config.tls_connect,
        Some(TlsConnect {
            verify: TlsVerify::CaFile(ca.into()),
            server_name: Some("cloud".to_owned())
        })
    );
    assert_eq!(
        both.config.tls_accept.unwrap().identity,
        TlsIdentity::SelfSigned { save: None }
    );
    let device =
        plan_of(&[&relay[..], &["--tls-device", "--cert", ca, "--key", key]].concat()).unwrap();
    assert_eq!(device.config.tls_connect, None);
    assert_eq!(
        device.config.tls_accept.unwrap().identity,
        TlsIdentity::Files {
            cert: ca.into(),
            key: key.into()
        }
    );
    for (args, want) in [
        (&["--tls"][..], "two sides"),
        (&["--tls-device"][..], "needs a certificate"),
    ] {
        let Err(error) = plan_of(&[&relay[..], args].concat()) else {
            panic!("{args:?} should be refused");
        };
        assert!(error.contains(want), "{args:?}: {error}");
    }
    let Err(error) = plan_of(&["tcp-client", "--connect", "h:1", "--tls-target"]) else {
        panic!("--tls-target on a client should be refused");
    };
    assert!(error.contains("are for a relay"), "{error}");
}

#[test]
fn a_udp_preset_with_tls_on_is_refused_rather_than_run_as_plain_udp() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("udp.ron");
    let mut preset = Preset {
        mode: ModeKind::Udp,
        local_ip: "127.0.0.1".to_owned(),
        local_port: "0".to_owned(),
        ..Preset::default()
    };
    preset.save(&path).unwrap();
    assert!(plan_of(&["run", path.to_str().unwrap()]).is_ok());
    preset.tls.enabled = true;
    preset.save(&path).unwrap();
    let Err(error) = plan_of(&["run", path.to_str().unwrap()]) else {
        panic!("a UDP preset with TLS on should be refused");
    };
    assert!(error.contains("UDP has no TCP connection"), "{error}");
    assert!(!error.contains("  "), "{error}");
}

#[test]
fn a_preset_keeps_its_self_signed_certificate_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.ron");
    Preset::default().save(&path).unwrap();
    let plan = plan_of(&["run", path.to_str().unwrap(), "--self-signed"]).unwrap();
    assert!(plan.preset.tls.enabled);
    assert_eq!(
        plan.config.tls_accept.unwrap().identity,
        crate::engine::TlsIdentity::SelfSigned {
            save: Some((
                dir.path().join("board.cert.pem"),
                dir.path().join("board.key.pem")
            ))
        }
    );
}
