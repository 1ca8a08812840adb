//! What the command line prints: each row of the log as it comes, as a text line in the window's format or
//! as a JSON object, and the expectations' summary at the end; and the doctor's findings, as text grouped
//! by check or as one JSON object per finding.
//!
//! Lines are written by a thread of their own behind a bounded queue ([`Printer`]), so a reader that does
//! not keep up (`| sleep 8`, a paused terminal) never holds up the session: it stops on time and sends
//! what it should. Lines that did not fit in the queue, or were never written, are counted and reported
//! on stderr at the end.

use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use serde_json::{Map, Value, json};

use crate::codec::{decode_for_display, hex};
use crate::doctor::Finding;
use crate::engine::{
    CATCH_UP, CertSummary, CloseReason, Expiry, KeptProblem, NetError, TlsClose, TlsInfo,
};
use crate::expect::Expectations;
use crate::format::{Display, dir_text, row_line, row_peer_name};
use crate::history::Losses;
use crate::i18n::{Lang, Text};
use crate::session::PeriodicProgress;
use crate::timestamp::{clock_text, iso_text};
use crate::traffic::{Note, RelaySide, Row, RowKind, TrafficLog};

/// Lines the printer may hold before further lines are counted as not printed: about a megabyte of
/// typical lines, several seconds of a fast peer.
const PRINT_QUEUE: usize = 16 * 1024;

/// Writes lines to stdout on its own thread; see the [module docs](self).
pub(super) struct Printer {
    lines_tx: Option<Sender<String>>,
    /// Lines handed to the queue.
    queued: u64,
    /// Lines that did not fit in the queue.
    dropped: u64,
    /// Lines the thread wrote.
    written: Arc<AtomicU64>,
    /// Says the thread has written everything it was given.
    done_rx: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl Printer {
    /// Starts the printing thread.
    pub(super) fn start() -> Self {
        let (lines_tx, lines_rx) = crossbeam_channel::bounded::<String>(PRINT_QUEUE);
        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let written = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&written);
        let thread = std::thread::Builder::new()
            .name("netassist-print".to_owned())
            .spawn(move || {
                let mut out = BufWriter::new(std::io::stdout().lock());
                for line in &lines_rx {
                    // A closed stdout (a pipe into `head`) is no reason to stop the session early;
                    // its lines count as not printed.
                    if writeln!(out, "{line}").is_ok() {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    if lines_rx.is_empty() {
                        let _ = out.flush();
                    }
                }
                let _ = out.flush();
                let _ = done_tx.send(());
            })
            .ok();
        Self {
            lines_tx: thread.is_some().then_some(lines_tx),
            queued: 0,
            dropped: 0,
            written,
            done_rx,
            thread,
        }
    }

    /// Counts `lines` that were never handed over as not printed.
    pub(super) fn not_printed(&mut self, lines: u64) {
        self.dropped += lines;
    }

    /// Queues a line, or counts it as not printed if the queue is full. Never blocks.
    pub(super) fn print(&mut self, line: String) {
        match self.lines_tx.as_ref().map(|tx| tx.try_send(line)) {
            Some(Ok(())) => self.queued += 1,
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => {
                self.dropped += 1;
            }
        }
    }

    /// Lets the thread write what is queued, for at most `within`; returns how many lines were not
    /// printed in all.
    pub(super) fn finish(mut self, within: Duration) -> u64 {
        self.lines_tx = None;
        if self.done_rx.recv_timeout(within).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
        // A thread still blocked on stdout is left to the process's exit.
        self.dropped + self.queued - self.written.load(Ordering::Relaxed)
    }
}

/// Prints the log's rows as they come, and the expectations' summary at the end.
pub(super) struct Output {
    /// Writes the lines.
    pub(super) printer: Printer,
    /// How data is shown in text lines.
    pub(super) display: Display,
    /// JSON lines instead of text.
    pub(super) json: bool,
    /// The sequence number of the next row to print.
    pub(super) next_seq: u64,
    /// When the run started, for the times in the summary.
    pub(super) started: SystemTime,
}

impl Output {
    /// Prints the rows `log` added since the last call, for at most `slice`: the rest waits for the
    /// next call. A run keeps to its `--seconds` so, however slowly rows are formatted (a flood as JSON);
    /// rows the log drops meanwhile are counted as not printed.
    pub(super) fn print_for(&mut self, log: &TrafficLog, slice: Duration) {
        self.print_until(log, Some(Instant::now() + slice));
    }

    /// Prints the rows `log` added since the last call; with `until`, only until then, the rest counted
    /// as not printed (the run's end).
    pub(super) fn print_new(&mut self, log: &TrafficLog, until: Option<Instant>) {
        if self.print_until(log, until) {
            let end = log.first_seq() + log.len() as u64;
            self.printer.not_printed(end - self.next_seq);
            self.next_seq = end;
        }
    }

    /// Prints rows from the next one not printed until `until`; whether rows are left.
    fn print_until(&mut self, log: &TrafficLog, until: Option<Instant>) -> bool {
        // Rows the log's budget dropped before they were printed are counted as not printed.
        let first = log.first_seq();
        if self.next_seq < first {
            self.printer.not_printed(first - self.next_seq);
            self.next_seq = first;
        }
        while let Some(row) = log.index_of_seq(self.next_seq).and_then(|i| log.row(i)) {
            if until.is_some_and(|until| Instant::now() >= until) {
                return true;
            }
            self.next_seq += 1;
            let line = if self.json {
                json_line(row, self.display).to_string()
            } else {
                row_line(row, &self.display)
            };
            self.printer.print(line);
        }
        false
    }

    /// The summary: datagrams the OS dropped (UDP, when it says), the sends dropped because a peer did
    /// not read and those that did not go out because the connection ended first (each counted exactly,
    /// from `losses`, however few rows told of them), the periodic send's sends made against ticks asked
    /// for (with `--every`), and when expectations were given, when each was met. With `--json`, one
    /// `summary` object with `dropped`, `send_dropped` and `not_sent` (each `sends`, `bytes`), `periodic`
    /// (`sent`, `skipped`, or null) and `expectations` (also those not met), always, so a script reads
    /// "nothing lost" from zeros rather than from a line that is missing; as text, nothing when there
    /// is none of these.
    pub(super) fn summary(
        &mut self,
        expectations: &Expectations,
        dropped: u64,
        losses: &Losses,
        periodic: Option<PeriodicProgress>,
    ) {
        let sends_lost = losses.send_dropped > 0 || losses.unsent_sends > 0;
        let nothing = expectations.is_empty() && dropped == 0 && !sends_lost && periodic.is_none();
        if nothing && !self.json {
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
            self.printer.print(
                json!({
                    "time": iso_text(SystemTime::now()),
                    "event": "summary",
                    "dropped": dropped,
                    "send_dropped": { "sends": losses.send_dropped, "bytes": losses.send_dropped_bytes },
                    "not_sent": { "sends": losses.unsent_sends, "bytes": losses.unsent_bytes },
                    "periodic": periodic.map(|p| json!({ "sent": p.sent, "skipped": p.skipped })),
                    "expectations": list,
                })
                .to_string(),
            );
            return;
        }
        if dropped > 0 {
            self.printer.print(format!(
                "the OS dropped {dropped} datagram(s): the receive buffer was full"
            ));
        }
        if losses.send_dropped > 0 {
            self.printer.print(format!(
                "sends dropped: {} ({} bytes): the peer was not reading",
                losses.send_dropped, losses.send_dropped_bytes
            ));
        }
        if losses.unsent_sends > 0 {
            self.printer.print(format!(
                "not sent: {} send(s) ({} bytes): the connection ended first",
                losses.unsent_sends, losses.unsent_bytes
            ));
        }
        if let Some(p) = periodic {
            // Sends made against ticks asked for, so a period the machine could not keep never passes
            // unnoticed.
            let late = if p.skipped > 0 {
                format!(" (the network thread was more than {CATCH_UP} periods late)")
            } else {
                String::new()
            };
            self.printer.print(format!(
                "periodic send: {} sent of {} ticks, {} skipped{late}",
                p.sent,
                p.sent + p.skipped,
                p.skipped
            ));
        }
        if expectations.all_met() {
            for (i, e) in expectations.iter().enumerate() {
                if let Some(at) = e.met {
                    self.printer.print(format!(
                        "expectation {} met at {} (after {:.3} s): {}",
                        i + 1,
                        clock_text(at),
                        after(at),
                        e.typed
                    ));
                }
            }
        }
    }
}

/// A row as one JSON object: `time` (ISO 8601), `event`, and for data `dir`, `peer`, `len`, `text`,
/// `hex` and `kind` (`message`, `piece`, `partial` or `skipped`, as
/// [`kind_word`](crate::format::kind_word) names them; a skipped header's bytes are in `hex`); for notes
/// `peer` when one is concerned, `reason` (the note as the window shows it), `addr` for `listening`,
/// `dir` for a UDP remote's `connected` (which way its first datagram went), `target` (as named) and
/// `addr` (the address tried) for a relay's `connecting`, `addr`, `local` (the connect's local
/// address, null when it failed before it had one) and `problem` (one word: `refused`, `timed_out`,
/// `unreachable`, …) for its `connect_failed`, and `server` (its id, `#7`) for a relay's `paired`. A
/// relay side's rows, from its device's first `connecting` on, also carry `side` (`device` or
/// `server`), `partner` (the other side's address: for a device, the target's address being tried
/// until one is connected) and, once the server side is connected, `server_local` (the server side's
/// local address, which tells two pairs to one target apart); `peer` stays the side's own address.
/// TLS notes carry what the handshake agreed and the certificate (README's `--json` paragraph lists the
/// fields), and a close or error that a TLS failure caused carries its kind as `tls_failure`.
fn json_line(row: &Row, display: Display) -> Value {
    let mut object = Map::new();
    object.insert("time".into(), iso_text(row.at).into());
    let peer = match &row.addr {
        Some(addr) => addr.socket.to_string(),
        None => row_peer_name(row),
    };
    match &row.kind {
        RowKind::Data { dir, bytes, kind } => {
            object.insert("event".into(), "data".into());
            object.insert("dir".into(), dir_text(*dir).to_lowercase().into());
            object.insert("peer".into(), peer.into());
            object.insert("len".into(), bytes.len().into());
            let text = decode_for_display(bytes, display.encoding, display.control);
            object.insert("text".into(), text.into());
            object.insert("hex".into(), hex::format(bytes).into());
            object.insert("kind".into(), crate::format::kind_word(*kind).into());
        }
        RowKind::Note(note) => {
            let event = note_fields(&mut object, note);
            object.insert("event".into(), event.into());
            if !peer.is_empty() {
                object.insert("peer".into(), peer.into());
            }
            object.insert("reason".into(), note.text(Lang::En).into());
        }
    }
    if let Some(pair) = row.addr.as_ref().and_then(|addr| addr.pair) {
        let side = match pair.side {
            RelaySide::Device => "device",
            RelaySide::Server => "server",
        };
        object.insert("side".into(), side.into());
        object.insert("partner".into(), pair.partner.to_string().into());
        if let Some(local) = pair.server_local {
            object.insert("server_local".into(), local.to_string().into());
        }
    }
    Value::Object(object)
}

/// A note's own fields in `object`, as [`json_line`] lists them; its event name.
fn note_fields(object: &mut Map<String, Value>, note: &Note) -> &'static str {
    match note {
        Note::Listening(addr) => {
            object.insert("addr".into(), addr.to_string().into());
            "listening"
        }
        Note::Opened(_) => "opened",
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
        // Scripts read one event name for a new remote, whatever the transport.
        Note::Connected(_) => "connected",
        Note::FirstDatagram { dir, .. } => {
            object.insert("dir".into(), dir_text(*dir).to_lowercase().into());
            "connected"
        }
        Note::Connecting { target, addr } => {
            object.insert("target".into(), target.clone().into());
            object.insert("addr".into(), addr.to_string().into());
            "connecting"
        }
        Note::ConnectFailed { addr, local, error } => {
            object.insert("addr".into(), addr.to_string().into());
            let local = local.map_or(Value::Null, |local| local.to_string().into());
            object.insert("local".into(), local);
            object.insert("problem".into(), error.problem().word().into());
            tls_failure_field(object, error);
            "connect_failed"
        }
        Note::Paired(server) => {
            object.insert("server".into(), server.to_string().into());
            "paired"
        }
        Note::HalfClosed(_, how) => {
            tls_close_fields(object, *how);
            "half_closed"
        }
        Note::TlsEstablished(info) => {
            established_fields(object, info);
            "tls_established"
        }
        Note::TlsCertificate(certificate, addr) => {
            object.insert("addr".into(), addr.to_string().into());
            certificate_fields(object, certificate);
            "tls_certificate"
        }
        Note::TlsKeptCertificate(problem) => {
            kept_fields(object, problem);
            "tls_kept_certificate"
        }
        Note::Unsent { .. } => "unsent",
        Note::Closed(reason) => {
            if let CloseReason::Error(error) = reason {
                tls_failure_field(object, error);
            }
            "closed"
        }
        Note::Rejected { .. } => "rejected",
        Note::SendDropped { .. } => "send_dropped",
        Note::Joined(_) => "joined",
        Note::Left(_) => "left",
        Note::Error(error) => {
            tls_failure_field(object, error);
            "error"
        }
        Note::Check(_) => "check",
        Note::Stopped => "stopped",
    }
}

/// What a TLS handshake agreed: `version`, `cipher_suite`, `server_name`, `verified` and
/// `outside_validity`, and the server's certificate ([`certificate_fields`]) when we are its client.
fn established_fields(object: &mut Map<String, Value>, info: &TlsInfo) {
    object.insert("version".into(), info.version.clone().into());
    object.insert("cipher_suite".into(), info.cipher_suite.clone().into());
    object.insert("server_name".into(), info.server_name.clone().into());
    object.insert("verified".into(), info.verified.into());
    object.insert("outside_validity".into(), info.outside_validity.into());
    if let Some(certificate) = &info.certificate {
        certificate_fields(object, certificate);
    }
}

/// What is wrong with a kept self-signed certificate: its `file`, `not_after` and `expired` (true, or
/// false for one that expires within a day) when out of date, `unnamed`, the address bound that it does
/// not name.
fn kept_fields(object: &mut Map<String, Value>, problem: &KeptProblem) {
    object.insert("file".into(), problem.file.clone().into());
    if let Some(expiry) = problem.expiry {
        let (at, expired) = match expiry {
            Expiry::Expired(at) => (at, true),
            Expiry::Soon(at) => (at, false),
        };
        object.insert("not_after".into(), iso_text(at).into());
        object.insert("expired".into(), expired.into());
    }
    if let Some(ip) = problem.unnamed {
        object.insert("unnamed".into(), ip.to_string().into());
    }
}

/// A certificate's `subject`, `issuer`, `fingerprint_sha256` (colon-separated hex pairs, as `openssl
/// x509 -fingerprint -sha256` shows it), `not_before` and `not_after` (ISO 8601) and `names` (its subject
/// alternative names, `DNS:board.local`).
fn certificate_fields(object: &mut Map<String, Value>, certificate: &CertSummary) {
    object.insert("subject".into(), certificate.subject.clone().into());
    object.insert("issuer".into(), certificate.issuer.clone().into());
    object.insert(
        "fingerprint_sha256".into(),
        certificate.fingerprint().into(),
    );
    object.insert("not_before".into(), iso_text(certificate.not_before).into());
    object.insert("not_after".into(), iso_text(certificate.not_after).into());
    object.insert("names".into(), certificate.names.clone().into());
}

/// How TLS ended a sending side: `tls_close` (`close_notify`, `truncated`: a FIN without one at a record
/// boundary, or `mid_record`: a FIN in the middle of a record), and for `mid_record`, `discarded`, the
/// bytes of that record thrown away. Nothing for plain TCP.
fn tls_close_fields(object: &mut Map<String, Value>, how: Option<TlsClose>) {
    let word = match how {
        None => return,
        Some(TlsClose::CloseNotify) => "close_notify",
        Some(TlsClose::Truncated) => "truncated",
        Some(TlsClose::MidRecord { discarded }) => {
            object.insert("discarded".into(), discarded.into());
            "mid_record"
        }
    };
    object.insert("tls_close".into(), word.into());
}

/// `tls_failure`, the kind of a TLS failure ([`TlsFailure::kind`](crate::engine::TlsFailure::kind)), when `error` is one.
fn tls_failure_field(object: &mut Map<String, Value>, error: &NetError) {
    if let Some(failure) = &error.tls {
        object.insert("tls_failure".into(), failure.kind().into());
    }
}

/// One finding as a JSON object: `check`, `status`, `kind` and the finding's own fields, then `message`
/// and `advice` (English; `advice` absent when there is nothing to do).
pub(super) fn finding_json(finding: &Finding) -> Value {
    let mut object = Map::new();
    object.insert("check".into(), json!(finding.check()));
    object.insert("status".into(), json!(finding.status()));
    if let Ok(Value::Object(fields)) = serde_json::to_value(finding) {
        object.extend(fields);
    }
    object.insert("message".into(), finding.text(Lang::En).into());
    if let Some(advice) = finding.advice() {
        object.insert("advice".into(), advice.text(Lang::En).into());
    }
    Value::Object(object)
}
