//! From arguments to a [`Plan`]: the preset the flags describe (loaded by `run` or the default, with the
//! flags' overrides), the engine configuration, the bytes to send and the expectations, all checked before
//! anything starts. Repeatable flags keep the order they were typed in, across flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgMatches, FromArgMatches};

use super::args::{Cli, CliCommand, Common, DoctorArgs, Sends};
use crate::addr::{parse_ip, split_host_port};
use crate::codec::{InputMode, Scope, SendOptions, Template};
use crate::doctor::{self, Protocol, Request};
use crate::engine::HostPort;
use crate::engine::{Mode, SessionConfig};
use crate::expect::Expectation;
use crate::preset::{DataView, ModeKind, Preset};
use crate::rules::{Match, Pattern};

/// Everything decided before the session starts.
pub(super) struct Plan {
    /// The preset the flags describe, overrides applied.
    pub(super) preset: Preset,
    /// The engine configuration from the preset.
    pub(super) config: SessionConfig,
    /// What to send on connect (or every `every`), in the order typed, variables and all.
    pub(super) sends: Vec<Template>,
    /// `--every`: send periodically instead of once.
    pub(super) every: Option<Duration>,
    /// `--half-close`: finish sending after the sends.
    pub(super) half_close: bool,
    /// The `--expect*` flags, in the order typed.
    pub(super) expectations: Vec<Expectation>,
    /// `--seconds`: when to stop.
    pub(super) seconds: Option<Duration>,
    /// `--json`: JSON lines instead of text.
    pub(super) json: bool,
    /// `--pcap`: the pcapng file to write the session to.
    pub(super) pcap: Option<PathBuf>,
    /// `--report`: the report to write at the end.
    pub(super) report: Option<PathBuf>,
    /// The preset's file (`run PRESET.ron`), for the report.
    pub(super) preset_file: Option<PathBuf>,
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
        // A subcommand without the flag (a relay has no --send) has no values for it to place.
        if values.is_empty() {
            continue;
        }
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

pub(super) fn set_local(preset: &mut Preset, bind: &str) -> Result<(), String> {
    (preset.local_ip, preset.local_port) = host_port(bind)?;
    Ok(())
}

pub(super) fn set_remote(preset: &mut Preset, remote: &str) -> Result<(), String> {
    (preset.remote_host, preset.remote_port) = host_port(remote)?;
    Ok(())
}

/// The preset a subcommand describes: loaded (`run`, with its file) or the default, with the subcommand's
/// addresses set.
fn preset_of(command: CliCommand) -> Result<(Preset, Common, Option<PathBuf>), String> {
    let fresh = |mode| Preset {
        mode,
        remote_host: String::new(),
        ..Preset::default()
    };
    Ok(match command {
        CliCommand::TcpServer { bind, common } => {
            let mut preset = fresh(ModeKind::TcpServer);
            set_local(&mut preset, &bind)?;
            (preset, common, None)
        }
        CliCommand::TcpClient { connect, common } => {
            let mut preset = fresh(ModeKind::TcpClient);
            preset.local_ip = String::new();
            set_remote(&mut preset, &connect)?;
            (preset, common, None)
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
            (preset, common, None)
        }
        CliCommand::Relay {
            bind,
            to,
            session,
            tls,
        } => {
            let mut preset = fresh(ModeKind::Relay);
            set_local(&mut preset, &bind)?;
            set_remote(&mut preset, &to)?;
            let common = Common {
                sends: Sends::default(),
                session,
                tls,
            };
            (preset, common, None)
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
            // The preset's own files are beside it; files given as flags are as typed.
            let mut preset = loaded.preset.with_tls_paths_from(&path);
            common.tls.apply(&mut preset)?;
            preset.tls.keep_beside(&path);
            if let Some(bind) = bind {
                set_local(&mut preset, &bind)?;
            }
            if let Some(connect) = connect {
                set_remote(&mut preset, &connect)?;
            }
            if let Some(to) = to {
                set_remote(&mut preset, &to)?;
            }
            (preset, common, Some(path))
        }
        CliCommand::Doctor(_) | CliCommand::Check(_) | CliCommand::Replay(_) => {
            return Err("doctor, check and replay have their own runs".to_owned());
        }
    })
}

/// A port as typed after `HOST:`, for the message when it is not one.
/// The session `preset` describes, once its TLS files are read and found usable (so a bad one is
/// refused before anything opens), or what is wrong. TLS switched on in a UDP preset is refused too:
/// the window shows no TLS for UDP, and running it as plain UDP would not be what the preset says.
pub(super) fn session_of(preset: &Preset) -> Result<SessionConfig, String> {
    if preset.mode == ModeKind::Udp && preset.tls.enabled {
        return Err(
            "the preset has TLS on (tls.enabled), and UDP has no TCP connection for TLS; \
                    switch it off, or choose TCP"
                .to_owned(),
        );
    }
    let config = preset.session().map_err(|error| error.en)?;
    preset.check_tls_files().map_err(|error| error.en)?;
    Ok(config)
}

fn port_of(text: &str, port: &str) -> Result<u16, String> {
    port.parse()
        .map_err(|_| format!("'{text}': '{port}' is not a port (0 to 65535)"))
}

/// What `netassist doctor` is asked to check: `--bind` must be an IP address of this PC's kind (a name
/// would hide which adapter is meant), `--target` may be a host name.
pub(super) fn doctor_request(args: &DoctorArgs) -> Result<Request, String> {
    let bind = args
        .bind
        .as_deref()
        .map(|text| {
            let (ip, port) = split_host_port(text).map_err(|error| format!("--bind {error}"))?;
            let ip = parse_ip(ip).map_err(|error| format!("--bind {error}"))?;
            Ok::<_, String>(ip.with_port(port_of(text, port)?))
        })
        .transpose()?;
    let target = args
        .target
        .as_deref()
        .map(|text| {
            let (host, port) =
                split_host_port(text).map_err(|error| format!("--target {error}"))?;
            Ok::<_, String>(HostPort {
                host: host.to_owned(),
                port: port_of(text, port)?,
            })
        })
        .transpose()?;
    Ok(Request {
        bind,
        target,
        protocol: if args.udp {
            Protocol::Udp
        } else {
            Protocol::Tcp
        },
        timeout: doctor::DEFAULT_TIMEOUT,
        own_session: None,
    })
}

/// The flags' values in place of the preset's, where given.
fn override_preset(preset: &mut Preset, common: &Common) {
    preset.echo |= common.sends.echo;
    if let Some(encoding) = common.session.encoding {
        preset.encoding = encoding;
        preset.send.encoding = encoding;
    }
    if let Some(framing) = common.session.framing.clone() {
        preset.framing = framing;
    }
    if common.session.hex {
        preset.view = DataView::Hex;
    }
    if let Some(max) = common.session.max_clients {
        preset.max_clients = max.to_string();
    }
    if !common.session.rule.is_empty() {
        preset.rules.clone_from(&common.session.rule);
    }
    let flags = &common.sends.send_options;
    preset.send.escapes |= flags.escapes;
    if let Some(line_end) = flags.line_end {
        preset.send.line_ending = line_end;
    }
    if let Some(checksum) = flags.checksum {
        preset.send.checksum = checksum;
    }
}

/// The send flags' combinations that cannot work in `mode`, with `sends` whether anything is to be sent.
fn check_sends(mode: &Mode, common: &Common, sends: bool) -> Result<(), String> {
    if matches!(mode, Mode::Udp { remote: None, .. }) && sends {
        return Err("UDP needs --to HOST:PORT to know where --send goes".to_owned());
    }
    // `netassist relay` has none of these flags; a relay preset run with them refuses them.
    if matches!(mode, Mode::Relay { .. })
        && (sends
            || common.sends.send_options.half_close
            || common.sends.echo
            || common.sends.every.is_some())
    {
        return Err(
            "a relay forwards what its devices and their server send; --send, --send-hex, \
             --every, --half-close and --echo are for the server, client and UDP sessions"
                .to_owned(),
        );
    }
    if common.sends.every.is_some() && !sends {
        return Err("--every needs something to send: --send or --send-hex".to_owned());
    }
    if common.sends.send_options.half_close && matches!(mode, Mode::Udp { .. }) {
        return Err("--half-close needs a TCP connection; UDP has none".to_owned());
    }
    if common.sends.send_options.half_close && common.sends.every.is_some() {
        return Err(
            "--half-close finishes sending after the --send bytes; with --every they never end"
                .to_owned(),
        );
    }
    Ok(())
}

impl Plan {
    /// The plan for the parsed command line (positions included, for the order of repeatable flags).
    pub(super) fn new(matches: &ArgMatches) -> Result<Self, String> {
        let command = Cli::from_arg_matches(matches)
            .map_err(|error| error.to_string())?
            .command;
        let (_, matches) = matches
            .subcommand()
            .ok_or("a subcommand is needed; see --help")?;
        let (mut preset, common, preset_file) = preset_of(command)?;
        if preset_file.is_none() {
            common.tls.apply(&mut preset)?;
        }
        override_preset(&mut preset, &common);
        let mut config = session_of(&preset)?;
        // The window offers no echo for a client; a script asking for one gets it.
        config.echo |= common.sends.echo;

        let send_options = preset.send;
        let sends = in_order(
            matches,
            &[
                ("send", &common.sends.send),
                ("send_hex", &common.sends.send_hex),
            ],
            |id, text| {
                let input = if id == "send" {
                    InputMode::Text
                } else {
                    InputMode::Hex
                };
                let options = SendOptions {
                    input,
                    ..send_options
                };
                Template::parse_send(text, &options, Scope::SEND)
                    .map_err(|error| format!("--{} '{text}': {error}", id.replace('_', "-")))
            },
        )?;
        check_sends(&config.mode, &common, !sends.is_empty())?;
        let expectations = in_order(
            matches,
            &[
                ("expect", &common.session.expect),
                ("expect_regex", &common.session.expect_regex),
                ("expect_hex", &common.session.expect_hex),
            ],
            |id, value| {
                let wanted = match id {
                    "expect" => Match::Contains(value.to_owned()),
                    "expect_regex" => Match::Regex(value.to_owned()),
                    // A hex pattern is a whole message; wildcards around it make it "contains".
                    _ => Match::Hex(format!("* {value} *")),
                };
                let typed = format!("--{} '{value}'", id.replace('_', "-"));
                let fail = |error| format!("{typed}: {error}");
                if id == "expect_hex" {
                    // Checked as typed first, so a mistake is named where the user typed it, not in
                    // the pattern with the wildcards added.
                    Pattern::new(&Match::Hex(value.to_owned()), preset.encoding).map_err(fail)?;
                }
                let pattern = Pattern::new(&wanted, preset.encoding).map_err(fail)?;
                Ok(Expectation::new(typed, pattern))
            },
        )?;
        let seconds = common
            .session
            .seconds
            .map(|s| {
                Duration::try_from_secs_f64(s).map_err(|_| format!("--seconds {s} is not a time"))
            })
            .transpose()?;
        Ok(Self {
            preset,
            config,
            sends,
            every: common.sends.every.map(Duration::from_millis),
            half_close: common.sends.send_options.half_close,
            expectations,
            seconds,
            json: common.session.json,
            pcap: common.session.pcap.clone(),
            report: common.session.report.clone(),
            preset_file,
        })
    }
}

#[cfg(test)]
mod tests;
