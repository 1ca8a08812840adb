//! `netassist replay FILE --as device|pc`: the recording's conversation planned as a check
//! ([`crate::replay`]) and run like `netassist check`'s, with its lines, JSON, `JUnit` and report.

use std::process::ExitCode;

use super::EXIT_USAGE;
use super::args::ReplayArgs;
use super::check::{CheckPlan, Outputs, execute};
use crate::replay::{self, Options};

/// Replays the recording and says how it went.
pub(super) fn run(args: &ReplayArgs) -> ExitCode {
    let options = Options {
        side: args.side,
        timing: args.timing,
        connection: args.connection,
        device: args.device,
        connect: args.connect.clone(),
        bind: args.bind.clone(),
    };
    let planned = replay::load(&args.file, &options)
        .map_err(|error| error.to_string())
        .and_then(|replay| {
            let check = replay.check().clone();
            if !args.json {
                println!("{}", summary(&replay));
            }
            if replay.missing > 0 {
                eprintln!(
                    "netassist: the recording lacks {} bytes of this connection (the capture missed \
                     them); they are not replayed",
                    replay.missing
                );
            }
            let mut preset = replay.preset;
            args.tls.apply(&mut preset)?;
            CheckPlan::new(preset, &[check])
        });
    match planned {
        Ok(plan) => execute(
            plan,
            &Outputs {
                json: args.json,
                traffic: args.traffic,
                junit: args.junit.as_deref(),
                report: args.report.as_deref(),
                source: None,
            },
        ),
        Err(message) => {
            eprintln!("netassist: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `replaying connection 1 of 2 (TCP, device 127.0.0.1:40000, PC 127.0.0.1:10000): 12 steps`.
fn summary(replay: &replay::Replay) -> String {
    let (number, count) = replay.connection;
    let transport = match replay.transport {
        crate::pcap::read::Transport::Tcp => "TCP",
        crate::pcap::read::Transport::Udp => "UDP",
    };
    format!(
        "replaying connection {number} of {count} ({transport}, device {}, PC {}): {} steps",
        replay.device,
        replay.pc,
        replay.check().steps.len()
    )
}
