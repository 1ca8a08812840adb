//! Traffic on disk: exports of the log as text (as displayed) and CSV, and the capture ([`start`]), which
//! streams every event to a file as it arrives. Lines read as [`format`](crate::format) writes them.
//!
//! The two record different things. A capture is the wire record: one line per read and per send, as they
//! happened, before any framing (a message that came in three reads is three lines), with the part of a
//! send cut short by the close as a `[partial]` line. Exports are the log's rows: messages as the receive
//! framing cut them, each marked with its kind (a piece of a long message, a message cut off by the close,
//! bytes skipped to get back in step), as the window shows them.
//!
//! A capture is a [`Recording`]: it writes on a thread of its own behind a bounded queue, and the window
//! never waits on the disk. A write failure ends the capture with the error, which the window shows; the
//! session and the on-screen log carry on.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::codec::{ControlStyle, MessageKind, TextEncoding, decode_for_display, hex};
use crate::engine::{Direction, Event, PeerId};
use crate::format::{
    Display, dir_text, kind_word, note_line, push_data_head, row_line, row_peer_name,
};
use crate::i18n::{Lang, Text};
use crate::recording::{self, Entry, Kind, Recording, RecordingError};
use crate::timestamp::{Stamps, iso_text};
use crate::traffic::{Note, PeerAddr, RowKind, TrafficLog};

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

/// Starts a capture to `path`: creates (or truncates) the file and writes every event queued with
/// [`Recording::record`] to it, on a thread of its own. A path that cannot be written fails here.
pub fn start(path: &Path, options: CaptureOptions) -> Result<Recording, RecordingError> {
    Recording::start(Kind::Capture, path, |file| {
        Ok(Writer {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 18, file),
            options,
            peers: HashMap::new(),
            paired: HashMap::new(),
            connecting: HashMap::new(),
            raw: HashMap::new(),
            line: String::new(),
            stamps: Stamps::default(),
            pending: 0,
            written: 0,
        })
    })
}

/// The capture thread's state.
struct Writer {
    path: PathBuf,
    out: BufWriter<File>,
    options: CaptureOptions,
    /// Addresses of the peers seen connecting, for naming them in lines and raw files.
    peers: HashMap<PeerId, PeerAddr>,
    /// Relay: server sides paired and not connected yet, with their device.
    paired: HashMap<PeerId, PeerId>,
    /// Relay: server sides still connecting (named in `peers` by the address they connect to and their
    /// device, as is the device from then on), with their device; forgotten once connected or when
    /// their device closes.
    connecting: HashMap<PeerId, PeerId>,
    /// Open raw files per peer and direction.
    raw: HashMap<(PeerId, Direction), (PathBuf, BufWriter<File>)>,
    /// The line being written; kept to reuse its allocation.
    line: String,
    stamps: Stamps,
    /// Bytes of lines written since the last flush.
    pending: u64,
    /// Bytes of lines handed to the OS.
    written: u64,
}

impl recording::Writer for Writer {
    fn write(&mut self, entry: &Entry) -> Result<(), RecordingError> {
        match entry {
            Entry::Event(event) => self.event(event),
            // The lines are the events; a session's opening is not one.
            Entry::Session { .. } => Ok(()),
        }
    }

    fn flush(&mut self) -> Result<(), RecordingError> {
        self.out.flush().map_err(failed_at(&self.path))?;
        self.written += std::mem::take(&mut self.pending);
        for (path, file) in self.raw.values_mut() {
            file.flush().map_err(failed_at(path))?;
        }
        Ok(())
    }

    fn written(&self) -> u64 {
        self.written
    }
}

impl Writer {
    fn event(&mut self, event: &Event) -> Result<(), RecordingError> {
        let time = self.stamps.text(event.at());
        match event {
            Event::Connected {
                peer, addr, local, ..
            } => {
                self.connecting.remove(peer);
                let mut server = PeerAddr::from(*addr);
                if let Some(device) = self.paired.remove(peer)
                    && let Some(device) = self.peers.get_mut(&device)
                {
                    PeerAddr::pair(device, &mut server, *local);
                }
                self.peers.insert(*peer, server);
            }
            Event::Paired { device, server, .. } => {
                self.paired.insert(*server, *device);
            }
            Event::Connecting {
                device,
                server,
                addr,
                ..
            } => {
                self.connecting.insert(*server, *device);
                let name = match self.peers.get_mut(device) {
                    Some(device) => PeerAddr::connecting(device, *addr),
                    None => PeerAddr::from(*addr),
                };
                self.peers.insert(*server, name);
            }
            _ => {}
        }
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        let lines = self.lines(event, &time, &mut line);
        let written = lines.and_then(|()| {
            self.out
                .write_all(line.as_bytes())
                .map_err(failed_at(&self.path))
        });
        self.pending += line.len() as u64;
        self.line = line;
        written?;
        if let Event::Closed { peer, .. } = event {
            self.peers.remove(peer);
            let peers = &mut self.peers;
            self.connecting.retain(|server, device| {
                let keep = device != peer;
                if !keep {
                    peers.remove(server);
                }
                keep
            });
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
    fn lines(&mut self, event: &Event, time: &str, out: &mut String) -> Result<(), RecordingError> {
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
    ) -> Result<(), RecordingError> {
        let name = self
            .peers
            .get(&peer)
            .map_or_else(|| peer.to_string(), |addr| addr.toward(dir));
        push_data_head(out, time, dir, &name, bytes.len(), kind);
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
    ) -> Result<(), RecordingError> {
        if !self.raw.contains_key(&(peer, dir)) {
            let path = raw_path(&self.path, self.peers.get(&peer), peer, dir);
            let file = File::create(&path).map_err(failed_at(&path))?;
            self.raw.insert((peer, dir), (path, BufWriter::new(file)));
        }
        if let Some((path, file)) = self.raw.get_mut(&(peer, dir)) {
            file.write_all(bytes).map_err(failed_at(path))?;
        }
        Ok(())
    }
}

/// Turns an I/O error on `path` into a capture error.
fn failed_at(path: &Path) -> impl FnOnce(io::Error) -> RecordingError + '_ {
    Kind::Capture.failed_at(path)
}

/// Where a peer's raw bytes in one direction go: beside the capture file, named after it and the peer.
#[must_use]
pub fn raw_path(capture: &Path, addr: Option<&PeerAddr>, peer: PeerId, dir: Direction) -> PathBuf {
    let stem = capture
        .file_stem()
        .map_or_else(|| "capture".into(), |s| s.to_string_lossy());
    // Colons and brackets are not allowed in Windows file names.
    let file_name =
        |a: SocketAddr| format!("{}_{}", a.ip().to_string().replace(':', "-"), a.port());
    // A relay side is named by its pair too: the server sides of two pairs share the target's address.
    let who = addr.map_or_else(
        || format!("peer{}", peer.0),
        |a| match &a.pair {
            None => file_name(a.socket),
            Some(pair) => format!("{}-{}", file_name(a.socket), file_name(pair.partner)),
        },
    );
    let dir = match dir {
        Direction::Rx => "rx",
        Direction::Tx => "tx",
    };
    capture.with_file_name(format!("{stem}-{who}-{dir}.bin"))
}
