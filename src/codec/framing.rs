//! Splitting a byte stream into messages.
//!
//! TCP delivers a stream, not messages: one read may hold half a message, or the end of one and the start
//! of the next ("黏包/拆包", sticky and split packets). A [`Framer`] is fed the bytes of each read from one
//! peer and yields whole messages by the rule the user chose ([`Framing`]). It is a plain state machine:
//! no I/O, and time is an argument, so the idle-gap mode is testable without sleeping.
//!
//! Messages are [`Bytes`] rather than `Vec<u8>`: each read is copied once into the framer's buffer, and the
//! messages cut from it are reference-counted views of that one allocation. Framing thus allocates per
//! read, not per message, and the traffic log, the display and a capture file can share a message without
//! copying it. The cost is that a message kept alone keeps its read's buffer alive; a log that drops the
//! oldest messages first releases those buffers in order.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem::Finder;
use serde::{Deserialize, Serialize};

use super::send::{SendError, SendOptions};

/// The default [`FramerConfig::max_message`]: 1 MiB.
pub const DEFAULT_MAX_MESSAGE: usize = 1024 * 1024;

/// How a byte stream is split into messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Framing {
    /// Each read as it came, which is what classic tools show.
    #[default]
    Raw,
    /// A message ends with a delimiter of one or more bytes, such as `#`, `\n`, `\r\n` or `03`.
    Delimiter {
        /// The bytes that end a message.
        delimiter: Vec<u8>,
        /// Whether messages keep their delimiter at the end.
        keep: bool,
    },
    /// Every message is this many bytes.
    FixedLength {
        /// Bytes per message.
        len: usize,
    },
    /// Each message starts with a header holding the length of what follows; messages are delivered
    /// without their header.
    LengthPrefix {
        /// The header's size, byte order and signedness.
        prefix: LengthPrefix,
        /// Whether the length counts the header's own bytes as well as the message after it.
        counts_header: bool,
    },
    /// A message ends when no byte has arrived for this long, for devices that send bursts without
    /// delimiters.
    IdleGap {
        /// The silence, in milliseconds, that ends a message.
        gap_ms: u32,
    },
}

impl Framing {
    /// One of each mode, with sensible settings, in the order a menu should offer them.
    #[must_use]
    pub fn modes() -> [Self; 5] {
        [
            Self::Raw,
            Self::Delimiter {
                delimiter: b"\n".to_vec(),
                keep: false,
            },
            Self::FixedLength { len: 8 },
            Self::LengthPrefix {
                prefix: LengthPrefix::default(),
                counts_header: false,
            },
            Self::IdleGap { gap_ms: 20 },
        ]
    }

    /// A short name of the mode for menus.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            Self::Raw => "Raw",
            Self::Delimiter { .. } => "Delimiter",
            Self::FixedLength { .. } => "Fixed length",
            Self::LengthPrefix { .. } => "Length prefix",
            Self::IdleGap { .. } => "Idle gap",
        }
    }
}

/// The header of [`Framing::LengthPrefix`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LengthPrefix {
    /// One byte.
    U8,
    /// Two bytes, high byte first (network order).
    #[default]
    U16Be,
    /// Two bytes, low byte first.
    U16Le,
    /// Four bytes, high byte first (network order).
    U32Be,
    /// Four bytes, low byte first.
    U32Le,
    /// Four bytes, signed, high byte first: Java's `DataOutputStream.writeInt`.
    I32Be,
    /// Four bytes, signed, low byte first: Python's `struct.pack('i', n)` on a PC.
    I32Le,
}

impl LengthPrefix {
    /// Every header, in the order a menu should offer them.
    pub const ALL: [Self; 7] = [
        Self::U8,
        Self::U16Be,
        Self::U16Le,
        Self::U32Be,
        Self::U32Le,
        Self::I32Be,
        Self::I32Le,
    ];

    /// A short name for menus.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::U16Be => "u16 big-endian",
            Self::U16Le => "u16 little-endian",
            Self::U32Be => "u32 big-endian",
            Self::U32Le => "u32 little-endian",
            Self::I32Be => "i32 big-endian (Java writeInt)",
            Self::I32Le => "i32 little-endian (Python struct 'i')",
        }
    }

    /// The header's name as the command line writes it: `u8`, `u16be`, … `i32le`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::U8 => "u8",
            Self::U16Be => "u16be",
            Self::U16Le => "u16le",
            Self::U32Be => "u32be",
            Self::U32Le => "u32le",
            Self::I32Be => "i32be",
            Self::I32Le => "i32le",
        }
    }

    /// The header's size in bytes.
    #[must_use]
    pub fn width(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16Be | Self::U16Le => 2,
            Self::U32Be | Self::U32Le | Self::I32Be | Self::I32Le => 4,
        }
    }

    /// The length of the message after `header` (exactly [`Self::width`] bytes), or `None` if the header
    /// cannot be right: negative, or smaller than itself when it counts itself.
    fn body_len(self, header: &[u8], counts_header: bool) -> Option<usize> {
        let h = |index: usize| header[index];
        let declared = match self {
            Self::U8 => Some(u64::from(h(0))),
            Self::U16Be => Some(u64::from(u16::from_be_bytes([h(0), h(1)]))),
            Self::U16Le => Some(u64::from(u16::from_le_bytes([h(0), h(1)]))),
            Self::U32Be => Some(u64::from(u32::from_be_bytes([h(0), h(1), h(2), h(3)]))),
            Self::U32Le => Some(u64::from(u32::from_le_bytes([h(0), h(1), h(2), h(3)]))),
            Self::I32Be => u64::try_from(i32::from_be_bytes([h(0), h(1), h(2), h(3)])).ok(),
            Self::I32Le => u64::try_from(i32::from_le_bytes([h(0), h(1), h(2), h(3)])).ok(),
        };
        let header_len = if counts_header {
            self.width() as u64
        } else {
            0
        };
        let body = declared?.checked_sub(header_len)?;
        // Beyond the address space only on 32-bit targets; the oversize rule then applies.
        Some(usize::try_from(body).unwrap_or(usize::MAX))
    }
}

/// A [`Framing`] with its size limit: what a preset stores and [`Framer::new`] takes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct FramerConfig {
    /// How the stream is split.
    pub framing: Framing,
    /// The longest message, in bytes, the framer holds; see [`Framer`] for what happens beyond it.
    pub max_message: usize,
}

impl Default for FramerConfig {
    fn default() -> Self {
        Framing::default().into()
    }
}

impl From<Framing> for FramerConfig {
    fn from(framing: Framing) -> Self {
        Self {
            framing,
            max_message: DEFAULT_MAX_MESSAGE,
        }
    }
}

/// A framing setting that cannot work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramingError {
    /// A delimiter of no bytes.
    EmptyDelimiter,
    /// A fixed length of 0.
    ZeroLength,
    /// An idle gap of 0 ms.
    ZeroGap,
    /// A maximum message size below what the framing needs: the delimiter length, the fixed length, or
    /// the length header's width.
    MaxTooSmall {
        /// The maximum asked for.
        max: usize,
        /// The least that works.
        min: usize,
    },
}

impl FramingError {
    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match *self {
            Self::EmptyDelimiter => "分隔符为空：请至少输入一个字节，例如 # 或 \\n。".to_owned(),
            Self::ZeroLength => "固定长度为 0：每条消息至少要有 1 个字节。".to_owned(),
            Self::ZeroGap => "空闲间隔为 0 毫秒：请至少输入 1 毫秒。".to_owned(),
            Self::MaxTooSmall { max, min } => {
                format!("最大消息长度 {max} 字节小于此分帧方式所需的 {min} 字节；请调大。")
            }
        }
    }
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::EmptyDelimiter => {
                f.write_str("The delimiter is empty: enter at least one byte, such as # or \\n.")
            }
            Self::ZeroLength => {
                f.write_str("The fixed length is 0: a message needs at least 1 byte.")
            }
            Self::ZeroGap => f.write_str("The idle gap is 0 ms: enter at least 1 ms."),
            Self::MaxTooSmall { max, min } => write!(
                f,
                "The maximum message size, {max} bytes, is below the {min} bytes this framing needs; raise it."
            ),
        }
    }
}

impl std::error::Error for FramingError {}

/// Reads a framing as the command line writes it: `raw`; `delim:TEXT` with escapes (`delim:#`,
/// `delim:\r\n`; the delimiter is stripped); `fixed:N`; `prefix:NAME` with a [`LengthPrefix::name`]
/// (the length does not count the header); `idle:Nms`. A framing that cannot work is refused here too.
///
/// ```
/// use netassist::codec::{Framing, LengthPrefix};
///
/// let python: Framing = "prefix:i32le".parse()?;
/// assert_eq!(python, Framing::LengthPrefix { prefix: LengthPrefix::I32Le, counts_header: false });
/// let crlf: Framing = r"delim:\r\n".parse()?;
/// assert_eq!(crlf, Framing::Delimiter { delimiter: b"\r\n".to_vec(), keep: false });
/// assert!("fixed:0".parse::<Framing>().is_err());
/// # Ok::<(), netassist::codec::FramingSpecError>(())
/// ```
impl FromStr for Framing {
    type Err = FramingSpecError;

    fn from_str(text: &str) -> Result<Self, FramingSpecError> {
        let form = || FramingSpecError::Form(text.to_owned());
        let (kind, arg) = text.split_once(':').unwrap_or((text, ""));
        let framing = match kind {
            "raw" if arg.is_empty() => Self::Raw,
            "delim" => {
                let escaped = SendOptions {
                    escapes: true,
                    ..SendOptions::default()
                };
                Self::Delimiter {
                    delimiter: escaped.build(arg).map_err(FramingSpecError::Delimiter)?,
                    keep: false,
                }
            }
            "fixed" => Self::FixedLength {
                len: arg.parse().map_err(|_| form())?,
            },
            "prefix" => Self::LengthPrefix {
                prefix: *LengthPrefix::ALL
                    .iter()
                    .find(|prefix| prefix.name() == arg)
                    .ok_or_else(form)?,
                counts_header: false,
            },
            "idle" => Self::IdleGap {
                gap_ms: arg
                    .strip_suffix("ms")
                    .unwrap_or(arg)
                    .parse()
                    .map_err(|_| form())?,
            },
            _ => return Err(form()),
        };
        Framer::new(framing.clone()).map_err(FramingSpecError::Invalid)?;
        Ok(framing)
    }
}

/// Why a framing written as text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FramingSpecError {
    /// Not one of the forms.
    Form(String),
    /// The delimiter's escapes are not valid.
    Delimiter(SendError),
    /// Well written, but it cannot work (an empty delimiter, a length of 0, a gap of 0 ms).
    Invalid(FramingError),
}

impl FramingSpecError {
    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Form(text) => format!(
                "“{text}”不是分帧方式：可用 raw、delim:文本（可用转义，如 delim:\\r\\n）、fixed:字节数、\
                 prefix:u8|u16be|u16le|u32be|u32le|i32be|i32le、idle:毫秒数ms"
            ),
            Self::Delimiter(error) => format!("分隔符无效：{}", error.zh()),
            Self::Invalid(error) => error.zh(),
        }
    }
}

impl fmt::Display for FramingSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Form(text) => write!(
                f,
                "'{text}' is not a framing: use raw, delim:TEXT (escapes allowed, as in delim:\\r\\n), \
                 fixed:N, prefix:u8|u16be|u16le|u32be|u32le|i32be|i32le, or idle:Nms"
            ),
            Self::Delimiter(error) => write!(f, "The delimiter is not valid: {error}"),
            Self::Invalid(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for FramingSpecError {}

/// One message, or piece of one, yielded by a [`Framer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The message's bytes, without a stripped delimiter or a length header.
    pub bytes: Bytes,
    /// Whether it is whole.
    pub kind: MessageKind,
}

/// Whether a [`Message`] is whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A whole message.
    Complete,
    /// What was left when the stream ended before the message did.
    Partial,
    /// A piece of a message longer than the maximum size; the pieces of one message come in order.
    Oversize,
    /// A length header that cannot be right (impossible, or announcing more than the maximum message
    /// size); these are its bytes, skipped: the bytes after it are read as the next header.
    BadLength,
}

impl MessageKind {
    /// A short description for the traffic view.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Complete => "complete",
            Self::Partial => "partial: the stream ended first",
            Self::Oversize => "oversize: longer than the maximum message size, shown in pieces",
            Self::BadLength => {
                "bad length header (impossible or beyond the maximum message size): skipped"
            }
        }
    }

    /// The description in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(self) -> &'static str {
        match self {
            Self::Complete => "完整",
            Self::Partial => "不完整：连接先结束了",
            Self::Oversize => "超长：超过最大消息长度，分段显示",
            Self::BadLength => "长度头无效（不可能或超过最大消息长度）：已跳过",
        }
    }
}

/// Splits the byte stream of one peer into messages; see [`Framing`] for the modes.
///
/// Feed it each read with [`push`](Self::push) (or each UDP datagram with
/// [`push_datagram`](Self::push_datagram)); it appends the messages completed to a vector the caller
/// owns and reuses. In idle-gap mode, call [`poll_idle`](Self::poll_idle) when [`deadline`](Self::deadline)
/// has passed. At the end of the stream, [`finish`](Self::finish) returns what is left as a
/// [`MessageKind::Partial`] message, so nothing is lost.
///
/// # Maximum message size
///
/// No message is longer than `max_message`, and between calls the framer holds at most `max_message`
/// bytes (during a call, at most that plus the bytes pushed), so a stream that never ends a message cannot
/// make it grow. A longer message is delivered in pieces marked [`MessageKind::Oversize`], and the framer
/// stays in step with the stream, resuming at the next message boundary:
/// - delimiter: `max_message` counts the delimiter, kept or not. Pieces are `max_message` − (delimiter
///   length − 1) bytes, so a delimiter split between two reads is still found; the message, and its last
///   piece, end at the delimiter.
/// - length prefix: `max_message` counts the message after its header. A header that cannot be right
///   (negative, smaller than itself when it counts itself, or announcing more than `max_message` bytes) is
///   delivered as [`MessageKind::BadLength`] as soon as it arrives, and the bytes after it are read as the
///   next header. Waiting for a body that long would hold every following message back until the close,
///   and such a header is almost always a stream out of step, not a message.
/// - idle gap: pieces of `max_message` bytes; the last piece ends at the gap.
/// - raw: a read longer than `max_message` is cut into pieces of `max_message` bytes.
/// - fixed length cannot exceed it: a length above `max_message` is refused by [`Framer::new`].
///
/// The pieces depend only on the stream, not on how it was split into reads.
///
/// ```
/// use std::time::Instant;
/// use netassist::codec::{Framer, Framing, MessageKind};
///
/// let hash = Framing::Delimiter { delimiter: b"#".to_vec(), keep: false };
/// let mut framer = Framer::new(hash)?;
/// let mut messages = Vec::new();
/// framer.push(b"look#lo", Instant::now(), &mut messages);
/// framer.push(b"ok#", Instant::now(), &mut messages);
/// assert_eq!(messages.len(), 2);
/// assert!(messages.iter().all(|m| m.bytes == "look" && m.kind == MessageKind::Complete));
/// # Ok::<(), netassist::codec::FramingError>(())
/// ```
#[derive(Debug)]
pub struct Framer {
    max_message: usize,
    /// Bytes received but not yet delivered.
    buf: BytesMut,
    mode: Mode,
}

/// The state of each framing mode.
#[derive(Debug)]
enum Mode {
    Raw,
    /// Boxed: the substring searcher takes a few hundred bytes, the other modes a few dozen.
    Delimited(Box<Delimited>),
    Counted(Counted),
    Idle(Idle),
}

impl Framer {
    /// A framer for a new stream, or why the setting cannot work.
    pub fn new(config: impl Into<FramerConfig>) -> Result<Self, FramingError> {
        let FramerConfig {
            framing,
            max_message,
        } = config.into();
        let (mode, min) = match framing {
            Framing::Raw => (Mode::Raw, 1),
            Framing::Delimiter { delimiter, keep } => {
                if delimiter.is_empty() {
                    return Err(FramingError::EmptyDelimiter);
                }
                let delimited = Delimited {
                    finder: Finder::new(&delimiter).into_owned(),
                    keep,
                    searched: 0,
                    oversize: false,
                };
                (Mode::Delimited(Box::new(delimited)), delimiter.len())
            }
            Framing::FixedLength { len } => {
                if len == 0 {
                    return Err(FramingError::ZeroLength);
                }
                (Mode::Counted(Counted::new(Length::Fixed(len))), len)
            }
            Framing::LengthPrefix {
                prefix,
                counts_header,
            } => {
                let length = Length::Prefix {
                    prefix,
                    counts_header,
                };
                (Mode::Counted(Counted::new(length)), prefix.width())
            }
            Framing::IdleGap { gap_ms } => {
                if gap_ms == 0 {
                    return Err(FramingError::ZeroGap);
                }
                let idle = Idle {
                    gap: Duration::from_millis(u64::from(gap_ms)),
                    last: None,
                    oversize: false,
                };
                (Mode::Idle(idle), 1)
            }
        };
        if max_message < min {
            return Err(FramingError::MaxTooSmall {
                max: max_message,
                min,
            });
        }
        Ok(Self {
            max_message,
            buf: BytesMut::new(),
            mode,
        })
    }

    /// The longest message this framer yields.
    #[must_use]
    pub fn max_message(&self) -> usize {
        self.max_message
    }

    /// How many bytes are held for a message not yet complete.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feeds the bytes of one read, received at `now`, and appends the messages they complete to `out`.
    /// In raw mode every read is a message, even an empty one.
    pub fn push(&mut self, bytes: &[u8], now: Instant, out: &mut Vec<Message>) {
        // A gap that passed before these bytes ends the burst before them, even if nobody polled.
        out.extend(self.poll_idle(now));
        let max = self.max_message;
        match &mut self.mode {
            Mode::Raw => {
                let mut read = Bytes::copy_from_slice(bytes);
                if read.len() <= max {
                    out.push(Message {
                        bytes: read,
                        kind: MessageKind::Complete,
                    });
                    return;
                }
                while !read.is_empty() {
                    let piece = read.split_to(read.len().min(max));
                    out.push(Message {
                        bytes: piece,
                        kind: MessageKind::Oversize,
                    });
                }
            }
            Mode::Delimited(delimited) => {
                self.buf.extend_from_slice(bytes);
                delimited.frame(&mut self.buf, max, out);
            }
            Mode::Counted(counted) => {
                self.buf.extend_from_slice(bytes);
                counted.frame(&mut self.buf, max, out);
            }
            Mode::Idle(idle) => {
                if bytes.is_empty() {
                    return;
                }
                self.buf.extend_from_slice(bytes);
                idle.last = Some(now);
                while self.buf.len() > max {
                    idle.oversize = true;
                    out.push(Message {
                        bytes: self.buf.split_to(max).freeze(),
                        kind: MessageKind::Oversize,
                    });
                }
            }
        }
    }

    /// Feeds one UDP datagram as a unit of its own: its messages are appended to `out`, and nothing
    /// carries over to the next datagram. Bytes after the last boundary are the datagram's final message,
    /// complete in the raw, delimiter and idle-gap modes; in the fixed-length and length-prefix modes they
    /// are a message cut short, so they are marked [`MessageKind::Partial`]. Do not mix with
    /// [`push`](Self::push) on one framer.
    pub fn push_datagram(&mut self, datagram: &[u8], now: Instant, out: &mut Vec<Message>) {
        self.push(datagram, now, out);
        out.extend(self.take_rest(true));
    }

    /// When the current message ends if no more bytes arrive: the idle-gap mode's deadline, for the caller
    /// to wake up and [`poll_idle`](Self::poll_idle). `None` when nothing is waiting or in other modes.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        match &self.mode {
            Mode::Idle(idle) if !self.buf.is_empty() => {
                idle.last.and_then(|last| last.checked_add(idle.gap))
            }
            _ => None,
        }
    }

    /// In idle-gap mode, the message waiting once its [`deadline`](Self::deadline) has passed at `now`.
    pub fn poll_idle(&mut self, now: Instant) -> Option<Message> {
        if self.deadline().is_some_and(|deadline| now >= deadline) {
            self.take_rest(true)
        } else {
            None
        }
    }

    /// Ends the stream: the bytes of a message begun but not ended, as a [`MessageKind::Partial`] message
    /// (empty if only its length header had arrived). The framer is then ready for a new stream.
    pub fn finish(&mut self) -> Option<Message> {
        self.take_rest(false)
    }

    /// Takes what is held and resets for a new message. At a boundary the mode accepts as the end of a
    /// message (a datagram's end, an idle gap), it is complete, or the last oversize piece; otherwise
    /// partial.
    fn take_rest(&mut self, at_boundary: bool) -> Option<Message> {
        let (begun, oversize, ends_here) = match &mut self.mode {
            Mode::Raw => (false, false, true),
            Mode::Delimited(delimited) => {
                delimited.searched = 0;
                (false, std::mem::take(&mut delimited.oversize), true)
            }
            Mode::Counted(counted) => (counted.remaining.take().is_some(), false, false),
            Mode::Idle(idle) => {
                idle.last = None;
                (false, std::mem::take(&mut idle.oversize), true)
            }
        };
        if self.buf.is_empty() && !begun {
            return None;
        }
        let kind = match (at_boundary && ends_here, oversize) {
            (false, _) => MessageKind::Partial,
            (true, true) => MessageKind::Oversize,
            (true, false) => MessageKind::Complete,
        };
        Some(Message {
            bytes: self.buf.split().freeze(),
            kind,
        })
    }
}

/// State of the delimiter mode.
#[derive(Debug)]
struct Delimited {
    finder: Finder<'static>,
    keep: bool,
    /// How far the buffer is known to hold no delimiter start, so a long message is not searched again
    /// from its beginning at every read.
    searched: usize,
    /// Pieces of the current message have been delivered as oversize.
    oversize: bool,
}

impl Delimited {
    fn frame(&mut self, buf: &mut BytesMut, max: usize, out: &mut Vec<Message>) {
        let delimiter_len = self.finder.needle().len();
        // Leaves the last `delimiter_len - 1` bytes a piece could take, in case a delimiter starts there.
        let piece_len = max - (delimiter_len - 1);
        loop {
            let end = self
                .finder
                .find(&buf[self.searched..])
                .map(|at| self.searched + at + delimiter_len);
            // Bytes of the current message known so far, with its delimiter if found.
            let mut len = end.unwrap_or(buf.len());
            while len > max {
                self.oversize = true;
                out.push(Message {
                    bytes: buf.split_to(piece_len).freeze(),
                    kind: MessageKind::Oversize,
                });
                len -= piece_len;
            }
            if end.is_none() {
                self.searched = len.saturating_sub(delimiter_len - 1);
                return;
            }
            let mut message = buf.split_to(len);
            if !self.keep {
                message.truncate(len - delimiter_len);
            }
            self.searched = 0;
            let kind = if std::mem::take(&mut self.oversize) {
                MessageKind::Oversize
            } else {
                MessageKind::Complete
            };
            // An oversize message whose last piece would be only its stripped delimiter has ended already.
            if kind == MessageKind::Complete || !message.is_empty() {
                out.push(Message {
                    bytes: message.freeze(),
                    kind,
                });
            }
        }
    }
}

/// Where the length of a message comes from in the modes that count bytes.
#[derive(Clone, Copy, Debug)]
enum Length {
    Fixed(usize),
    Prefix {
        prefix: LengthPrefix,
        counts_header: bool,
    },
}

/// State of the fixed-length and length-prefix modes.
#[derive(Debug)]
struct Counted {
    length: Length,
    /// Bytes of the current message still to come, or `None` between messages. Never more than the
    /// maximum message size: a longer fixed length is refused, a longer length header is a bad one.
    remaining: Option<usize>,
}

impl Counted {
    fn new(length: Length) -> Self {
        Self {
            length,
            remaining: None,
        }
    }

    fn frame(&mut self, buf: &mut BytesMut, max: usize, out: &mut Vec<Message>) {
        loop {
            let remaining = match (self.remaining, self.length) {
                (Some(remaining), _) => remaining,
                (None, Length::Fixed(len)) => {
                    if buf.is_empty() {
                        return;
                    }
                    len
                }
                (
                    None,
                    Length::Prefix {
                        prefix,
                        counts_header,
                    },
                ) => {
                    let width = prefix.width();
                    if buf.len() < width {
                        return;
                    }
                    let Some(len) = prefix
                        .body_len(&buf[..width], counts_header)
                        .filter(|len| *len <= max)
                    else {
                        out.push(Message {
                            bytes: buf.split_to(width).freeze(),
                            kind: MessageKind::BadLength,
                        });
                        continue;
                    };
                    buf.advance(width);
                    len
                }
            };
            if buf.len() < remaining {
                self.remaining = Some(remaining);
                return;
            }
            out.push(Message {
                bytes: buf.split_to(remaining).freeze(),
                kind: MessageKind::Complete,
            });
            self.remaining = None;
        }
    }
}

/// State of the idle-gap mode.
#[derive(Debug)]
struct Idle {
    gap: Duration,
    /// When the last byte arrived, while a message is waiting.
    last: Option<Instant>,
    /// Pieces of the current burst have been delivered as oversize.
    oversize: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageKind::{BadLength, Complete, Oversize, Partial};

    type Outcome = Vec<(MessageKind, Vec<u8>)>;

    #[test]
    fn framings_are_read_as_the_command_line_writes_them() {
        let parsed = |text: &str| text.parse::<Framing>();
        assert_eq!(parsed("raw"), Ok(Framing::Raw));
        assert_eq!(parsed("delim:#"), Ok(delimiter(b"#", false)));
        assert_eq!(parsed(r"delim:\x03"), Ok(delimiter(&[3], false)));
        assert_eq!(parsed("fixed:8"), Ok(Framing::FixedLength { len: 8 }));
        for prefix in LengthPrefix::ALL {
            let want = Framing::LengthPrefix {
                prefix,
                counts_header: false,
            };
            assert_eq!(parsed(&format!("prefix:{}", prefix.name())), Ok(want));
        }
        assert_eq!(parsed("idle:50ms"), Ok(Framing::IdleGap { gap_ms: 50 }));
        assert_eq!(parsed("idle:50"), Ok(Framing::IdleGap { gap_ms: 50 }));
        assert_eq!(
            parsed("delim:"),
            Err(FramingSpecError::Invalid(FramingError::EmptyDelimiter))
        );
        assert!(matches!(
            parsed(r"delim:\q"),
            Err(FramingSpecError::Delimiter(_))
        ));
        for bad in ["", "raw:1", "fixed:x", "prefix:u64", "idle:soon", "lines"] {
            let error = parsed(bad).unwrap_err();
            assert!(
                error.to_string().contains("is not a framing"),
                "{bad}: {error}"
            );
        }
    }

    fn delimiter(delimiter: &[u8], keep: bool) -> Framing {
        Framing::Delimiter {
            delimiter: delimiter.to_vec(),
            keep,
        }
    }

    fn prefix(prefix: LengthPrefix, counts_header: bool) -> Framing {
        Framing::LengthPrefix {
            prefix,
            counts_header,
        }
    }

    fn limited(framing: Framing, max_message: usize) -> FramerConfig {
        FramerConfig {
            framing,
            max_message,
        }
    }

    fn outcome(messages: Vec<Message>) -> Outcome {
        messages
            .into_iter()
            .map(|message| (message.kind, message.bytes.to_vec()))
            .collect()
    }

    /// Pushes each chunk at one instant, then ends the stream, checking the memory bound after each push.
    fn frame(config: impl Into<FramerConfig>, chunks: &[&[u8]]) -> Outcome {
        let mut framer = Framer::new(config).unwrap();
        let now = Instant::now();
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, now, &mut out);
            assert!(framer.buffered() <= framer.max_message());
        }
        out.extend(framer.finish());
        assert_eq!(framer.buffered(), 0);
        outcome(out)
    }

    fn expect(messages: &[(MessageKind, &[u8])]) -> Outcome {
        messages
            .iter()
            .map(|&(kind, bytes)| (kind, bytes.to_vec()))
            .collect()
    }

    /// Feeds `stream` whole, a byte at a time, and split in two and in three at every boundary; every way
    /// must yield `expected`.
    fn check_every_split(
        config: impl Into<FramerConfig>,
        stream: &[u8],
        expected: &[(MessageKind, &[u8])],
    ) {
        let config = config.into();
        let expected = expect(expected);
        assert_eq!(frame(config.clone(), &[stream]), expected, "whole");
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(
            frame(config.clone(), &bytewise),
            expected,
            "a byte at a time"
        );
        for i in 0..=stream.len() {
            let (a, rest) = stream.split_at(i);
            assert_eq!(frame(config.clone(), &[a, rest]), expected, "split at {i}");
            for j in 0..=rest.len() {
                let (b, c) = rest.split_at(j);
                assert_eq!(
                    frame(config.clone(), &[a, b, c]),
                    expected,
                    "split at {i} and {}",
                    i + j
                );
            }
        }
    }

    /// What Python's `struct.pack('i', n)` sends on a PC, followed by the payload.
    fn python_struct_message(payload: &[u8]) -> Vec<u8> {
        let mut message = i32::try_from(payload.len()).unwrap().to_le_bytes().to_vec();
        message.extend_from_slice(payload);
        message
    }

    #[test]
    fn sticky_and_split_packets_from_real_tools() {
        let hash = || delimiter(b"#", false);
        assert_eq!(
            frame(hash(), &[b"look#lo", b"ok#"]),
            expect(&[(Complete, b"look"), (Complete, b"look")])
        );
        assert_eq!(
            frame(hash(), &[b"l", b"oo", b"k#"]),
            expect(&[(Complete, b"look")])
        );
        assert_eq!(
            frame(hash(), &[b"look#look#"]),
            expect(&[(Complete, b"look"), (Complete, b"look")])
        );
        assert_eq!(
            frame(delimiter(b"#", true), &[b"look#lo", b"ok#"]),
            expect(&[(Complete, b"look#"), (Complete, b"look#")])
        );
    }

    #[test]
    fn delimiter_split_everywhere() {
        check_every_split(
            delimiter(b"#", false),
            b"look#look#lo",
            &[(Complete, b"look"), (Complete, b"look"), (Partial, b"lo")],
        );
        check_every_split(
            delimiter(b"#", true),
            b"##a#",
            &[(Complete, b"#"), (Complete, b"#"), (Complete, b"a#")],
        );
    }

    #[test]
    fn crlf_split_everywhere_including_between_cr_and_lf() {
        check_every_split(
            delimiter(b"\r\n", false),
            b"OK\r\nERR\rOR\r\n\r\n+",
            &[
                (Complete, b"OK"),
                (Complete, b"ERR\rOR"),
                (Complete, b""),
                (Partial, b"+"),
            ],
        );
        check_every_split(
            delimiter(b"\r\n", true),
            b"\r\r\n\n\r\n",
            &[(Complete, b"\r\r\n"), (Complete, b"\n\r\n")],
        );
    }

    #[test]
    fn a_delimiter_that_overlaps_itself_ends_at_its_first_occurrence() {
        check_every_split(
            delimiter(b"aab", false),
            b"xaaabaab",
            &[(Complete, b"xa"), (Complete, b"")],
        );
    }

    #[test]
    fn etx_byte_delimiter() {
        check_every_split(
            delimiter(&[0x03], true),
            &[0x02, b'h', b'i', 0x03, 0x02, 0x03],
            &[
                (Complete, &[0x02, b'h', b'i', 0x03]),
                (Complete, &[0x02, 0x03]),
            ],
        );
    }

    #[test]
    fn fixed_length_split_everywhere() {
        check_every_split(
            Framing::FixedLength { len: 4 },
            b"abcdefghij",
            &[(Complete, b"abcd"), (Complete, b"efgh"), (Partial, b"ij")],
        );
    }

    #[test]
    fn python_struct_little_endian_prefix_split_everywhere() {
        let mut stream = python_struct_message(b"hello");
        assert_eq!(&stream[..4], [0x05, 0x00, 0x00, 0x00]);
        stream.extend(python_struct_message(b""));
        stream.extend(python_struct_message("你好".as_bytes()));
        stream.extend(&[0x09, 0x00]);
        check_every_split(
            prefix(LengthPrefix::I32Le, false),
            &stream,
            &[
                (Complete, b"hello"),
                (Complete, b""),
                (Complete, "你好".as_bytes()),
                (Partial, &[0x09, 0x00]),
            ],
        );
    }

    #[test]
    fn every_prefix_width_and_order() {
        let cases: [(LengthPrefix, &[u8]); 7] = [
            (LengthPrefix::U8, &[3]),
            (LengthPrefix::U16Be, &[0, 3]),
            (LengthPrefix::U16Le, &[3, 0]),
            (LengthPrefix::U32Be, &[0, 0, 0, 3]),
            (LengthPrefix::U32Le, &[3, 0, 0, 0]),
            (LengthPrefix::I32Be, &[0, 0, 0, 3]),
            (LengthPrefix::I32Le, &[3, 0, 0, 0]),
        ];
        for (kind, header) in cases {
            assert_eq!(header.len(), kind.width());
            let mut stream = header.to_vec();
            stream.extend(b"abc");
            stream.extend(header);
            stream.extend(b"xyz");
            check_every_split(
                prefix(kind, false),
                &stream,
                &[(Complete, b"abc"), (Complete, b"xyz")],
            );
        }
    }

    #[test]
    fn a_length_that_counts_its_header() {
        check_every_split(
            prefix(LengthPrefix::U16Be, true),
            &[0, 7, b'h', b'e', b'l', b'l', b'o', 0, 2],
            &[(Complete, b"hello"), (Complete, b"")],
        );
    }

    #[test]
    fn a_length_header_that_cannot_be_right_is_reported_and_skipped() {
        let mut stream = (-1_i32).to_le_bytes().to_vec();
        stream.extend(python_struct_message(b"ok"));
        check_every_split(
            prefix(LengthPrefix::I32Le, false),
            &stream,
            &[(BadLength, &[0xFF; 4]), (Complete, b"ok")],
        );
        check_every_split(
            prefix(LengthPrefix::U16Be, true),
            &[0, 1, 0, 3, b'x'],
            &[(BadLength, &[0, 1]), (Complete, b"x")],
        );
    }

    #[test]
    fn only_a_header_at_the_end_is_an_empty_partial_message() {
        assert_eq!(
            frame(prefix(LengthPrefix::U8, false), &[&[5]]),
            expect(&[(Partial, b"")])
        );
        assert_eq!(frame(prefix(LengthPrefix::U8, false), &[]), expect(&[]));
    }

    #[test]
    fn an_oversize_delimited_message_comes_in_pieces_then_framing_resumes() {
        check_every_split(
            limited(delimiter(b"#", false), 4),
            b"abcdefghij#xy#",
            &[
                (Oversize, b"abcd"),
                (Oversize, b"efgh"),
                (Oversize, b"ij"),
                (Complete, b"xy"),
            ],
        );
        // Pieces leave room for a delimiter cut in two; the limit counts the delimiter.
        check_every_split(
            limited(delimiter(b"\r\n", false), 4),
            b"abcdefg\r\nOK\r\nabc\r\n",
            &[
                (Oversize, b"abc"),
                (Oversize, b"def"),
                (Oversize, b"g"),
                (Complete, b"OK"),
                (Oversize, b"abc"),
            ],
        );
        check_every_split(
            limited(delimiter(b"\r\n", true), 4),
            b"abcd\r\nxyzw",
            &[(Oversize, b"abc"), (Oversize, b"d\r\n"), (Partial, b"xyzw")],
        );
    }

    #[test]
    fn a_length_header_beyond_the_maximum_is_reported_at_once_and_skipped() {
        check_every_split(
            limited(prefix(LengthPrefix::U8, false), 4),
            &[10, 2, b'o', b'k'],
            &[(BadLength, &[10]), (Complete, b"ok")],
        );
        // Reported as it arrives, not when the stream ends: nothing else has come yet.
        let mut framer = Framer::new(prefix(LengthPrefix::I32Le, false)).unwrap();
        let mut out = Vec::new();
        framer.push(&0x7FFF_FFFF_i32.to_le_bytes(), Instant::now(), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, BadLength);
        assert_eq!(&out[0].bytes[..], [0xFF, 0xFF, 0xFF, 0x7F]);
    }

    #[test]
    fn a_stream_without_delimiters_never_grows_past_the_limit() {
        let mut framer = Framer::new(limited(delimiter(b"\r\n", false), 1000)).unwrap();
        let now = Instant::now();
        let mut out = Vec::new();
        let read = [b'x'; 4096];
        for _ in 0..1000 {
            framer.push(&read, now, &mut out);
            assert!(framer.buffered() <= 1000);
            assert!(out.iter().all(|message| message.bytes.len() <= 1000));
            out.clear();
        }
    }

    #[test]
    fn raw_yields_each_read_as_it_came() {
        assert_eq!(
            frame(Framing::Raw, &[b"look#lo", b"ok#", b""]),
            expect(&[(Complete, b"look#lo"), (Complete, b"ok#"), (Complete, b"")])
        );
        assert_eq!(
            frame(limited(Framing::Raw, 4), &[b"abcdefghij", b"ok"]),
            expect(&[
                (Oversize, b"abcd"),
                (Oversize, b"efgh"),
                (Oversize, b"ij"),
                (Complete, b"ok")
            ])
        );
    }

    #[test]
    fn idle_gap_ends_a_message_after_silence() {
        let mut framer = Framer::new(Framing::IdleGap { gap_ms: 20 }).unwrap();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut out = Vec::new();
        assert_eq!(framer.deadline(), None);
        framer.push(b"ab", t0, &mut out);
        framer.push(b"cd", ms(5), &mut out);
        assert!(out.is_empty());
        assert_eq!(framer.deadline(), Some(ms(25)));
        assert_eq!(framer.poll_idle(ms(24)), None);
        let message = framer.poll_idle(ms(25)).unwrap();
        assert_eq!((message.kind, &message.bytes[..]), (Complete, &b"abcd"[..]));
        assert_eq!(framer.deadline(), None);
        assert_eq!(framer.poll_idle(ms(1000)), None);

        // Without a poll, the next read after the gap still ends the message before it.
        framer.push(b"ef", ms(100), &mut out);
        framer.push(b"gh", ms(200), &mut out);
        assert_eq!(outcome(out), expect(&[(Complete, b"ef")]));
        assert_eq!(
            framer.finish().map(|m| (m.kind, m.bytes.to_vec())),
            Some((Partial, b"gh".to_vec()))
        );
    }

    #[test]
    fn idle_gap_cuts_an_endless_burst() {
        let mut framer = Framer::new(limited(Framing::IdleGap { gap_ms: 10 }, 4)).unwrap();
        let t0 = Instant::now();
        let mut out = Vec::new();
        framer.push(b"abcdefghij", t0, &mut out);
        assert_eq!(framer.buffered(), 2);
        out.extend(framer.poll_idle(t0 + Duration::from_millis(10)));
        framer.push(b"ok", t0 + Duration::from_millis(50), &mut out);
        out.extend(framer.poll_idle(t0 + Duration::from_millis(60)));
        assert_eq!(
            outcome(out),
            expect(&[
                (Oversize, b"abcd"),
                (Oversize, b"efgh"),
                (Oversize, b"ij"),
                (Complete, b"ok")
            ])
        );
    }

    #[test]
    fn idle_gap_bursts_split_everywhere_at_one_instant() {
        check_every_split(
            limited(Framing::IdleGap { gap_ms: 1 }, 3),
            b"abcdefg",
            &[(Oversize, b"abc"), (Oversize, b"def"), (Partial, b"g")],
        );
    }

    #[test]
    fn udp_datagrams_are_units() {
        let now = Instant::now();
        let datagrams = |framing: Framing, datagrams: &[&[u8]]| {
            let mut framer = Framer::new(framing).unwrap();
            let mut out = Vec::new();
            for datagram in datagrams {
                framer.push_datagram(datagram, now, &mut out);
                assert_eq!(framer.buffered(), 0);
            }
            assert_eq!(framer.finish(), None);
            outcome(out)
        };
        assert_eq!(
            datagrams(delimiter(b"#", false), &[b"a#b", b"c#", b"d"]),
            expect(&[
                (Complete, b"a"),
                (Complete, b"b"),
                (Complete, b"c"),
                (Complete, b"d")
            ])
        );
        assert_eq!(
            datagrams(Framing::Raw, &[b"one", b""]),
            expect(&[(Complete, b"one"), (Complete, b"")])
        );
        assert_eq!(
            datagrams(Framing::IdleGap { gap_ms: 50 }, &[b"one", b"two"]),
            expect(&[(Complete, b"one"), (Complete, b"two")])
        );
        assert_eq!(
            datagrams(
                prefix(LengthPrefix::U8, false),
                &[&[2, b'o', b'k', 5, b'x'], &[1, b'!']]
            ),
            expect(&[(Complete, b"ok"), (Partial, b"x"), (Complete, b"!")])
        );
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        let refused = |config: FramerConfig| Framer::new(config).unwrap_err();
        assert_eq!(
            refused(delimiter(b"", false).into()),
            FramingError::EmptyDelimiter
        );
        assert_eq!(
            refused(Framing::FixedLength { len: 0 }.into()),
            FramingError::ZeroLength
        );
        assert_eq!(
            refused(Framing::IdleGap { gap_ms: 0 }.into()),
            FramingError::ZeroGap
        );
        let error = refused(limited(Framing::FixedLength { len: 100 }, 10));
        assert_eq!(error, FramingError::MaxTooSmall { max: 10, min: 100 });
        assert_eq!(
            error.to_string(),
            "The maximum message size, 10 bytes, is below the 100 bytes this framing needs; raise it."
        );
        assert_eq!(
            error.zh(),
            "最大消息长度 10 字节小于此分帧方式所需的 100 字节；请调大。"
        );
        assert_eq!(
            refused(limited(delimiter(b"\r\n", false), 1)),
            FramingError::MaxTooSmall { max: 1, min: 2 }
        );
        assert_eq!(
            refused(limited(prefix(LengthPrefix::U32Be, false), 3)),
            FramingError::MaxTooSmall { max: 3, min: 4 }
        );
        assert_eq!(
            refused(limited(Framing::Raw, 0)),
            FramingError::MaxTooSmall { max: 0, min: 1 }
        );
    }

    #[test]
    fn defaults_and_menus() {
        let config = FramerConfig::default();
        assert_eq!(config.framing, Framing::Raw);
        assert_eq!(config.max_message, 1024 * 1024);
        let labels: Vec<_> = Framing::modes().iter().map(Framing::label).collect();
        assert_eq!(
            labels,
            [
                "Raw",
                "Delimiter",
                "Fixed length",
                "Length prefix",
                "Idle gap"
            ]
        );
        for framing in Framing::modes() {
            assert!(Framer::new(framing).is_ok());
        }
        assert_eq!(LengthPrefix::ALL.len(), 7);
        assert!(LengthPrefix::I32Le.label().contains("Python"));
        assert_eq!(
            MessageKind::Oversize.zh(),
            "超长：超过最大消息长度，分段显示"
        );
    }
}
