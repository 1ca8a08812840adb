//! Traffic on disk: exports of the log as text (as displayed) and CSV, and [`Capture`], which streams every
//! event to a file as it arrives. Lines read as [`format`](crate::format) writes them.
//!
//! The two record different things. A capture is the wire record: one line per read and per send, as they
//! happened, before any framing (a message that came in three reads is three lines), with the part of a
//! send cut short by the close as a `[partial]` line. Exports are the log's rows: messages as the receive
//! framing cut them, each marked with its kind (a piece of a long message, a message cut off by the close,
//! bytes skipped to get back in step), as the window shows them.
//!
//! A capture writes on a thread of its own behind a bounded queue: the window hands it each event (a cheap
//! clone, the bytes are shared) and never waits on the disk. When the queue is full the window stops taking
//! events for that frame, the engine's own back-pressure then slows the peers, and nothing is dropped or
//! piled up in memory. A write failure ends the capture thread with the error, which the window shows; the
//! session and the on-screen log carry on.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use crate::codec::{ControlStyle, MessageKind, TextEncoding, decode_for_display, hex};
use crate::engine::{Direction, Event, PeerId};
use crate::format::{
    Display, dir_text, kind_word, note_line, push_data_head, row_line, row_peer_name,
};
use crate::i18n::{Lang, Text};
use crate::timestamp::{Stamps, iso_text};
use crate::traffic::{Note, RowKind, TrafficLog};

/// Events a capture may have queued; with reads of at most a few hundred KiB each this bounds its memory.
const QUEUE_EVENTS: usize = 1024;

/// Writes the rows at `indices` of the log as text lines, as displayed.
pub fn export_text(
    log: &TrafficLog,
    indices: impl IntoIterator<Item = usize>,
    display: &Display,
    out: impl Write,
) -> io::Result<()> {
    let mut out = BufWriter::new(out);
    for row in indices.into_iter().filter_map(|i| log.row(i)) {
        writeln!(out, "{}", row_line(row, display))?;
    }
    out.flush()
}

/// The columns of a CSV export. `kind` came last, so readers of the first six columns read on unchanged.
pub const CSV_HEADER: [&str; 7] = ["time", "dir", "peer", "length", "hex", "text", "kind"];

/// Writes the rows at `indices` of the log as CSV: ISO time, direction (`RX`, `TX`, or empty for a
/// connection event), peer, length, hex, text, and the row's kind as [`kind_word`] names it (`message`,
/// `piece`, `partial`, `skipped`; empty for a connection event). The text column uses the display encoding
/// with control characters as escapes, so a spreadsheet shows `\r\n` rather than breaking the cell.
pub fn export_csv(
    log: &TrafficLog,
    indices: impl IntoIterator<Item = usize>,
    encoding: TextEncoding,
    out: impl Write,
) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for row in indices.into_iter().filter_map(|i| log.row(i)) {
        let time = iso_text(row.at);
        let peer = row_peer_name(row);
        match &row.kind {
            RowKind::Data { dir, bytes, kind } => writer.write_record([
                time.as_str(),
                dir_text(*dir),
                &peer,
                &bytes.len().to_string(),
                &hex::format(bytes),
                &decode_for_display(bytes, encoding, ControlStyle::Escapes),
                kind_word(*kind),
            ])?,
            RowKind::Note(note) => {
                writer.write_record([
                    time.as_str(),
                    "",
                    &peer,
                    "",
                    "",
                    &note.text(Lang::En),
                    "",
                ])?;
            }
        }
    }
    writer.flush()
}

/// How a capture writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptureOptions {
    /// How data lines show their bytes.
    pub display: Display,
    /// Each peer's bytes also go, exactly as sent and received, to files of their own beside the capture
    /// file (`NAME-<ip>_<port>-rx.bin` and `-tx.bin`); the capture file then gives data lines without
    /// their bytes.
    pub raw_per_peer: bool,
}

/// Why a capture stopped or could not start.
#[derive(Debug)]
pub struct CaptureError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// What the OS said.
    pub error: io::Error,
}

impl std::fmt::Display for CaptureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Capture to {} stopped: {}. The session goes on.",
            self.path.display(),
            self.error
        )
    }
}

impl std::error::Error for CaptureError {}

impl CaptureError {
    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        format!(
            "保存到 {} 的记录已停止：{}。会话仍在继续。",
            self.path.display(),
            self.error
        )
    }
}

/// A running capture. Dropping it stops it too; [`Capture::stop`] also says whether everything was written.
pub struct Capture {
    path: PathBuf,
    events: Option<Sender<Event>>,
    writer: Option<JoinHandle<Result<(), CaptureError>>>,
}

impl Capture {
    /// Creates (or truncates) the capture file and starts writing to it. A path that cannot be written
    /// fails here, before any event is taken.
    pub fn start(path: &Path, options: CaptureOptions) -> Result<Self, CaptureError> {
        let file = File::create(path).map_err(failed_at(path))?;
        let (events, queue) = crossbeam_channel::bounded(QUEUE_EVENTS);
        let mut writer = Writer {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 18, file),
            options,
            peers: HashMap::new(),
            raw: HashMap::new(),
            line: String::new(),
            stamps: Stamps::default(),
        };
        let handle = std::thread::Builder::new()
            .name("netassist-capture".to_owned())
            .spawn(move || writer.run(&queue))
            .map_err(failed_at(path))?;
        Ok(Self {
            path: path.to_owned(),
            events: Some(events),
            writer: Some(handle),
        })
    }

    /// The capture file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the queue can take another event now. When it cannot, the caller leaves events with the
    /// engine until the writer catches up.
    #[must_use]
    pub fn has_room(&self) -> bool {
        self.events.as_ref().is_some_and(|tx| !tx.is_full())
    }

    /// Whether the writer has ended (it only ends early on a write failure); [`Capture::stop`] tells why.
    #[must_use]
    pub fn has_failed(&self) -> bool {
        self.writer.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Queues an event for writing. Returns `false` if the writer has ended; [`Capture::stop`] tells why.
    pub fn record(&self, event: &Event) -> bool {
        self.events
            .as_ref()
            .is_some_and(|tx| tx.send(event.clone()).is_ok())
    }

    /// Writes what is queued, flushes and closes the files, and says whether all went to disk.
    pub fn stop(mut self) -> Result<(), CaptureError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), CaptureError> {
        // Closing the queue tells the writer to finish.
        self.events = None;
        match self.writer.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(CaptureError {
                path: self.path.clone(),
                error: io::Error::other("the capture thread failed"),
            }),
            None => Ok(()),
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        // The result has nowhere to go when the capture is dropped rather than stopped.
        let _ = self.finish();
    }
}

/// The capture thread's state.
struct Writer {
    path: PathBuf,
    out: BufWriter<File>,
    options: CaptureOptions,
    /// Addresses of the peers seen connecting, for naming them in lines and raw files.
    peers: HashMap<PeerId, SocketAddr>,
    /// Open raw files per peer and direction.
    raw: HashMap<(PeerId, Direction), (PathBuf, BufWriter<File>)>,
    /// The line being written; kept to reuse its allocation.
    line: String,
    stamps: Stamps,
}

impl Writer {
    fn run(&mut self, queue: &Receiver<Event>) -> Result<(), CaptureError> {
        for event in queue {
            self.write(&event)?;
            // Flush whenever the queue runs dry, so the file is current while traffic is light and batched
            // while it is heavy.
            if queue.is_empty() {
                self.flush()?;
            }
        }
        self.flush()
    }

    fn write(&mut self, event: &Event) -> Result<(), CaptureError> {
        let time = self.stamps.text(event.at());
        if let Event::Connected { peer, addr, .. } = event {
            self.peers.insert(*peer, *addr);
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let lines = self.lines(event, &time, &mut line);
        let written = lines.and_then(|()| {
            self.out
                .write_all(line.as_bytes())
                .map_err(failed_at(&self.path))
        });
        self.line = line;
        written?;
        if let Event::Closed { peer, .. } = event {
            self.peers.remove(peer);
            for dir in [Direction::Rx, Direction::Tx] {
                if let Some((path, mut file)) = self.raw.remove(&(*peer, dir)) {
                    file.flush().map_err(failed_at(&path))?;
                }
            }
        }
        Ok(())
    }

    /// Appends the lines `event` makes to `out`: none for an event that is not a row (periodic progress),
    /// two for a send cut short that partly went out (its bytes, then the note).
    fn lines(&mut self, event: &Event, time: &str, out: &mut String) -> Result<(), CaptureError> {
        if let Event::Data {
            peer, dir, bytes, ..
        } = event
        {
            return self.data_line(out, time, *peer, *dir, bytes, MessageKind::Complete);
        }
        if let Event::Unsent {
            peer,
            written,
            written_at,
            ..
        } = event
            && !written.is_empty()
        {
            // These bytes did go out: a sent line of its own, timed by its last byte, before the note
            // saying the rest did not.
            let written_time = self.stamps.text(*written_at);
            let (peer, kind) = (*peer, MessageKind::Partial);
            self.data_line(out, &written_time, peer, Direction::Tx, written, kind)?;
        }
        if let Some((peer, note)) = Note::of(event) {
            out.push_str(&note_line(time, &self.name(peer), &note));
            out.push('\n');
        }
        Ok(())
    }

    /// Appends a data line to `out`; with raw files per peer, the bytes go to the peer's file instead.
    fn data_line(
        &mut self,
        out: &mut String,
        time: &str,
        peer: PeerId,
        dir: Direction,
        bytes: &[u8],
        kind: MessageKind,
    ) -> Result<(), CaptureError> {
        push_data_head(out, time, dir, &self.name(Some(peer)), bytes.len(), kind);
        if self.options.raw_per_peer {
            self.write_raw(peer, dir, bytes)?;
        } else {
            out.push(' ');
            self.options.display.push_message(bytes, kind, out);
        }
        out.push('\n');
        Ok(())
    }

    fn name(&self, peer: Option<PeerId>) -> String {
        match peer {
            Some(id) => self
                .peers
                .get(&id)
                .map_or_else(|| id.to_string(), ToString::to_string),
            None => String::new(),
        }
    }

    fn write_raw(
        &mut self,
        peer: PeerId,
        dir: Direction,
        bytes: &[u8],
    ) -> Result<(), CaptureError> {
        if !self.raw.contains_key(&(peer, dir)) {
            let path = raw_path(&self.path, self.peers.get(&peer).copied(), peer, dir);
            let file = File::create(&path).map_err(failed_at(&path))?;
            self.raw.insert((peer, dir), (path, BufWriter::new(file)));
        }
        if let Some((path, file)) = self.raw.get_mut(&(peer, dir)) {
            file.write_all(bytes).map_err(failed_at(path))?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), CaptureError> {
        self.out.flush().map_err(failed_at(&self.path))?;
        for (path, file) in self.raw.values_mut() {
            file.flush().map_err(failed_at(path))?;
        }
        Ok(())
    }
}

/// Turns an I/O error on `path` into a capture error.
fn failed_at(path: &Path) -> impl FnOnce(io::Error) -> CaptureError + '_ {
    move |error| CaptureError {
        path: path.to_owned(),
        error,
    }
}

/// Where a peer's raw bytes in one direction go: beside the capture file, named after it and the peer.
#[must_use]
pub fn raw_path(capture: &Path, addr: Option<SocketAddr>, peer: PeerId, dir: Direction) -> PathBuf {
    let stem = capture
        .file_stem()
        .map_or_else(|| "capture".into(), |s| s.to_string_lossy());
    // Colons and brackets are not allowed in Windows file names.
    let who = addr.map_or_else(
        || format!("peer{}", peer.0),
        |a| format!("{}_{}", a.ip().to_string().replace(':', "-"), a.port()),
    );
    let dir = match dir {
        Direction::Rx => "rx",
        Direction::Tx => "tx",
    };
    capture.with_file_name(format!("{stem}-{who}-{dir}.bin"))
}
