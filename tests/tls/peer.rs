//! Peer programs for the TLS tests (Python's `ssl`, `openssl s_server` and `s_client`): started in a
//! folder, their output read line by line, killed when dropped.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};

/// A peer program that prints its port on its first line.
pub struct Peer(pub Child);

impl Peer {
    pub fn spawn(
        program: &str,
        args: &[&str],
        cwd: &Path,
    ) -> (Self, BufReader<std::process::ChildStdout>) {
        let mut child = Process::new(program)
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        let out = BufReader::new(child.stdout.take().unwrap());
        (Self(child), out)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads lines until one starts with `prefix`, giving the rest; bounded by the peer's output.
pub fn line_after(out: &mut impl BufRead, prefix: &str) -> String {
    for _ in 0..50 {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(rest) = line.trim().strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    panic!("no line starting with {prefix:?}");
}
