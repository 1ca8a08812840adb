//! Bytes ⇄ what a person types and reads.
//!
//! This module owns every conversion between the bytes on the wire and text on screen or in a send box:
//! text encodings ([`text`]), hex ([`hex`]), backslash escapes ([`escape`]), checksums ([`checksum`]),
//! the send-side pipeline that turns a typed line into bytes ([`send`]) and its variables ([`template`]),
//! and splitting a byte stream into messages ([`framing`]). It is pure: no I/O, no threads, no GUI. Time
//! enters only as an argument, so everything here is testable without sockets or sleeping (`{rand:N}` draws
//! from a thread-local generator).
//!
//! The GUI, presets and command line all call these functions; nothing else turns typed text into bytes or
//! bytes into display text.
//!
//! Errors name the position of the problem in what the user typed, counted in characters from 1, and come
//! in English ([`std::fmt::Display`]) and Chinese (a `zh()` method), because the app is bilingual.

pub mod checksum;
pub mod convert;
pub mod escape;
pub mod framing;
pub mod hex;
pub mod send;
pub mod template;
pub mod text;

pub use checksum::Checksum;
pub use convert::{ConvertError, hex_to_text, mode_dependent, text_to_hex};
pub use escape::EscapeError;
pub use framing::{
    DEFAULT_MAX_MESSAGE, Framer, FramerConfig, Framing, FramingError, FramingSpecError,
    LengthPrefix, Message, MessageKind,
};
pub use hex::HexError;
pub use send::{InputMode, LineEnding, SendError, SendOptions};
pub use template::{Scope, Template, Values, VariableError};
pub use text::{
    ControlStyle, DisplayDecoder, EncodeError, TextEncoding, UnknownEncoding, decode_for_display,
    decode_for_display_into,
};

/// The choice among `all` that `typed` names: its label, or the label's first word (`CRLF` for
/// `CRLF (\r\n)`), compared without case and without anything but letters and digits, so `crc16-modbus`,
/// `CRC16/MODBUS` and `crc16modbus` all name CRC-16/MODBUS. On no match, a message listing `names`, the
/// choices as the command line spells them.
pub(crate) fn choice_by_name<T: Copy>(
    all: &[T],
    label: impl Fn(T) -> &'static str,
    names: &[&str],
    typed: &str,
) -> Result<T, String> {
    let fold = |text: &str| -> String {
        text.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|ch| ch.to_ascii_lowercase())
            .collect()
    };
    let wanted = fold(typed);
    let first_word = |label: &'static str| label.split(" (").next().unwrap_or(label);
    all.iter()
        .copied()
        .find(|&item| fold(label(item)) == wanted || fold(first_word(label(item))) == wanted)
        .ok_or_else(|| format!("'{typed}' is not one of: {}", names.join(", ")))
}
