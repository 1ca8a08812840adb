//! Recordings: files written live from a session's events, each on a thread of its own behind a bounded
//! queue. The text capture ([`crate::capture`]) and the pcapng file ([`crate::pcap`]) are both
//! recordings; this module owns what they share (the file, the thread, the queue, flushing, and how a
//! failure ends the thread and is told), and each of them only how it writes an [`Entry`] ([`Writer`]).
//!
//! The caller hands each event over (a cheap clone: the bytes are shared) and never waits on the disk.
//! When the queue is full the caller stops taking events for a while ([`Recording::has_room`]); the
//! engine's own back-pressure then slows the peers, and nothing is dropped or piled up in memory. A write
//! failure ends the thread with the error, which [`Recording::stop`] returns; the session carries on.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender};

use crate::engine::{Event, Mode};
use crate::i18n::Lang;

/// Entries a recording may have queued; with reads of at most a few hundred KiB each this bounds its
/// memory.
const QUEUE_ENTRIES: usize = 1024;

/// What a recording is handed, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A session opened in this mode; the events after it are that session's.
    Session {
        /// The session's mode and addresses.
        mode: Mode,
        /// When it opened.
        at: SystemTime,
    },
    /// Something that happened in the session.
    Event(Event),
}

/// What goes down the queue: entries, and requests to have everything so far on disk.
enum Message {
    Entry(Entry),
    /// Flush, then answer with [`Writer::written`].
    Settle(Sender<u64>),
}

/// How a recording writes its entries; it runs on the recording's thread.
pub trait Writer: Send + 'static {
    /// Writes one entry (or nothing, for an entry this recording does not show).
    fn write(&mut self, entry: &Entry) -> Result<(), RecordingError>;
    /// Hands everything written so far to the OS.
    fn flush(&mut self) -> Result<(), RecordingError>;
    /// Bytes of the main file that hold whole entries and were handed to the OS by the last successful
    /// [`flush`](Self::flush): after a failure, the part of the file that can be trusted.
    fn written(&self) -> u64;
}

/// Which recording: it names the file in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The text capture ([`crate::capture`]).
    Capture,
    /// The pcapng file ([`crate::pcap`]).
    Pcapng,
}

impl Kind {
    /// Turns an I/O error on `path` into this recording's error.
    pub fn failed_at(self, path: &Path) -> impl FnOnce(io::Error) -> RecordingError + '_ {
        move |error| RecordingError {
            kind: self,
            path: path.to_owned(),
            error,
            written: 0,
        }
    }

    fn thread_name(self) -> &'static str {
        match self {
            Self::Capture => "netassist-capture",
            Self::Pcapng => "netassist-pcapng",
        }
    }
}

/// The error a recording reports when it reached its size limit (see [`crate::pcap::PcapOptions::limit`]);
/// it is the `source` of that [`RecordingError`]'s I/O error.
#[derive(Debug)]
pub struct LimitReached {
    /// The limit, in bytes.
    pub limit: u64,
}

impl std::fmt::Display for LimitReached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "it reached its limit of {} MiB", self.limit >> 20)
    }
}

impl std::error::Error for LimitReached {}

/// Why a recording stopped or could not start.
#[derive(Debug)]
pub struct RecordingError {
    /// Which recording.
    pub kind: Kind,
    /// The file that could not be written.
    pub path: PathBuf,
    /// What the OS said, or [`LimitReached`].
    pub error: io::Error,
    /// Bytes at the start of the file that hold whole entries ([`Writer::written`]); the rest, if any,
    /// may end in the middle of one.
    pub written: u64,
}

impl RecordingError {
    /// The size limit it stopped at, if that is why it stopped.
    #[must_use]
    pub fn limit(&self) -> Option<u64> {
        self.error
            .get_ref()
            .and_then(|e| e.downcast_ref::<LimitReached>())
            .map(|reached| reached.limit)
    }

    /// Why it stopped, in a few words: the OS's error, or the limit it reached.
    #[must_use]
    pub fn why(&self, lang: Lang) -> String {
        match self.limit() {
            Some(limit) => match lang {
                Lang::En => LimitReached { limit }.to_string(),
                Lang::Zh => format!("已达到 {} MiB 的上限", limit >> 20),
            },
            None => self.error.to_string(),
        }
    }

    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        let (path, why) = (self.path.display(), self.why(Lang::Zh));
        match self.kind {
            Kind::Capture => format!("保存到 {path} 的记录已停止：{why}。会话仍在继续。"),
            Kind::Pcapng => format!("pcapng 文件 {path} 已停止写入：{why}。会话仍在继续。"),
        }
    }
}

impl std::fmt::Display for RecordingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            Kind::Capture => "Capture to",
            Kind::Pcapng => "pcapng file",
        };
        write!(
            f,
            "{what} {} stopped: {}. The session goes on.",
            self.path.display(),
            self.why(Lang::En)
        )
    }
}

impl std::error::Error for RecordingError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// A running recording. Dropping it stops it too; [`Recording::stop`] also says whether everything was
/// written.
pub struct Recording {
    kind: Kind,
    path: PathBuf,
    queue: Option<Sender<Message>>,
    thread: Option<JoinHandle<Result<(), RecordingError>>>,
}

impl Recording {
    /// Creates (or truncates) the file at `path`, makes its writer with `writer` (which may write a
    /// header at once), and starts the thread that writes what is queued. A path that cannot be written
    /// fails here, before any entry is taken.
    pub fn start<W: Writer>(
        kind: Kind,
        path: &Path,
        writer: impl FnOnce(File) -> io::Result<W>,
    ) -> Result<Self, RecordingError> {
        let file = File::create(path).map_err(kind.failed_at(path))?;
        let mut writer = writer(file).map_err(kind.failed_at(path))?;
        let (queue, entries) = crossbeam_channel::bounded(QUEUE_ENTRIES);
        let thread = std::thread::Builder::new()
            .name(kind.thread_name().to_owned())
            .spawn(move || run(&mut writer, &entries))
            .map_err(kind.failed_at(path))?;
        Ok(Self {
            kind,
            path: path.to_owned(),
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    /// Which recording it is.
    #[must_use]
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the queue can take another entry now. When it cannot, the caller leaves events with the
    /// engine until the writer catches up.
    #[must_use]
    pub fn has_room(&self) -> bool {
        self.queue.as_ref().is_some_and(|tx| !tx.is_full())
    }

    /// Whether the writer has ended (it only ends early on a write failure); [`Recording::stop`] tells
    /// why.
    #[must_use]
    pub fn has_failed(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Queues an event for writing. Returns `false` if the writer has ended; [`Recording::stop`] tells
    /// why.
    #[must_use]
    pub fn record(&self, event: &Event) -> bool {
        self.send(Entry::Event(event.clone()))
    }

    /// Queues the opening of a session in `mode` at `at`. Returns `false` if the writer has ended.
    #[must_use]
    pub fn session(&self, mode: &Mode, at: SystemTime) -> bool {
        self.send(Entry::Session {
            mode: mode.clone(),
            at,
        })
    }

    fn send(&self, entry: Entry) -> bool {
        self.queue
            .as_ref()
            .is_some_and(|tx| tx.send(Message::Entry(entry)).is_ok())
    }

    /// Waits, for at most `timeout`, until everything queued so far is written and handed to the OS, and
    /// returns the file's length then (whole entries only). `None` if the writer has ended or was still
    /// busy when the time ran out.
    #[must_use]
    pub fn settle(&self, timeout: Duration) -> Option<u64> {
        let by = Instant::now() + timeout;
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.queue
            .as_ref()?
            .send_deadline(Message::Settle(reply), by)
            .ok()?;
        answer.recv_deadline(by).ok()
    }

    /// Writes what is queued, flushes and closes the file(s), and says whether all went to disk.
    pub fn stop(mut self) -> Result<(), RecordingError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), RecordingError> {
        // Closing the queue tells the writer to finish.
        self.queue = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(self.kind.failed_at(&self.path)(io::Error::other(
                "the recording's thread failed",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // The result has nowhere to go when the recording is dropped rather than stopped.
        let _ = self.finish();
    }
}

/// The recording's thread: writes each entry, flushing whenever the queue runs dry, so the file is
/// current while traffic is light and batched while it is heavy.
fn run(writer: &mut impl Writer, queue: &Receiver<Message>) -> Result<(), RecordingError> {
    let ended = |mut error: RecordingError, writer: &dyn Writer| {
        error.written = writer.written();
        error
    };
    for message in queue {
        match message {
            Message::Entry(entry) => writer.write(&entry).map_err(|e| ended(e, writer))?,
            Message::Settle(reply) => {
                writer.flush().map_err(|e| ended(e, writer))?;
                // The asker may have stopped waiting.
                let _ = reply.send(writer.written());
            }
        }
        if queue.is_empty() {
            writer.flush().map_err(|e| ended(e, writer))?;
        }
    }
    writer.flush().map_err(|e| ended(e, writer))
}
