//! Hex: parsing what people paste (`AA 55 01`, `AA5501`, `0xAA,0x55`, `aa-55`, `\xAA\x55`, several lines)
//! and formatting bytes as spaced uppercase pairs or as a hex dump for a detail view.

use std::fmt::{self, Write as _};

/// Uppercase digits, because that is how device manuals and classic tools print bytes.
const DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// Bytes per line of a [`dump`].
pub const DUMP_WIDTH: usize = 16;

/// Why typed hex could not be read. Positions count characters from 1 in what the user typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HexError {
    /// A character that is neither a hex digit, a separator, nor a `0x`/`\x` prefix.
    NotHexDigit {
        /// Where the character is.
        position: usize,
        /// The character.
        ch: char,
    },
    /// A group of digits had an odd count, so its last digit has no partner. Dropping it silently would
    /// send something other than what was typed.
    LoneDigit {
        /// Where the unpaired digit is.
        position: usize,
        /// The digit.
        ch: char,
    },
    /// A `0x` or `\x` prefix with no digits after it.
    EmptyPrefix {
        /// Where the prefix starts.
        position: usize,
        /// The prefix as conventionally written: `0x` or `\x`.
        prefix: &'static str,
    },
}

impl HexError {
    /// Where the problem is, counted in characters from 1.
    #[must_use]
    pub fn position(&self) -> usize {
        match *self {
            Self::NotHexDigit { position, .. }
            | Self::LoneDigit { position, .. }
            | Self::EmptyPrefix { position, .. } => position,
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match *self {
            Self::NotHexDigit { position, ch } => {
                format!("第 {position} 个字符：{ch:?} 不是十六进制数字")
            }
            Self::LoneDigit { position, ch } => format!(
                "第 {position} 个字符：{ch:?} 缺少配对的数字；每个字节需要两位十六进制数字，例如 0{ch}"
            ),
            Self::EmptyPrefix { position, prefix } => {
                format!("第 {position} 个字符：{prefix} 后面缺少十六进制数字")
            }
        }
    }
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotHexDigit { position, ch } => {
                write!(f, "position {position}: {ch:?} is not a hex digit")
            }
            Self::LoneDigit { position, ch } => write!(
                f,
                "position {position}: {ch:?} has no partner digit; each byte needs two hex digits, as in 0{ch}"
            ),
            Self::EmptyPrefix { position, prefix } => {
                write!(
                    f,
                    "position {position}: {prefix} must be followed by hex digits"
                )
            }
        }
    }
}

impl std::error::Error for HexError {}

/// Reads typed or pasted hex into bytes.
///
/// Digits pair up left to right within a group. Groups are separated by whitespace (including line
/// breaks), `,`, `;`, `:` or `-`, and may start with `0x` or `\x` (any case); `\x` also starts a new group
/// with no separator, as in `\xAA\x55`. A group must have an even number of digits, except that a prefixed
/// group of exactly one digit is that byte (`0x5` is `05`), as C source writes it.
pub fn parse(input: &str) -> Result<Vec<u8>, HexError> {
    parse_at(input, 1)
}

/// [`parse`] for a piece of longer input whose first character is at `position` (from 1), so an error
/// names its place in the whole input.
pub(crate) fn parse_at(input: &str, position: usize) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut group = Group::default();
    let mut chars = input.chars().zip(position..).peekable();
    while let Some((ch, position)) = chars.next() {
        if let Some(nibble) = ch.to_digit(16) {
            let starts_prefix = ch == '0'
                && group.is_unstarted()
                && chars
                    .next_if(|&(next, _)| next.eq_ignore_ascii_case(&'x'))
                    .is_some();
            if starts_prefix {
                group.prefix = Some((position, "0x"));
            } else {
                group.digit(nibble as u8, ch, position, &mut out);
            }
        } else if ch == '\\' {
            if chars
                .next_if(|&(next, _)| next.eq_ignore_ascii_case(&'x'))
                .is_none()
            {
                return Err(HexError::NotHexDigit { position, ch });
            }
            group.end(&mut out)?;
            group.prefix = Some((position, "\\x"));
        } else if ch.is_whitespace() || matches!(ch, ',' | ';' | ':' | '-') {
            group.end(&mut out)?;
        } else {
            return Err(HexError::NotHexDigit { position, ch });
        }
    }
    group.end(&mut out)?;
    Ok(out)
}

/// The group of digits being read by [`parse`].
#[derive(Default)]
struct Group {
    /// Where its `0x`/`\x` prefix is, if it has one.
    prefix: Option<(usize, &'static str)>,
    /// Digits read so far.
    digits: usize,
    /// The first digit of a pair still waiting for its second: value, character, position.
    pending: Option<(u8, char, usize)>,
}

impl Group {
    /// Nothing read yet, so a `0` here may begin a `0x` prefix.
    fn is_unstarted(&self) -> bool {
        self.prefix.is_none() && self.digits == 0
    }

    fn digit(&mut self, nibble: u8, ch: char, position: usize, out: &mut Vec<u8>) {
        self.digits += 1;
        match self.pending.take() {
            Some((high, _, _)) => out.push((high << 4) | nibble),
            None => self.pending = Some((nibble, ch, position)),
        }
    }

    /// Closes the group at a separator, a new prefix, or the end of input.
    fn end(&mut self, out: &mut Vec<u8>) -> Result<(), HexError> {
        let group = std::mem::take(self);
        match (group.prefix, group.pending) {
            (Some((position, prefix)), _) if group.digits == 0 => {
                Err(HexError::EmptyPrefix { position, prefix })
            }
            (Some(_), Some((nibble, _, _))) if group.digits == 1 => {
                out.push(nibble);
                Ok(())
            }
            (_, Some((_, ch, position))) => Err(HexError::LoneDigit { position, ch }),
            (_, None) => Ok(()),
        }
    }
}

/// Formats bytes as spaced uppercase pairs: `AA 55 01`.
#[must_use]
pub fn format(bytes: &[u8]) -> String {
    let mut out = String::new();
    format_into(bytes, &mut out);
    out
}

/// Appends bytes as spaced uppercase pairs to `out`, so a caller formatting many messages can reuse one
/// buffer.
pub fn format_into(bytes: &[u8], out: &mut String) {
    /// Bytes formatted per step: " XX" each, written to a small buffer and appended at once, which is
    /// several times faster than pushing characters one by one.
    const STEP: usize = 256;
    out.reserve(bytes.len() * 3);
    let mut buffer = [0u8; 3 * STEP];
    for (step, chunk) in bytes.chunks(STEP).enumerate() {
        for (slot, &byte) in buffer.chunks_exact_mut(3).zip(chunk) {
            slot.copy_from_slice(&[
                b' ',
                DIGITS[usize::from(byte >> 4)],
                DIGITS[usize::from(byte & 0x0F)],
            ]);
        }
        // Spaces and hex digits are ASCII, so this never fails.
        let text = std::str::from_utf8(&buffer[..3 * chunk.len()]).unwrap_or_default();
        // The first pair has no space before it.
        out.push_str(if step == 0 { &text[1..] } else { text });
    }
}

/// Formats bytes as a hex dump for a detail view, one line per [`DUMP_WIDTH`] bytes:
/// `offset | hex | text`, where the text column shows printable ASCII and `.` for anything else.
///
/// ```
/// use netassist::codec::hex;
///
/// assert_eq!(
///     hex::dump(b"Hello\r\n"),
///     "00000000 | 48 65 6C 6C 6F 0D 0A                            | Hello..\n"
/// );
/// ```
#[must_use]
pub fn dump(bytes: &[u8]) -> String {
    // Offset, " |", a space and pair per byte, " | ", a character per byte, newline.
    const LINE_LEN: usize = 8 + 2 + DUMP_WIDTH * 3 + 3 + DUMP_WIDTH + 1;
    let mut out = String::with_capacity(bytes.len().div_ceil(DUMP_WIDTH) * LINE_LEN);
    for (line, chunk) in bytes.chunks(DUMP_WIDTH).enumerate() {
        // Writing to a String cannot fail. Eight digits cover 4 GiB; larger offsets print wider.
        let _ = write!(out, "{:08X} |", line * DUMP_WIDTH);
        for &byte in chunk {
            out.push(' ');
            push_pair(byte, &mut out);
        }
        // Pad a short last line so its text column lines up with the others.
        for _ in chunk.len()..DUMP_WIDTH {
            out.push_str("   ");
        }
        out.push_str(" | ");
        out.extend(chunk.iter().map(|&byte| {
            if byte.is_ascii_graphic() || byte == b' ' {
                char::from(byte)
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

/// Appends one byte as two uppercase hex digits.
pub(crate) fn push_pair(byte: u8, out: &mut String) {
    out.push(char::from(DIGITS[usize::from(byte >> 4)]));
    out.push(char::from(DIGITS[usize::from(byte & 0x0F)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_inputs_format_across_steps_like_short_ones() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 256) as u8).collect();
        let naive: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
        for len in [0, 1, 255, 256, 257, 512, 1000] {
            assert_eq!(format(&bytes[..len]), naive[..len].join(" "), "{len} bytes");
        }
    }

    #[test]
    fn parses_what_people_paste() {
        let expected = vec![0xAA, 0x55, 0x01];
        for input in [
            "AA 55 01",
            "AA5501",
            "aa5501",
            "0xAA,0x55,0x01",
            "0xAA, 0x55, 0x01",
            "0XAA 0X55 0X01",
            "aa-55-01",
            "aa:55:01",
            "aa;55;01",
            "\\xAA\\x55\\x01",
            "\\XAA\\X55\\X01",
            "AA 55\n01",
            "AA\r\n55\r\n\t01\n",
            "  AA55  01  ",
            "0xAA5501",
            "0xAA\\x55 01",
        ] {
            assert_eq!(parse(input), Ok(expected.clone()), "input {input:?}");
        }
    }

    #[test]
    fn empty_and_separator_only_input_is_no_bytes() {
        assert_eq!(parse(""), Ok(vec![]));
        assert_eq!(parse(" ,\n- "), Ok(vec![]));
    }

    #[test]
    fn a_prefixed_single_digit_is_one_byte() {
        assert_eq!(parse("0x1,0x2, 0xA"), Ok(vec![0x01, 0x02, 0x0A]));
        assert_eq!(parse("\\x5"), Ok(vec![0x05]));
    }

    #[test]
    fn a_zero_inside_a_group_is_a_digit_not_a_prefix() {
        assert_eq!(parse("A0 00"), Ok(vec![0xA0, 0x00]));
        assert_eq!(
            parse("00x1"),
            Err(HexError::NotHexDigit {
                position: 3,
                ch: 'x'
            })
        );
    }

    #[test]
    fn names_the_position_and_character_of_a_bad_digit() {
        let error = parse("AA 55 G1").unwrap_err();
        assert_eq!(
            error,
            HexError::NotHexDigit {
                position: 7,
                ch: 'G'
            }
        );
        assert_eq!(error.to_string(), "position 7: 'G' is not a hex digit");
        assert_eq!(error.zh(), "第 7 个字符：'G' 不是十六进制数字");
        assert_eq!(error.position(), 7);
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        assert_eq!(
            parse("你 AA 好"),
            Err(HexError::NotHexDigit {
                position: 1,
                ch: '你'
            })
        );
        assert_eq!(
            parse("AA 好"),
            Err(HexError::NotHexDigit {
                position: 4,
                ch: '好'
            })
        );
    }

    #[test]
    fn an_odd_digit_count_is_an_error_not_a_dropped_nibble() {
        let error = parse("AA 5 01").unwrap_err();
        assert_eq!(
            error,
            HexError::LoneDigit {
                position: 4,
                ch: '5'
            }
        );
        assert_eq!(
            error.to_string(),
            "position 4: '5' has no partner digit; each byte needs two hex digits, as in 05"
        );
        assert_eq!(
            parse("AA550"),
            Err(HexError::LoneDigit {
                position: 5,
                ch: '0'
            })
        );
        assert_eq!(
            parse("0x123"),
            Err(HexError::LoneDigit {
                position: 5,
                ch: '3'
            })
        );
        assert!(parse("A").is_err());
    }

    #[test]
    fn a_prefix_needs_digits() {
        assert_eq!(
            parse("AA 0x"),
            Err(HexError::EmptyPrefix {
                position: 4,
                prefix: "0x"
            })
        );
        let error = parse("\\x,AA").unwrap_err();
        assert_eq!(
            error,
            HexError::EmptyPrefix {
                position: 1,
                prefix: "\\x"
            }
        );
        assert_eq!(
            error.to_string(),
            "position 1: \\x must be followed by hex digits"
        );
    }

    #[test]
    fn a_backslash_must_start_a_prefix() {
        assert_eq!(
            parse("AA\\n"),
            Err(HexError::NotHexDigit {
                position: 3,
                ch: '\\'
            })
        );
        assert_eq!(
            parse("\\"),
            Err(HexError::NotHexDigit {
                position: 1,
                ch: '\\'
            })
        );
    }

    #[test]
    fn formats_spaced_uppercase_pairs() {
        assert_eq!(format(&[0xAA, 0x55, 0x01, 0x0f]), "AA 55 01 0F");
        assert_eq!(format(&[]), "");
        let mut out = String::from("rx: ");
        format_into(&[0x00, 0xFF], &mut out);
        assert_eq!(out, "rx: 00 FF");
    }

    #[test]
    fn formats_every_byte_value_and_parses_it_back() {
        let all: Vec<u8> = (0..=255).collect();
        let text = format(&all);
        assert!(text.starts_with("00 01 02"));
        assert!(text.ends_with("FE FF"));
        assert_eq!(parse(&text), Ok(all));
    }

    #[test]
    fn dumps_offset_hex_and_text_sixteen_bytes_a_line() {
        let bytes = b"Hello, world!\r\n\x00\xFFABC";
        assert_eq!(
            dump(bytes),
            "00000000 | 48 65 6C 6C 6F 2C 20 77 6F 72 6C 64 21 0D 0A 00 | Hello, world!...\n\
             00000010 | FF 41 42 43                                     | .ABC\n"
        );
        assert_eq!(dump(&[]), "");
    }

    #[test]
    fn dump_offsets_keep_counting() {
        let bytes = vec![b'a'; 0x1000 + 1];
        let text = dump(&bytes);
        assert_eq!(text.lines().count(), 0x101);
        assert!(text.lines().last().unwrap().starts_with("00001000 | 61"));
    }
}
