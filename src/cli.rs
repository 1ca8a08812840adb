//! The headless command line: the same engine, codecs, presets and reply rules as the window, without one,
//! so a lab script can check a board.
//!
//! Every way in becomes a [`Preset`]: `run PRESET.ron` loads one, the other subcommands start from the
//! default, and flags override its values. The preset then gives the engine configuration (with its rules),
//! the framing and the display, exactly as in the window. Events go through a [`TrafficLog`], so the lines
//! printed are the log's rows (framed messages and connection notes) in the window's line format, or one
//! JSON object each with `--json`. `--expect` flags are checked in order against received messages.
//!
//! Exit codes ([`run`]): 0 when every expectation was met (or none was given and the session ended
//! cleanly), 1 when one was not met in time, 2 for bad arguments or a bad preset, 3 when the network
//! refused (bind or connect failed).

use std::ffi::OsString;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use serde_json::{Map, Value, json};

use crate::addr::split_host_port;
use crate::capture::{Display, clock_text, dir_text, iso_text, peer_name, row_line};
use crate::codec::{FramerConfig, Framing, InputMode, TextEncoding, decode_for_display, hex};
use crate::engine::{self, Command, Event, Mode, NetError, Target};
use crate::preset::{DataView, ModeKind, Preset};
use crate::rules::{Match, Pattern, Rule};
use crate::traffic::{LogConfig, Note, Row, RowKind, TrafficLog};

/// Exit code: bad arguments or a bad preset.
const EXIT_USAGE: u8 = 2;
/// Exit code: an expectation was not met in time.
const EXIT_UNMET: u8 = 1;
/// Exit code: the network refused (bind or connect failed).
const EXIT_NETWORK: u8 = 3;

/// How often the loop looks at Ctrl+C and the clock while no event comes.
const TICK: Duration = Duration::from_millis(50);

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
    /// Run a preset saved by the window; flags override its values.
    Run {
        /// The preset file (.ron).
        preset: PathBuf,
        /// Listen on (server, UDP) this address instead of the preset's.
        #[arg(long, value_name = "IP:PORT")]
        bind: Option<String>,
        /// Connect (client) to this server instead of the preset's.
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

/// Options every subcommand takes; given ones override the preset's values.
#[derive(Args, Debug)]
pub struct Common {
    /// Stop after this many seconds.
    #[arg(long, value_name = "N")]
    pub seconds: Option<f64>,
    /// Send everything received straight back.
    #[arg(long)]
    pub echo: bool,
    /// Text to send (with the preset's send options): to each client as it connects, or once (client, UDP).
    #[arg(long, value_name = "TEXT")]
    pub send: Vec<String>,
    /// Hex to send, such as "AA 55 01"; like --send, in order with it.
    #[arg(long, value_name = "HEX")]
    pub send_hex: Vec<String>,
    /// Send the --send/--send-hex bytes every MS milliseconds instead of once.
    #[arg(long, value_name = "MS")]
    pub every: Option<u64>,
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
    /// Expect a received message containing this text (repeatable; met in the order given).
    #[arg(long, value_name = "TEXT")]
    pub expect: Vec<String>,
    /// Expect a received message in which this regex is found.
    #[arg(long, value_name = "RE")]
    pub expect_regex: Vec<String>,
    /// Expect a received message containing these bytes ("??" is any byte).
    #[arg(long, value_name = "HEX")]
    pub expect_hex: Vec<String>,
    /// TCP server: refuse clients beyond this many.
    #[arg(long, value_name = "N")]
    pub max_clients: Option<usize>,
    // The example has no `{n}`: clap's help reads that as a line break.
    /// A reply rule, KIND:PATTERN=>REPLY, such as 'regex:^look (\d+)$=>OK $1' (repeatable, tried in
    /// order; replaces the preset's rules).
    #[arg(long, value_name = "RULE")]
    pub rule: Vec<Rule>,
}

/// Runs the command line on `args` (the program name first) and says how it ended.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        // Help and version are "errors" that print to stdout and exit 0; usage errors exit 2.
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    let plan = Cli::from_arg_matches(&matches)
        .map_err(|error| error.to_string())
        .and_then(|cli| Plan::new(cli.command, &matches));
    match plan {
        Ok(plan) => plan.run(),
        Err(message) => {
            eprintln!("netassist: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// One `--expect*` flag: what it looks for and when it was met.
struct Expectation {
    /// The flag and its value, as typed, for the summary.
    typed: String,
    pattern: Pattern,
    met: Option<SystemTime>,
}

/// Everything decided before the session starts.
struct Plan {
    preset: Preset,
    config: engine::SessionConfig,
    sends: Vec<Bytes>,
    every: Option<Duration>,
    expectations: Vec<Expectation>,
    seconds: Option<Duration>,
    json: bool,
}

/// Values of the repeatable flags `ids` (with `make` turning each value into an item), in the order they
/// were given on the command line, whichever flag each came from.
fn in_order<T>(
    matches: &ArgMatches,
    flags: &[(&str, &[String])],
    mut make: impl FnMut(&str, &str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    for (id, values) in flags {
        let indices = matches.indices_of(id).into_iter().flatten();
        for (index, value) in indices.zip(values.iter()) {
            items.push((index, make(id, value)?));
        }
    }
    items.sort_by_key(|(index, _)| *index);
    Ok(items.into_iter().map(|(_, item)| item).collect())
}

/// Splits `HOST:PORT` (an IPv6 host in brackets) into the preset's host and port fields, as typed: the
/// preset checks them as it does the window's.
fn host_port(text: &str) -> Result<(String, String), String> {
    let (host, port) = split_host_port(text).map_err(|error| error.to_string())?;
    Ok((host.to_owned(), port.to_owned()))
}

fn set_local(preset: &mut Preset, bind: &str) -> Result<(), String> {
    (preset.local_ip, preset.local_port) = host_port(bind)?;
    Ok(())
}

fn set_remote(preset: &mut Preset, remote: &str) -> Result<(), String> {
    (preset.remote_host, preset.remote_port) = host_port(remote)?;
    Ok(())
}

/// The preset a subcommand describes: loaded (`run`) or the default, with the subcommand's addresses set.
fn preset_of(command: CliCommand) -> Result<(Preset, Common), String> {
    let fresh = |mode| Preset {
        mode,
        remote_host: String::new(),
        ..Preset::default()
    };
    Ok(match command {
        CliCommand::TcpServer { bind, common } => {
            let mut preset = fresh(ModeKind::TcpServer);
            set_local(&mut preset, &bind)?;
            (preset, common)
        }
        CliCommand::TcpClient { connect, common } => {
            let mut preset = fresh(ModeKind::TcpClient);
            preset.local_ip = String::new();
            set_remote(&mut preset, &connect)?;
            (preset, common)
        }
        CliCommand::Udp {
            bind,
            to,
            broadcast,
            join,
            common,
        } => {
            let mut preset = fresh(ModeKind::Udp);
            set_local(&mut preset, &bind)?;
            if let Some(to) = to {
                set_remote(&mut preset, &to)?;
            }
            preset.broadcast = broadcast;
            preset.multicast_group = join.map(|g| g.to_string()).unwrap_or_default();
            (preset, common)
        }
        CliCommand::Run {
            preset: path,
            bind,
            connect,
            to,
            common,
        } => {
            let loaded = Preset::load(&path).map_err(|e| e.to_string())?;
            for warning in &loaded.warnings {
                eprintln!("netassist: {}: {warning}", path.display());
            }
            let mut preset = loaded.preset;
            if let Some(bind) = bind {
                set_local(&mut preset, &bind)?;
            }
            if let Some(connect) = connect {
                set_remote(&mut preset, &connect)?;
            }
            if let Some(to) = to {
                set_remote(&mut preset, &to)?;
            }
            (preset, common)
        }
    })
}

impl Plan {
    fn new(command: CliCommand, matches: &ArgMatches) -> Result<Self, String> {
        let (_, matches) = matches
            .subcommand()
            .ok_or("a subcommand is needed; see --help")?;
        let (mut preset, common) = preset_of(command)?;
        preset.echo |= common.echo;
        if let Some(encoding) = common.encoding {
            preset.encoding = encoding;
        }
        if let Some(framing) = common.framing.clone() {
            preset.framing = framing;
        }
        if common.hex {
            preset.view = DataView::Hex;
        }
        if let Some(max) = common.max_clients {
            preset.max_clients = max.to_string();
        }
        if !common.rule.is_empty() {
            preset.rules.clone_from(&common.rule);
        }
        let mut config = preset.session().map_err(|error| error.en)?;
        // The window offers no echo for a client; a script asking for one gets it.
        config.echo |= common.echo;

        let send_options = preset.send_options();
        let sends = in_order(
            matches,
            &[("send", &common.send), ("send_hex", &common.send_hex)],
            |id, text| {
                let input = if id == "send" {
                    InputMode::Text
                } else {
                    InputMode::Hex
                };
                let options = crate::codec::SendOptions {
                    input,
                    ..send_options
                };
                options
                    .build(text)
                    .map(Bytes::from)
                    .map_err(|error| format!("--{} '{text}': {error}", id.replace('_', "-")))
            },
        )?;
        if matches!(config.mode, Mode::Udp { remote: None, .. }) && !sends.is_empty() {
            return Err("UDP needs --to HOST:PORT to know where --send goes".to_owned());
        }
        if common.every.is_some() && sends.is_empty() {
            return Err("--every needs something to send: --send or --send-hex".to_owned());
        }
        let expectations = in_order(
            matches,
            &[
                ("expect", &common.expect),
                ("expect_regex", &common.expect_regex),
                ("expect_hex", &common.expect_hex),
            ],
            |id, value| {
                let wanted = match id {
                    "expect" => Match::Contains(value.to_owned()),
                    "expect_regex" => Match::Regex(value.to_owned()),
                    // A hex pattern is a whole message; wildcards around it make it "contains".
                    _ => Match::Hex(format!("* {value} *")),
                };
                let typed = format!("--{} '{value}'", id.replace('_', "-"));
                let pattern = Pattern::new(&wanted, preset.encoding)
                    .map_err(|error| format!("{typed}: {error}"))?;
                Ok(Expectation {
                    typed,
                    pattern,
                    met: None,
                })
            },
        )?;
        let seconds = common
            .seconds
            .map(|s| {
                Duration::try_from_secs_f64(s).map_err(|_| format!("--seconds {s} is not a time"))
            })
            .transpose()?;
        Ok(Self {
            preset,
            config,
            sends,
            every: common.every.map(Duration::from_millis),
            expectations,
            seconds,
            json: common.json,
        })
    }

    fn run(self) -> ExitCode {
        let Self {
            preset,
            config,
            sends,
            every,
            expectations,
            seconds,
            json,
        } = self;
        let udp = preset.mode == ModeKind::Udp;
        let session = match engine::start(config, || {}) {
            Ok(session) => session,
            Err(error) => {
                eprintln!("netassist: {error}");
                return ExitCode::from(EXIT_NETWORK);
            }
        };
        let (interrupt_tx, interrupted) = crossbeam_channel::bounded(1);
        // Only one handler per process; if one is already set, Ctrl+C ends the process as usual.
        let _ = ctrlc::set_handler(move || {
            let _ = interrupt_tx.try_send(());
        });
        let mut runner = Runner {
            session,
            out: Output {
                log: TrafficLog::new(LogConfig {
                    framer: FramerConfig::from(preset.framing.clone()),
                    datagrams: udp,
                    ..LogConfig::default()
                }),
                display: Display::of(&preset),
                json,
                next_seq: 0,
                started: SystemTime::now(),
                expectations,
            },
            sends,
            every,
            mode: preset.mode,
            opened: false,
            periodic_started: false,
            refused: None,
        };
        let deadline = seconds.map(|s| Instant::now() + s);
        let mut idle_due: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d)
                || interrupted.try_recv().is_ok()
                || runner.out.all_met()
            {
                break;
            }
            let wait = [deadline, idle_due]
                .into_iter()
                .flatten()
                .map(|due| due.saturating_duration_since(now))
                .fold(TICK, Duration::min);
            if let Some(event) = runner.session.recv_timeout(wait) {
                runner.handle(&event);
                if matches!(event, Event::Stopped { .. }) {
                    break;
                }
            }
            idle_due = runner.out.log.poll_idle(Instant::now());
            runner.out.print_new();
        }
        runner.finish()
    }
}

/// The session running, and what happens at its events.
struct Runner {
    session: engine::Session,
    out: Output,
    sends: Vec<Bytes>,
    every: Option<Duration>,
    mode: ModeKind,
    /// The session's socket is open: later errors are not a refusal.
    opened: bool,
    periodic_started: bool,
    /// Why the session could not open (bind or connect refused).
    refused: Option<NetError>,
}

impl Runner {
    fn handle(&mut self, event: &Event) {
        match event {
            Event::Listening { .. } | Event::Connected { .. } => self.opened = true,
            Event::Error { error, .. } if !self.opened => self.refused = Some(error.clone()),
            _ => {}
        }
        // Whom to send to: each client as it connects, or once when the session is open.
        let to = match (event, self.mode) {
            (Event::Listening { .. }, ModeKind::Udp)
            | (Event::Connected { .. }, ModeKind::TcpClient) => Some(Target::Default),
            (Event::Connected { peer, .. }, ModeKind::TcpServer) if self.every.is_none() => {
                Some(Target::Peer(*peer))
            }
            (Event::Connected { .. }, ModeKind::TcpServer) => Some(Target::All),
            _ => None,
        };
        if let Some(to) = to.filter(|_| !self.sends.is_empty()) {
            self.send(to);
        }
        self.out.log.apply(event, Instant::now());
        self.out.print_new();
    }

    fn send(&mut self, to: Target) {
        match self.every {
            None => {
                for bytes in &self.sends {
                    self.session.send(Command::Send {
                        to: to.clone(),
                        bytes: bytes.clone(),
                    });
                }
            }
            // A periodic send already runs to every client.
            Some(_) if self.periodic_started => {}
            Some(every) => {
                self.periodic_started = true;
                self.session.send(Command::SendEvery {
                    to,
                    bytes: Bytes::from(self.sends.concat()),
                    every,
                    count: None,
                });
            }
        }
    }

    /// Stops the session, prints its last events, and says how the run ended.
    fn finish(mut self) -> ExitCode {
        self.session.stop();
        for event in self.session.drain().collect::<Vec<_>>() {
            self.handle(&event);
        }
        if let Some(error) = &self.refused {
            eprintln!("netassist: {error}");
            return ExitCode::from(EXIT_NETWORK);
        }
        self.out.summary();
        let expectations = &self.out.expectations;
        if self.out.all_met() || expectations.is_empty() {
            return ExitCode::SUCCESS;
        }
        for (i, e) in expectations
            .iter()
            .enumerate()
            .filter(|(_, e)| e.met.is_none())
        {
            eprintln!(
                "netassist: expectation {} of {} not met: {}",
                i + 1,
                expectations.len(),
                e.typed
            );
        }
        ExitCode::from(EXIT_UNMET)
    }
}

/// Prints the log's rows as they come and checks them against the expectations.
struct Output {
    log: TrafficLog,
    display: Display,
    json: bool,
    /// The sequence number of the next row to print.
    next_seq: u64,
    started: SystemTime,
    /// The `--expect*` flags, met in order.
    expectations: Vec<Expectation>,
}

impl Output {
    /// Prints the rows added since the last call, checking each received message against the first
    /// expectation not yet met.
    fn print_new(&mut self) {
        let mut stdout = std::io::stdout().lock();
        // Rows dropped by the log's budget before being printed are skipped; with rows printed as they
        // come, that would take one read larger than the budget.
        self.next_seq = self.next_seq.max(self.log.first_seq());
        while let Some(row) = self
            .log
            .index_of_seq(self.next_seq)
            .and_then(|i| self.log.row(i))
        {
            self.next_seq += 1;
            let line = if self.json {
                json_line(&self.log, row, self.display).to_string()
            } else {
                row_line(&self.log, row, &self.display)
            };
            // A closed stdout (a pipe into `head`) is no reason to stop the session early.
            let _ = writeln!(stdout, "{line}");
            if let RowKind::Data {
                dir: engine::Direction::Rx,
                bytes,
                ..
            } = &row.kind
                && let Some(next) = self.expectations.iter_mut().find(|e| e.met.is_none())
                && next.pattern.is_match(bytes)
            {
                next.met = Some(row.at);
            }
        }
        let _ = stdout.flush();
    }

    /// Whether expectations were given and all are met.
    fn all_met(&self) -> bool {
        !self.expectations.is_empty() && self.expectations.iter().all(|e| e.met.is_some())
    }

    /// The summary: datagrams the OS dropped (UDP, when it says), and when expectations were given, when
    /// each was met. With `--json`, one `summary` object with `dropped` and `expectations` (also those not
    /// met); nothing when there is neither.
    fn summary(&self) {
        let dropped = self.log.dropped_datagrams();
        let expectations = &self.expectations;
        if expectations.is_empty() && dropped == 0 {
            return;
        }
        let after = |at: SystemTime| {
            at.duration_since(self.started)
                .unwrap_or_default()
                .as_secs_f64()
        };
        if self.json {
            let list: Vec<Value> = expectations
                .iter()
                .map(|e| {
                    json!({
                        "expect": e.typed,
                        "met": e.met.map(iso_text),
                        "after_s": e.met.map(after),
                    })
                })
                .collect();
            println!(
                "{}",
                json!({
                    "time": iso_text(SystemTime::now()),
                    "event": "summary",
                    "dropped": dropped,
                    "expectations": list,
                })
            );
            return;
        }
        if dropped > 0 {
            println!("the OS dropped {dropped} datagram(s): the receive buffer was full");
        }
        if self.all_met() {
            for (i, e) in expectations.iter().enumerate() {
                if let Some(at) = e.met {
                    println!(
                        "expectation {} met at {} (after {:.3} s): {}",
                        i + 1,
                        clock_text(at),
                        after(at),
                        e.typed
                    );
                }
            }
        }
    }
}

/// A row as one JSON object: `time` (ISO 8601), `event`, and for data `dir`, `peer`, `len`, `text`,
/// `hex`; for notes `peer` when one is concerned, `reason` (the note as the window shows it), `addr` for
/// `listening`, `asked`, `granted` and `drops_reported` for `receive_buffer`, and `dropped` (the total) and
/// `new` for `dropped`.
fn json_line(log: &TrafficLog, row: &Row, display: Display) -> Value {
    let mut object = Map::new();
    object.insert("time".into(), iso_text(row.at).into());
    let peer = peer_name(log, row.peer);
    match &row.kind {
        RowKind::Data { dir, bytes, .. } => {
            object.insert("event".into(), "data".into());
            object.insert("dir".into(), dir_text(*dir).to_lowercase().into());
            object.insert("peer".into(), peer.into());
            object.insert("len".into(), bytes.len().into());
            let text = decode_for_display(bytes, display.encoding, display.control);
            object.insert("text".into(), text.into());
            object.insert("hex".into(), hex::format(bytes).into());
        }
        RowKind::Note(note) => {
            let event = match note {
                Note::Listening(addr) => {
                    object.insert("addr".into(), addr.to_string().into());
                    "listening"
                }
                Note::ReceiveBuffer {
                    asked,
                    granted,
                    drops_reported,
                } => {
                    object.insert("asked".into(), (*asked).into());
                    object.insert("granted".into(), (*granted).into());
                    object.insert("drops_reported".into(), (*drops_reported).into());
                    "receive_buffer"
                }
                Note::Dropped { new, total } => {
                    object.insert("dropped".into(), (*total).into());
                    object.insert("new".into(), (*new).into());
                    "dropped"
                }
                Note::Connected(_) => "connected",
                Note::HalfClosed(_) => "half_closed",
                Note::Unsent { .. } => "unsent",
                Note::Closed(_) => "closed",
                Note::Rejected { .. } => "rejected",
                Note::SendDropped { .. } => "send_dropped",
                Note::Joined(_) => "joined",
                Note::Left(_) => "left",
                Note::Error(_) => "error",
                Note::Stopped => "stopped",
            };
            object.insert("event".into(), event.into());
            if !peer.is_empty() {
                object.insert("peer".into(), peer.into());
            }
            object.insert("reason".into(), note.describe().into());
        }
    }
    Value::Object(object)
}
