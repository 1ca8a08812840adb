//! Record and replay: a conversation read back from a pcapng file ([`crate::pcap::read`]) played again
//! as one of its ends, so the PC side can be tested without the board (replaying the device), or a
//! board without the PC program (replaying the PC).
//!
//! A replay is a device check ([`crate::check`]) made from the recording (`steps.rs`): the replayer
//! connects, or listens and waits for the client, as its end did, sends what its end sent byte for byte,
//! either at the recorded gaps ([`Timing::Original`]) or each after what the other end sent before it
//! has arrived ([`Timing::Wait`], matched exactly, in order), and ends as its end did. It runs on the
//! existing check runner, so it says PASS or FAIL with each step's time and what arrived instead, in the
//! command line's text, JSON lines and `JUnit`, and in the window.
//!
//! Which end was the device: NetAssist names each session's mode in its pcapng interface, and the device
//! is the end that was not NetAssist: a TCP server's client, a TCP client's server, the remote of a UDP
//! socket (found by the socket's port). For other files, `--device IP:PORT` says which end it was.

mod steps;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use steps::{EXPECT_PIECE, exact_regex, span, steps};

use crate::addr::split_host_port;
use crate::check::{Check, DEFAULT_WAIT_CLIENT_MS, DEFAULT_WITHIN_MS, Step};
use crate::pcap::read::{Conversation, ReadError, Recording, Transport};
use crate::preset::{ModeKind, Preset};

/// Which end of the recording the replayer plays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Side {
    /// The device (the board): the end that was not NetAssist.
    #[default]
    Device,
    /// The PC: NetAssist's end.
    Pc,
}

impl std::str::FromStr for Side {
    type Err = String;

    /// `device` or `pc`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "device" => Ok(Self::Device),
            "pc" => Ok(Self::Pc),
            _ => Err(format!("'{text}' is not a side: device or pc")),
        }
    }
}

/// When the replayer sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Timing {
    /// At the recorded gaps, whatever arrives.
    #[default]
    Original,
    /// Each send after what the other end sent before it in the recording has arrived (matched exactly,
    /// in order), then after as long as its end took to answer.
    Wait,
}

impl std::str::FromStr for Timing {
    type Err = String;

    /// `original` or `wait`.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "original" => Ok(Self::Original),
            "wait" => Ok(Self::Wait),
            _ => Err(format!("'{text}' is not a timing: original or wait")),
        }
    }
}

/// What to replay, and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Which end to play.
    pub side: Side,
    /// When to send.
    pub timing: Timing,
    /// Which conversation, counted from 1 in the order they began (default: the first).
    pub connection: Option<usize>,
    /// The device's address in the recording, for files that do not say which end it was.
    pub device: Option<SocketAddr>,
    /// Where to connect (an end that was a TCP client) or send (UDP), as `HOST:PORT`, instead of the
    /// recorded address.
    pub connect: Option<String>,
    /// Where to listen (an end that was a TCP server) or bind (UDP), as `IP:PORT`, instead of every
    /// address at the recorded port.
    pub bind: Option<String>,
}

/// A replay ready to run: a preset with its session and its one check.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// The session to open (mode and addresses) with the replay's check as its only check.
    pub preset: Preset,
    /// Which conversation, from 1, and how many the file holds.
    pub connection: (usize, usize),
    /// The device's and the PC's addresses in the recording.
    pub device: SocketAddr,
    /// The PC's address in the recording.
    pub pc: SocketAddr,
    /// TCP or UDP.
    pub transport: Transport,
    /// Bytes the recording lacks (gaps in a capture), which cannot be replayed.
    pub missing: u64,
}

impl Replay {
    /// The check the replay runs.
    #[must_use]
    pub fn check(&self) -> &Check {
        &self.preset.checks[0]
    }
}

/// Why a recording cannot be replayed.
#[derive(Debug)]
pub enum ReplayError {
    /// The file could not be read as pcapng.
    Read(ReadError),
    /// The file holds no TCP connection and no UDP datagrams.
    NoConversation(PathBuf),
    /// `--connection` beyond the conversations there are.
    NoSuchConnection {
        /// The number asked for.
        asked: usize,
        /// How many there are.
        count: usize,
    },
    /// The file does not say which end was the device (not written by NetAssist, or a UDP socket on
    /// port 0), and `--device` was not given.
    UnknownDevice {
        /// The two ends.
        ends: [SocketAddr; 2],
    },
    /// `--device` is neither end of the conversation.
    NotAnEnd {
        /// The address given.
        device: SocketAddr,
        /// The two ends.
        ends: [SocketAddr; 2],
    },
    /// An address to use is not `HOST:PORT`, or the recorded one is a wildcard that cannot be sent to.
    Address {
        /// The flag it came from (`--connect`, `--bind`).
        flag: &'static str,
        /// What was typed or recorded.
        text: String,
    },
}

impl From<ReadError> for ReplayError {
    fn from(error: ReadError) -> Self {
        Self::Read(error)
    }
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(error) => error.fmt(f),
            Self::NoConversation(path) => write!(
                f,
                "{} holds no TCP connection or UDP datagram to replay",
                path.display()
            ),
            Self::NoSuchConnection { asked, count } => write!(
                f,
                "there is no connection {asked}: the recording holds {count} (--connection 1 to {count})"
            ),
            Self::UnknownDevice { ends: [a, b] } => write!(
                f,
                "the recording does not say which end was the device ({a} or {b}): give it with --device IP:PORT"
            ),
            Self::NotAnEnd {
                device,
                ends: [a, b],
            } => write!(
                f,
                "--device {device} is not an end of this connection: its ends are {a} and {b}"
            ),
            Self::Address { flag, text } => write!(
                f,
                "{flag} '{text}' is not an address to use: give IP:PORT (HOST:PORT to connect to)"
            ),
        }
    }
}

impl ReplayError {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Read(error) => error.zh(),
            Self::NoConversation(path) => {
                format!("{} 中没有可回放的 TCP 连接或 UDP 数据报", path.display())
            }
            Self::NoSuchConnection { asked, count } => {
                format!("没有第 {asked} 个连接：记录中共有 {count} 个（--connection 1 到 {count}）")
            }
            Self::UnknownDevice { ends: [a, b] } => {
                format!("记录中没有说明哪一端是设备（{a} 或 {b}）：请用 --device IP:端口 指定")
            }
            Self::NotAnEnd {
                device,
                ends: [a, b],
            } => format!("--device {device} 不是此连接的一端：两端为 {a} 和 {b}"),
            Self::Address { flag, text } => {
                format!("{flag} “{text}”不是可用的地址：请给出 IP:端口（连接时可用 主机:端口）")
            }
        }
    }
}

impl std::error::Error for ReplayError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Read(error) => Some(error),
            _ => None,
        }
    }
}

/// NetAssist's session as its pcapng interface names it (`Session opened: TCP server on 0.0.0.0:10000`,
/// always in English): which kind, and the bound address of a UDP socket.
fn recorded_session(description: &str) -> Option<(ModeKind, Option<SocketAddr>)> {
    let mode = description.strip_prefix("Session opened: ")?;
    if mode.starts_with("TCP server on ") {
        return Some((ModeKind::TcpServer, None));
    }
    if mode.starts_with("TCP client to ") {
        return Some((ModeKind::TcpClient, None));
    }
    let udp = mode.strip_prefix("UDP on ")?;
    let bind = udp.split(", to ").next()?.parse().ok();
    Some((ModeKind::Udp, bind))
}

/// Which end (0 or 1) of `conversation` was the device.
fn device_end(
    conversation: &Conversation,
    device: Option<SocketAddr>,
) -> Result<usize, ReplayError> {
    let ends = conversation.ends;
    if let Some(device) = device {
        return ends
            .iter()
            .position(|end| *end == device)
            .ok_or(ReplayError::NotAnEnd { device, ends });
    }
    let unknown = ReplayError::UnknownDevice { ends };
    let session = conversation.interface.as_deref().and_then(recorded_session);
    match session {
        // A server's device connected to it; a client's device was connected to.
        Some((ModeKind::TcpServer, _)) if conversation.opened => Ok(0),
        Some((ModeKind::TcpClient, _)) if conversation.opened => Ok(1),
        Some((ModeKind::Udp, Some(bind))) if bind.port() != 0 => {
            let ours: Vec<usize> = (0..2)
                .filter(|&i| {
                    let end = ends[i];
                    end.port() == bind.port()
                        && (bind.ip().is_unspecified()
                            || end.ip().is_unspecified()
                            || end.ip() == bind.ip())
                })
                .collect();
            match ours[..] {
                [pc] => Ok(1 - pc),
                _ => Err(unknown),
            }
        }
        _ => Err(unknown),
    }
}

/// The `HOST:PORT` of `text` as the preset's host and port fields, or the error naming `flag`.
fn host_port(flag: &'static str, text: &str) -> Result<(String, String), ReplayError> {
    let (host, port) = split_host_port(text).map_err(|_| ReplayError::Address {
        flag,
        text: text.to_owned(),
    })?;
    if port.parse::<u16>().is_err() {
        return Err(ReplayError::Address {
            flag,
            text: text.to_owned(),
        });
    }
    Ok((host.to_owned(), port.to_owned()))
}

/// The replay of `recording` (read from `path`) that `options` ask for.
pub fn plan(recording: &Recording, path: &Path, options: &Options) -> Result<Replay, ReplayError> {
    let count = recording.conversations.len();
    if count == 0 {
        return Err(ReplayError::NoConversation(path.to_owned()));
    }
    let number = options.connection.unwrap_or(1);
    let conversation = number
        .checked_sub(1)
        .and_then(|i| recording.conversations.get(i))
        .ok_or(ReplayError::NoSuchConnection {
            asked: number,
            count,
        })?;
    let device = device_end(conversation, options.device)?;
    let me = match options.side {
        Side::Device => device,
        Side::Pc => 1 - device,
    };
    let (mine, theirs) = (conversation.ends[me], conversation.ends[1 - me]);
    // The end that opened a TCP connection was its client.
    let client = conversation.transport == Transport::Tcp && me == 0;
    let mut preset = Preset {
        mode: match (conversation.transport, client) {
            (Transport::Udp, _) => ModeKind::Udp,
            (Transport::Tcp, true) => ModeKind::TcpClient,
            (Transport::Tcp, false) => ModeKind::TcpServer,
        },
        local_ip: String::new(),
        remote_host: String::new(),
        ..Preset::default()
    };
    if preset.mode != ModeKind::TcpClient {
        let bind = options
            .bind
            .clone()
            .unwrap_or_else(|| SocketAddr::new([0, 0, 0, 0].into(), mine.port()).to_string());
        (preset.local_ip, preset.local_port) = host_port("--bind", &bind)?;
    }
    if preset.mode != ModeKind::TcpServer {
        let recorded = (!theirs.ip().is_unspecified()).then(|| theirs.to_string());
        let connect = options
            .connect
            .clone()
            .or(recorded)
            .ok_or_else(|| ReplayError::Address {
                flag: "--connect",
                text: theirs.to_string(),
            })?;
        (preset.remote_host, preset.remote_port) = host_port("--connect", &connect)?;
    }
    let first = match preset.mode {
        ModeKind::TcpClient => Some(Step::Connect {
            within_ms: DEFAULT_WITHIN_MS,
        }),
        ModeKind::TcpServer | ModeKind::Relay => Some(Step::WaitClient {
            within_ms: DEFAULT_WAIT_CLIENT_MS,
        }),
        ModeKind::Udp => None,
    };
    let side = match options.side {
        Side::Device => "device",
        Side::Pc => "pc",
    };
    preset.checks = vec![Check {
        name: format!("replay {number} as {side}"),
        steps: steps(conversation, me, options.timing, first),
    }];
    Ok(Replay {
        preset,
        connection: (number, count),
        device: conversation.ends[device],
        pc: conversation.ends[1 - device],
        transport: conversation.transport,
        missing: conversation.missing,
    })
}

/// Reads `path` and plans the replay `options` ask for.
pub fn load(path: &Path, options: &Options) -> Result<Replay, ReplayError> {
    let recording = crate::pcap::read::read(path)?;
    plan(&recording, path, options)
}

#[cfg(test)]
mod tests;
