//! Reading pcapng files back with the real `tshark` (Debian's `tshark` package), for the tests of the
//! pcapng recording; without it the tests say they are skipped and pass.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether `tshark` runs here; says the test is skipped when it does not.
pub fn available() -> bool {
    let runs = Command::new("tshark")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !runs {
        eprintln!("skipped: needs tshark (apt-get install tshark)");
    }
    runs
}

/// Runs `tshark -r FILE` with every checksum checked and `args`; returns what it printed, failing the test
/// if it failed.
pub fn read(file: &Path, args: &[&str]) -> String {
    let output = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args([
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ])
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        output.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("tshark prints text")
}

/// How many packets the file holds (that match `filter`, if given).
pub fn count(file: &Path, filter: Option<&str>) -> usize {
    let mut args = vec!["-T", "fields", "-e", "frame.number"];
    if let Some(filter) = filter {
        args.extend(["-Y", filter]);
    }
    read(file, &args).lines().count()
}

/// Packets with expert information worse than a note, or any TCP analysis flag (a segment not captured,
/// a retransmission, a full window, ...), or a bad checksum; each as `frame: messages`. RSTs are left
/// out: Wireshark warns of every reset, and a reset is what happened.
pub fn complaints(file: &Path) -> Vec<String> {
    let filter = "(tcp.analysis.flags && !tcp.analysis.window_update) \
                  || (_ws.expert.severity >= 6291456 && !(tcp.flags.reset == 1)) \
                  || tcp.checksum.status == 0 || udp.checksum.status == 0 \
                  || ip.checksum.status == 0";
    read(
        file,
        &[
            "-Y",
            filter,
            "-T",
            "fields",
            "-e",
            "frame.number",
            "-e",
            "_ws.expert.message",
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

/// What `Follow TCP Stream` shows of stream `index`: each end's bytes, by its address.
pub fn follow_tcp(file: &Path, index: usize) -> BTreeMap<SocketAddr, Vec<u8>> {
    let out = read(file, &["-q", "-z", &format!("follow,tcp,raw,{index}")]);
    let mut nodes: Vec<SocketAddr> = Vec::new();
    let mut bytes: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for line in out.lines() {
        if let Some(node) = line
            .strip_prefix("Node 0: ")
            .or_else(|| line.strip_prefix("Node 1: "))
        {
            nodes.push(node.trim().parse().expect("a node's address"));
        } else if nodes.len() == 2 && !line.starts_with('=') && !line.is_empty() {
            // The second node's data is indented.
            let (side, hex) = match line.strip_prefix('\t') {
                Some(hex) => (1, hex),
                None => (0, line),
            };
            bytes[side].extend(
                (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")),
            );
        }
    }
    assert_eq!(nodes.len(), 2, "follow output: {out}");
    let [first, second] = bytes;
    BTreeMap::from([(nodes[0], first), (nodes[1], second)])
}
