use std::time::{Duration, SystemTime};

use super::*;
use crate::pcap::read::{Chunk, Close};

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn conversation(transport: Transport, interface: Option<&str>) -> Conversation {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
    Conversation {
        transport,
        ends: [addr("127.0.0.1:40000"), addr("127.0.0.1:10000")],
        opened: transport == Transport::Tcp,
        started: at,
        chunks: vec![Chunk {
            at,
            from: 0,
            bytes: b"Hello".to_vec(),
        }],
        closes: [Some((Close::Fin, at)), None],
        missing: 0,
        interface: interface.map(str::to_owned),
    }
}

fn recording(conversations: Vec<Conversation>) -> Recording {
    Recording {
        conversations,
        ..Recording::default()
    }
}

fn options(side: Side) -> Options {
    Options {
        side,
        ..Options::default()
    }
}

const SERVER: &str = "Session opened: TCP server on 0.0.0.0:10000";

#[test]
fn the_device_is_the_end_that_was_not_netassist() {
    let path = Path::new("r.pcapng");
    let server = recording(vec![conversation(Transport::Tcp, Some(SERVER))]);
    let replay = plan(&server, path, &options(Side::Device)).unwrap();
    assert_eq!(replay.device, addr("127.0.0.1:40000"));
    // The board connected to NetAssist: its replay connects to where it connected.
    assert_eq!(replay.preset.mode, ModeKind::TcpClient);
    assert_eq!(
        (
            replay.preset.remote_host.as_str(),
            replay.preset.remote_port.as_str()
        ),
        ("127.0.0.1", "10000")
    );
    assert_eq!(
        replay.check().steps[0],
        Step::Connect {
            within_ms: DEFAULT_WITHIN_MS
        }
    );
    assert_eq!(replay.check().steps.last(), Some(&Step::Disconnect));
    // As the PC it listens on every address at NetAssist's port, or where it is told.
    let pc = plan(&server, path, &options(Side::Pc)).unwrap();
    assert_eq!(pc.preset.mode, ModeKind::TcpServer);
    assert_eq!(
        (pc.preset.local_ip.as_str(), pc.preset.local_port.as_str()),
        ("0.0.0.0", "10000")
    );
    let told = Options {
        bind: Some("127.0.0.1:0".to_owned()),
        ..options(Side::Pc)
    };
    assert_eq!(plan(&server, path, &told).unwrap().preset.local_port, "0");
    assert!(pc.preset.compile_check(pc.check()).is_ok());

    let client = recording(vec![conversation(
        Transport::Tcp,
        Some("Session opened: TCP client to 127.0.0.1:10000"),
    )]);
    assert_eq!(
        plan(&client, path, &options(Side::Device)).unwrap().device,
        addr("127.0.0.1:10000")
    );

    let udp = recording(vec![conversation(
        Transport::Udp,
        Some("Session opened: UDP on 0.0.0.0:10000, to 127.0.0.1:40000"),
    )]);
    let replay = plan(&udp, path, &options(Side::Device)).unwrap();
    assert_eq!(replay.device, addr("127.0.0.1:40000"));
    assert_eq!(replay.preset.mode, ModeKind::Udp);
    assert_eq!(replay.preset.local_port, "40000");
    assert!(replay.preset.compile_check(replay.check()).is_ok());
}

#[test]
fn a_file_that_does_not_say_needs_device_and_errors_say_why_in_both_languages() {
    let path = Path::new("r.pcapng");
    let foreign = recording(vec![conversation(Transport::Tcp, None)]);
    let error = plan(&foreign, path, &options(Side::Device)).unwrap_err();
    assert!(error.to_string().contains("--device IP:PORT"), "{error}");
    assert!(error.zh().contains("--device"), "{}", error.zh());
    let told = Options {
        device: Some(addr("127.0.0.1:10000")),
        ..options(Side::Device)
    };
    let replay = plan(&foreign, path, &told).unwrap();
    assert_eq!(replay.preset.mode, ModeKind::TcpServer);
    let wrong = Options {
        device: Some(addr("127.0.0.1:1")),
        ..options(Side::Device)
    };
    assert!(matches!(
        plan(&foreign, path, &wrong),
        Err(ReplayError::NotAnEnd { .. })
    ));
    // A UDP socket on port 0 does not say its port either.
    let udp = recording(vec![conversation(
        Transport::Udp,
        Some("Session opened: UDP on 127.0.0.1:0"),
    )]);
    assert!(matches!(
        plan(&udp, path, &options(Side::Pc)),
        Err(ReplayError::UnknownDevice { .. })
    ));

    let none = plan(&recording(vec![]), path, &options(Side::Device)).unwrap_err();
    assert_eq!(
        none.to_string(),
        "r.pcapng holds no TCP connection or UDP datagram to replay"
    );
    assert_eq!(none.zh(), "r.pcapng 中没有可回放的 TCP 连接或 UDP 数据报");
    let beyond = Options {
        connection: Some(3),
        ..options(Side::Device)
    };
    let error = plan(&foreign, path, &beyond).unwrap_err();
    assert!(error.to_string().contains("holds 1"), "{error}");
    assert!(error.zh().contains("共有 1 个"), "{}", error.zh());
    let bad = Options {
        connect: Some("board".to_owned()),
        ..told
    };
    let error = plan(
        &foreign,
        path,
        &Options {
            side: Side::Pc,
            ..bad
        },
    )
    .unwrap_err();
    assert!(
        error.to_string().starts_with("--connect 'board'"),
        "{error}"
    );
}

#[test]
fn sides_and_timings_are_read_by_name() {
    assert_eq!("PC".parse::<Side>(), Ok(Side::Pc));
    assert_eq!("device".parse::<Side>(), Ok(Side::Device));
    assert!("board".parse::<Side>().is_err());
    assert_eq!("wait".parse::<Timing>(), Ok(Timing::Wait));
    assert_eq!("original".parse::<Timing>(), Ok(Timing::Original));
    assert!("fast".parse::<Timing>().is_err());
}
