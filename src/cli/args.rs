//! The command line's arguments as clap reads them: the subcommands and the options every one takes.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::codec::{Checksum, Framing, LineEnding, TextEncoding};
use crate::replay::{Side, Timing};
use crate::rules::Rule;

/// `netassist` with arguments: a session without a window.
#[derive(Parser, Debug)]
#[command(
    name = "netassist",
    version,
    about = "NetAssist (网络调试助手) without a window: run a TCP server, TCP client or UDP socket, print \
             what happens, answer by rules, and check expectations. With no arguments it opens the window."
)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: CliCommand,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum CliCommand {
    /// Listen for TCP clients; print events until Ctrl+C or --seconds.
    TcpServer {
        /// Local address to listen on, such as 0.0.0.0:10000 (port 0: any free port); IPv6 in brackets,
        /// with its scope if it needs one: `[fe80::1%eth0]:10000`.
        #[arg(long, value_name = "IP:PORT")]
        bind: String,
        /// Options every subcommand takes.
        #[command(flatten)]
        common: Common,
    },
    /// Connect to a TCP server.
    TcpClient {
        /// The server, as HOST:PORT (an IPv6 address in brackets: `[::1]:7000`).
        #[arg(long, value_name = "HOST:PORT")]
        connect: String,
        /// Options every subcommand takes.
        #[command(flatten)]
        common: Common,
    },
    /// Send and receive UDP datagrams.
    Udp {
        /// Local address to bind, such as 0.0.0.0:7088.
        #[arg(long, value_name = "IP:PORT")]
        bind: String,
        /// Where --send goes: an address or a host name, such as 192.168.1.5:7088 or board.local:7088.
        #[arg(long, value_name = "HOST:PORT")]
        to: Option<String>,
        /// Allow sending to broadcast addresses.
        #[arg(long)]
        broadcast: bool,
        /// Join this multicast group.
        #[arg(long, value_name = "GROUP")]
        join: Option<IpAddr>,
        /// Options every subcommand takes.
        #[command(flatten)]
        common: Common,
    },
    /// Stand between devices and their server: listen, connect each client on to the target, and print
    /// both directions of each pair (the device's RX rows are what it sent the server, the server side's
    /// RX rows what the server sent back).
    Relay {
        /// Local address to listen on for devices, such as 0.0.0.0:9000.
        #[arg(long, value_name = "IP:PORT")]
        bind: String,
        /// The server each device is connected on to, as HOST:PORT.
        #[arg(long, value_name = "HOST:PORT")]
        to: String,
        /// The session's options; a relay sends nothing of its own, so it takes none of the send flags.
        #[command(flatten)]
        session: SessionFlags,
        /// TLS towards the devices (--tls-device), the target (--tls-target), or both.
        #[command(flatten)]
        tls: TlsFlags,
    },
    /// Check why a board does not connect: this PC's adapters, the bind port (who holds it), the
    /// firewall, and whether a target answers. Exit 0 when nothing is a problem, 1 when something is.
    Doctor(DoctorArgs),
    /// Run a preset's device checks (all, or the one named): each step says PASS or FAIL with its time.
    /// Exit 0 when every check passed, 1 when one failed, 2 for a bad preset or no such check, 3 when the
    /// network refused.
    Check(CheckArgs),
    /// Replay a recording (a pcapng file from --pcap, Export as pcapng or Wireshark) as the device or as
    /// the PC: connect or listen as that end did and send what it sent, byte for byte. It runs as a check:
    /// exit 0 when everything went as recorded, 1 when not, 2 for a file that cannot be replayed, 3 when
    /// the network refused.
    Replay(ReplayArgs),
    /// Run a preset saved by the window; flags override its values.
    Run {
        /// The preset file (.ron).
        preset: PathBuf,
        /// Listen on (server, UDP) this address instead of the preset's.
        #[arg(long, value_name = "IP:PORT")]
        bind: Option<String>,
        /// Connect (client) to this server, or relay to this target, instead of the preset's.
        #[arg(long, value_name = "HOST:PORT")]
        connect: Option<String>,
        /// Send (UDP) to this address or host instead of the preset's.
        #[arg(long, value_name = "HOST:PORT")]
        to: Option<String>,
        /// Options every subcommand takes.
        #[command(flatten)]
        common: Common,
    },
}

/// What `netassist check` runs.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The preset file (.ron) with the checks.
    pub preset: PathBuf,
    /// Run only the check with this name (default: every check of the preset, in order).
    #[arg(long, value_name = "NAME")]
    pub check: Option<String>,
    /// Listen on (server, UDP) this address instead of the preset's, such as 127.0.0.1:10000.
    #[arg(long, value_name = "IP:PORT", conflicts_with = "connect")]
    pub bind: Option<String>,
    /// Connect (client) to this server, or send (UDP) to this address, instead of the preset's.
    #[arg(long, value_name = "HOST:PORT")]
    pub connect: Option<String>,
    /// Print one JSON object per line: one per step result, one per check.
    #[arg(long)]
    pub json: bool,
    /// Also write the results as `JUnit` XML to this file: a testsuite per check, a testcase per step.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also print the traffic (the log's rows), as `netassist run` does.
    #[arg(long)]
    pub traffic: bool,
    /// Write a report to hand in to this file at the end (Markdown; HTML if the name ends in .html): the
    /// PC, the preset, the session, the peers, and each check's steps with PASS or FAIL.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// TLS instead of the preset's settings.
    #[command(flatten)]
    pub tls: TlsFlags,
}

/// TLS over the TCP connection; given ones override the preset's settings, and any of them switches TLS
/// on. A relay has two sides: `--tls-device` with the server's flags, `--tls-target` with the client's.
// Each is a command-line switch of its own; clap reads them as booleans.
#[allow(clippy::struct_excessive_bools)]
#[derive(Args, Debug, Default)]
pub struct TlsFlags {
    /// TLS over the TCP connection: a client verifies the server's certificate against the system's
    /// trusted roots (or --ca), a server presents --cert/--key or --self-signed.
    #[arg(long)]
    pub tls: bool,
    /// Relay: TLS towards the devices; the relay is their TLS server and presents --cert/--key or
    /// --self-signed.
    #[arg(long)]
    pub tls_device: bool,
    /// Relay: TLS towards the target; the relay is its TLS client and verifies its certificate against
    /// the system's trusted roots (or --ca, or not with --tls-insecure), for the target's host (or --sni).
    #[arg(long)]
    pub tls_target: bool,
    /// TCP client, relay's target: accept any server certificate (a device with a self-signed one); it
    /// is still shown. Not with --ca, which it would leave unused.
    #[arg(long, conflicts_with = "ca")]
    pub tls_insecure: bool,
    /// TCP client, relay's target: trust the CA certificates in this PEM file instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// TCP client, relay's target: the server name to send (SNI) and check the certificate against,
    /// instead of the host as given.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// TCP server, relay's devices: the certificate (chain) PEM file; with --self-signed, where it is kept.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// TCP server, relay's devices: the private key PEM file; with --self-signed, where it is kept.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// TCP server, relay's devices: a self-signed certificate (for localhost, 127.0.0.1, `::1` and the
    /// bind address), made once and kept in --cert/--key, or beside the preset with `run`; made for this
    /// run only otherwise.
    #[arg(long)]
    pub self_signed: bool,
}

impl TlsFlags {
    /// Applies the flags to a preset's TLS settings (a relay's `tls` for its devices, `target_tls` for
    /// its target); an error for TLS on UDP, for flags of the other end (a client's on a server, a
    /// server's on a client), for `--tls` on a relay (which side?), and for a relay's flags elsewhere.
    pub(super) fn apply(&self, preset: &mut crate::preset::Preset) -> Result<(), String> {
        use crate::preset::ModeKind;
        let client = self.tls_insecure || self.ca.is_some() || self.sni.is_some();
        let server = self.cert.is_some() || self.self_signed;
        let relay_side = self.tls_device || self.tls_target;
        if !(self.tls || client || server || relay_side) {
            return Ok(());
        }
        let (accepts, makes) = match preset.mode {
            ModeKind::Udp => return Err("TLS needs a TCP connection; UDP has none".to_owned()),
            ModeKind::Relay if self.tls => {
                return Err("a relay has two sides: --tls-device for TLS towards the devices (with \
                            --cert/--key or --self-signed), --tls-target for TLS towards the target \
                            (with --ca, --tls-insecure or --sni)"
                    .to_owned());
            }
            ModeKind::Relay => (server || self.tls_device, client || self.tls_target),
            ModeKind::TcpServer | ModeKind::TcpClient if relay_side => {
                return Err(
                    "--tls-device and --tls-target are for a relay; a server or client takes --tls"
                        .to_owned(),
                );
            }
            ModeKind::TcpServer if client => {
                return Err(
                    "--tls-insecure, --ca and --sni are for a TLS client; a server presents \
                     --cert/--key or --self-signed"
                        .to_owned(),
                );
            }
            ModeKind::TcpClient if server => {
                return Err(
                    "--cert/--key and --self-signed are for a TLS server; a client checks the \
                     server's with --ca or --tls-insecure"
                        .to_owned(),
                );
            }
            ModeKind::TcpServer => (true, false),
            ModeKind::TcpClient => (false, true),
        };
        let text = |path: &PathBuf| path.display().to_string();
        if accepts {
            let tls = &mut preset.tls;
            tls.enabled = true;
            if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
                tls.cert_file = text(cert);
                tls.key_file = text(key);
            }
            tls.self_signed |= self.self_signed;
        }
        if makes {
            let tls = if preset.mode == ModeKind::Relay {
                &mut preset.target_tls
            } else {
                &mut preset.tls
            };
            tls.enabled = true;
            tls.accept_any |= self.tls_insecure;
            if let Some(ca) = &self.ca {
                tls.ca_file = text(ca);
            }
            if let Some(sni) = &self.sni {
                tls.server_name.clone_from(sni);
            }
        }
        Ok(())
    }
}

/// What `netassist replay` plays, and how.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// The recording: a pcapng file.
    pub file: PathBuf,
    /// Which end to play: `device` (the end that was not NetAssist) or `pc` (NetAssist's end).
    #[arg(long = "as", value_name = "SIDE")]
    pub side: Side,
    /// Connect to (an end that was a TCP client) or send to (UDP) this address instead of the recorded
    /// one.
    #[arg(long, value_name = "HOST:PORT")]
    pub connect: Option<String>,
    /// Listen on (an end that was a TCP server) or bind (UDP) this address instead of every address at
    /// the recorded port.
    #[arg(long, value_name = "IP:PORT")]
    pub bind: Option<String>,
    /// `original`: send at the recorded gaps; `wait`: send each after what the other end sent before it
    /// in the recording has arrived (exactly, in order).
    #[arg(long, value_name = "TIMING", default_value = "original")]
    pub timing: Timing,
    /// Which connection of the recording, from 1 in the order they began (default: the first).
    #[arg(long, value_name = "N")]
    pub connection: Option<usize>,
    /// The device's address in the recording, for a file that does not say (one not written by
    /// NetAssist).
    #[arg(long, value_name = "IP:PORT")]
    pub device: Option<SocketAddr>,
    /// Print one JSON object per line: one per step result, one at the end.
    #[arg(long)]
    pub json: bool,
    /// Also write the result as `JUnit` XML to this file.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also print the traffic (the log's rows).
    #[arg(long)]
    pub traffic: bool,
    /// Write a report to hand in to this file at the end.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// TLS for the replayed end, as the recorded session had it (a NetAssist pcapng of a TLS session
    /// holds its decrypted payloads, and says so): `--tls` with a client's or a server's flags.
    #[command(flatten)]
    pub tls: TlsFlags,
}

/// What `netassist doctor` checks. With neither address it lists the adapters only.
#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Where a TCP server listens or a UDP session binds, such as 0.0.0.0:5000: checks the adapters
    /// against it, whether the port can be opened (and which program holds it), and the firewall.
    #[arg(long, value_name = "IP:PORT")]
    pub bind: Option<String>,
    /// A device to test, such as 192.168.1.50:5000: which adapter reaches it, and whether it answers (a
    /// TCP connect, or with --udp an empty datagram).
    #[arg(long, value_name = "HOST:PORT")]
    pub target: Option<String>,
    /// Check UDP instead of TCP.
    #[arg(long)]
    pub udp: bool,
    /// Print one JSON object per finding, one per line.
    #[arg(long)]
    pub json: bool,
}

/// The window's send options as flags, and how the sends end; given ones override the preset's values.
#[derive(Args, Debug, Default)]
pub struct SendFlags {
    /// Read backslash escapes in --send text: \r \n \t \\ \xHH.
    #[arg(long)]
    pub escapes: bool,
    /// Append a line ending to each send: none, cr, lf, crlf.
    #[arg(long, value_name = "END")]
    pub line_end: Option<LineEnding>,
    /// Append a checksum to each send (before the line ending): sum8, xor8, crc16modbus,
    /// crc16-ccitt-false, crc32.
    #[arg(long, value_name = "NAME")]
    pub checksum: Option<Checksum>,
    /// TCP: after the --send bytes, finish sending (a FIN: shutdown of our sending side), as `nc -N` and
    /// many boards do; the peer can still send, and what it sends is still printed.
    #[arg(long)]
    pub half_close: bool,
}

/// Options every subcommand that runs a session takes; given ones override the preset's values.
#[derive(Args, Debug)]
pub struct Common {
    /// What is sent, and how (not for a relay, which forwards what its sides send).
    #[command(flatten)]
    pub sends: Sends,
    /// The session's other options.
    #[command(flatten)]
    pub session: SessionFlags,
    /// TLS over the connection (a relay's two sides by --tls-device and --tls-target).
    #[command(flatten)]
    pub tls: TlsFlags,
}

/// What the session sends of its own accord: the server, client and UDP sessions take these, a relay
/// none of them.
#[derive(Args, Debug, Default)]
pub struct Sends {
    /// Send everything received straight back.
    #[arg(long)]
    pub echo: bool,
    /// Text to send (with the preset's send options): to each client as it connects, or once (client, UDP).
    /// Variables are filled in for each send: `{counter}` `{counter:W}` `{time}` `{unix}` `{unix_ms}`
    /// `{rand:N}`, and checksums over the bytes before them, such as `{crc16modbus}` or `{sum8:2}`; `{{`
    /// writes `{`, and the `}}` that closes it `}`.
    #[arg(long, value_name = "TEXT")]
    pub send: Vec<String>,
    /// Hex to send, such as "AA 55 01" or "AA 55 {counter:2} {crc16modbus}"; like --send, in order with
    /// it.
    #[arg(long, value_name = "HEX")]
    pub send_hex: Vec<String>,
    /// Send the --send/--send-hex messages every MS milliseconds instead of once, each still a message
    /// of its own (`{counter}` counts the times, the same for all of them each time).
    #[arg(long, value_name = "MS")]
    pub every: Option<u64>,
    /// How the sends are built and ended.
    #[command(flatten)]
    pub send_options: SendFlags,
}

/// The options of every session, a relay's included.
#[derive(Args, Debug)]
pub struct SessionFlags {
    /// Stop after this many seconds.
    #[arg(long, value_name = "N")]
    pub seconds: Option<f64>,
    /// Text encoding: UTF-8, GBK, GB18030, ASCII or Latin-1.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<TextEncoding>,
    /// How received bytes are split into messages: raw, delim:#, delim:\r\n, fixed:8, prefix:u16be,
    /// prefix:i32le, idle:50ms.
    #[arg(long, value_name = "FRAMING")]
    pub framing: Option<Framing>,
    /// Show payloads as hex.
    #[arg(long)]
    pub hex: bool,
    /// Print one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Write the session to this file as pcapng, as it happens, for Wireshark: each TCP connection a TCP
    /// stream (handshake, data, FIN or RST), each UDP datagram a UDP packet.
    #[arg(long, value_name = "FILE")]
    pub pcap: Option<PathBuf>,
    /// Write a report to hand in to this file when the session ends (Markdown; HTML if the name ends in
    /// .html): the PC, the preset, the session, the peers with their counters, and the SHA-256 of the
    /// --pcap file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Expect a received message containing this text (repeatable; met in the order given).
    #[arg(long, value_name = "TEXT")]
    pub expect: Vec<String>,
    /// Expect a received message in which this regex is found.
    #[arg(long, value_name = "RE")]
    pub expect_regex: Vec<String>,
    /// Expect a received message containing these bytes ("??" is any byte).
    #[arg(long, value_name = "HEX")]
    pub expect_hex: Vec<String>,
    /// TCP server and relay: refuse clients beyond this many (0, as none: no limit).
    #[arg(long, value_name = "N")]
    pub max_clients: Option<usize>,
    // The example has no `{n}`: clap's help reads that as a line break.
    /// A reply rule, KIND:PATTERN=>REPLY, such as 'regex:^look (\d+)$=>OK $1' (repeatable, tried in
    /// order; replaces the preset's rules).
    #[arg(long, value_name = "RULE")]
    pub rule: Vec<Rule>,
}
