//! The real `netassist` binary in a process of its own, as scripts run it: its stdout lines arrive on a
//! channel, and every wait (a line, the exit) is bounded by [`WAIT`].

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::WAIT;

/// A running `netassist` with its output lines arriving on a channel.
pub struct Netassist {
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line taken so far.
    pub seen: Vec<String>,
}

/// How a run ended.
pub struct Ended {
    pub code: i32,
    pub stdout: Vec<String>,
    pub stderr: String,
    pub took: Duration,
}

impl Netassist {
    pub fn start(args: &[&str]) -> Self {
        Self::start_in(Path::new("."), args)
    }

    /// As [`Self::start`], running in the folder `dir`.
    pub fn start_in(dir: &Path, args: &[&str]) -> Self {
        let mut child = Process::new(env!("CARGO_BIN_EXE_netassist"))
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// `netassist relay` on a loopback port of its own to `to`, with `flags` after.
    pub fn relay(to: &str, flags: &[&str]) -> Self {
        let mut args = vec!["relay", "--bind", "127.0.0.1:0", "--to", to];
        args.extend(flags);
        Self::start(&args)
    }

    /// Waits for the next stdout line for which `pick` says yes, within [`WAIT`].
    pub fn line(&mut self, what: &str, pick: impl Fn(&str) -> bool) -> String {
        self.line_within(what, WAIT, pick)
    }

    /// Waits for the next stdout line for which `pick` says yes, within `wait`: for a line that comes
    /// after megabytes of rows, which a debug build on a loaded machine prints slowly.
    pub fn line_within(
        &mut self,
        what: &str,
        wait: Duration,
        pick: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + wait;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else {
                break;
            };
            self.seen.push(line.clone());
            if pick(&line) {
                return line;
            }
        }
        panic!("no line with {what}; lines seen: {:#?}", self.seen);
    }

    /// The port from the `Listening on IP:PORT` line (text output) or the `listening` object (JSON).
    pub fn port(&mut self) -> u16 {
        let line = self.line("Listening on", |l| l.contains("Listening on"));
        let addr = line.rsplit("Listening on ").next().unwrap();
        let digits: String = addr
            .rsplit(':')
            .next()
            .unwrap()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    }

    /// Waits for the process to exit, within [`WAIT`], and collects the rest of its output.
    pub fn end(mut self) -> Ended {
        let started = Instant::now();
        let deadline = started + WAIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("netassist did not exit; lines seen: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = started.elapsed();
        // The reader thread ends at end of file, which the exit has caused.
        self.seen.extend(self.lines.iter());
        let mut stderr = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        Ended {
            code: status.code().unwrap_or(-1),
            stdout: self.seen,
            stderr,
            took,
        }
    }
}

/// Each line parsed as JSON, failing with the line that is not.
pub fn json_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}
