//! What the command line prints: each row of the log as it comes, as a text line in the window's format or
//! as a JSON object, and the expectations' summary at the end.

use std::io::Write;
use std::time::SystemTime;

use serde_json::{Map, Value, json};

use crate::codec::{decode_for_display, hex};
use crate::expect::Expectations;
use crate::format::{Display, dir_text, peer_name, row_line};
use crate::i18n::{Lang, Text};
use crate::timestamp::{clock_text, iso_text};
use crate::traffic::{Note, Row, RowKind, TrafficLog};

/// Prints the log's rows as they come, and the expectations' summary at the end.
pub(super) struct Output {
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
    /// Prints the rows `log` added since the last call.
    pub(super) fn print_new(&mut self, log: &TrafficLog) {
        let mut stdout = std::io::stdout().lock();
        // Rows dropped by the log's budget before being printed are skipped; with rows printed as they
        // come, that would take one read larger than the budget.
        self.next_seq = self.next_seq.max(log.first_seq());
        while let Some(row) = log.index_of_seq(self.next_seq).and_then(|i| log.row(i)) {
            self.next_seq += 1;
            let line = if self.json {
                json_line(log, row, self.display).to_string()
            } else {
                row_line(log, row, &self.display)
            };
            // A closed stdout (a pipe into `head`) is no reason to stop the session early.
            let _ = writeln!(stdout, "{line}");
        }
        let _ = stdout.flush();
    }

    /// When expectations were given: when each was met (with `--json`, also which were not).
    pub(super) fn summary(&self, expectations: &Expectations) {
        if expectations.is_empty() {
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
                json!({"time": iso_text(SystemTime::now()), "event": "summary", "expectations": list})
            );
        } else if expectations.all_met() {
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
/// `hex` and `kind` (`message`, `piece`, `partial` or `skipped`, as
/// [`kind_word`](crate::format::kind_word) names them; a skipped header's bytes are in `hex`); for notes
/// `peer` when one is concerned, `reason` (the note as the window shows it), and `addr` for `listening`.
fn json_line(log: &TrafficLog, row: &Row, display: Display) -> Value {
    let mut object = Map::new();
    object.insert("time".into(), iso_text(row.at).into());
    let peer = peer_name(log, row.peer);
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
            let event = match note {
                Note::Listening(addr) => {
                    object.insert("addr".into(), addr.to_string().into());
                    "listening"
                }
                Note::Opened(_) => "opened",
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
            object.insert("reason".into(), note.text(Lang::En).into());
        }
    }
    Value::Object(object)
}
