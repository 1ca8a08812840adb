//! Text encodings: turning typed text into bytes, and received bytes into display text that hides nothing.
//!
//! UTF-8, GBK and GB18030 go through `encoding_rs`; ASCII and Latin-1 are one byte per character and use
//! its `mem` helpers. Display text shows every byte: a byte that is not valid in the chosen encoding
//! appears as `\xNN`, and control characters appear as escapes (`\r`) or symbols (`␍`), so a user can see
//! whether a device sent CRLF.

use std::fmt;
use std::str::FromStr;

use encoding_rs::{DecoderResult, EncoderResult, Encoding, GB18030, GBK, UTF_8};
use serde::{Deserialize, Serialize};

use super::escape::{escape_into, push_byte_escape, push_escaped};

/// A text encoding for typing and showing text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    /// UTF-8, what most software sends today.
    #[default]
    Utf8,
    /// GBK, what many Chinese devices and Windows tools send (code page 936).
    Gbk,
    /// GB18030, the superset of GBK that can write every character.
    Gb18030,
    /// 7-bit ASCII; any byte above `7F` is shown as invalid.
    Ascii,
    /// Latin-1 (ISO-8859-1): each byte is the character with the same number.
    Latin1,
}

impl TextEncoding {
    /// Every encoding, in the order a menu should offer them.
    pub const ALL: [Self; 5] = [
        Self::Utf8,
        Self::Gbk,
        Self::Gb18030,
        Self::Ascii,
        Self::Latin1,
    ];

    /// A short name for menus and messages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Gbk => "GBK",
            Self::Gb18030 => "GB18030",
            Self::Ascii => "ASCII",
            Self::Latin1 => "Latin-1",
        }
    }

    /// The encoding's name reduced for comparing what people type: lowercase, without `-` or `_`.
    fn folded(name: &str) -> String {
        name.chars()
            .filter(|ch| !matches!(ch, '-' | '_'))
            .map(|ch| ch.to_ascii_lowercase())
            .collect()
    }

    /// The `encoding_rs` codec for the encodings where a character may take several bytes.
    fn multi_byte(self) -> Option<&'static Encoding> {
        match self {
            Self::Utf8 => Some(UTF_8),
            Self::Gbk => Some(GBK),
            Self::Gb18030 => Some(GB18030),
            Self::Ascii | Self::Latin1 => None,
        }
    }

    /// Appends `text` in this encoding to `out`. A character the encoding cannot write is an error naming
    /// it and its position in `text`; `out` may then hold part of the text and should be discarded.
    pub fn encode_into(self, text: &str, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let result = match self {
            Self::Utf8 => {
                out.extend_from_slice(text.as_bytes());
                Ok(())
            }
            Self::Ascii => {
                let unencodable = text.char_indices().find(|(_, ch)| !ch.is_ascii());
                if unencodable.is_none() {
                    out.extend_from_slice(text.as_bytes());
                }
                unencodable.map_or(Ok(()), Err)
            }
            Self::Latin1 => {
                let valid = encoding_rs::mem::str_latin1_up_to(text);
                let unencodable = text[valid..].chars().next().map(|ch| (valid, ch));
                if unencodable.is_none() {
                    out.extend_from_slice(&encoding_rs::mem::encode_latin1_lossy(text));
                }
                unencodable.map_or(Ok(()), Err)
            }
            Self::Gbk => encode_multi_byte(GBK, text, out),
            Self::Gb18030 => encode_multi_byte(GB18030, text, out),
        };
        result.map_err(|(index, ch)| EncodeError {
            position: text[..index].chars().count() + 1,
            ch,
            encoding: self,
        })
    }
}

impl TextEncoding {
    /// `bytes` as text in this encoding, when every byte is valid in it; otherwise the index of the first
    /// byte that is not. Nothing is replaced or shown as an escape: this is for turning bytes back into
    /// what someone could have typed, not for showing them (see [`decode_for_display`]).
    pub fn decode_exact(self, bytes: &[u8]) -> Result<String, usize> {
        let Some(encoding) = self.multi_byte() else {
            return match self {
                Self::Ascii => match bytes.iter().position(|byte| !byte.is_ascii()) {
                    Some(index) => Err(index),
                    None => Ok(encoding_rs::mem::decode_latin1(bytes).into_owned()),
                },
                _ => Ok(encoding_rs::mem::decode_latin1(bytes).into_owned()),
            };
        };
        let mut decoder = encoding.new_decoder_without_bom_handling();
        let mut text = String::with_capacity(
            decoder
                .max_utf8_buffer_length_without_replacement(bytes.len())
                .unwrap_or(bytes.len()),
        );
        let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
        match result {
            DecoderResult::Malformed(bad, after) => {
                Err(read - usize::from(after) - usize::from(bad))
            }
            // The buffer was sized for the whole input, so all of it was read.
            DecoderResult::InputEmpty | DecoderResult::OutputFull => Ok(text),
        }
    }

    /// `bytes` as text in this encoding, as [`Self::decode_exact`] reads it, with where each byte of the
    /// text came from: `origin[i]` is the index in `bytes` of the first byte of the character that text
    /// byte `i` belongs to, and `origin[text.len()]` is `bytes.len()`. So a range found in the text is
    /// `origin[start]..origin[end]` in `bytes`. `None` when a byte is not valid in the encoding.
    #[must_use]
    pub fn decode_mapped(self, bytes: &[u8]) -> Option<(String, Vec<usize>)> {
        let mut text = String::with_capacity(bytes.len() * 2);
        let mut origin = Vec::with_capacity(bytes.len() * 2 + 1);
        match self.multi_byte() {
            None => {
                if self == Self::Ascii && !bytes.is_ascii() {
                    return None;
                }
                for (at, &byte) in bytes.iter().enumerate() {
                    let ch = char::from(byte);
                    text.push(ch);
                    origin.extend(std::iter::repeat_n(at, ch.len_utf8()));
                }
            }
            Some(encoding) => {
                // One byte at a time: a character comes out with its last byte, and began after the one
                // before it ended.
                let mut decoder = encoding.new_decoder_without_bom_handling();
                let mut start = 0;
                for at in 0..bytes.len() {
                    text.reserve(4);
                    let before = text.len();
                    let last = at + 1 == bytes.len();
                    let (result, _) = decoder.decode_to_string_without_replacement(
                        &bytes[at..=at],
                        &mut text,
                        last,
                    );
                    if !matches!(result, DecoderResult::InputEmpty) {
                        return None;
                    }
                    if text.len() > before {
                        origin.extend(std::iter::repeat_n(start, text.len() - before));
                        start = at + 1;
                    }
                }
            }
        }
        origin.push(bytes.len());
        Some((text, origin))
    }
}

/// Reads an encoding's name as people type it: `utf-8`, `UTF8`, `gbk`, `GB18030`, `ascii`, `latin-1`, …
impl FromStr for TextEncoding {
    type Err = UnknownEncoding;

    fn from_str(name: &str) -> Result<Self, UnknownEncoding> {
        let folded = Self::folded(name);
        Self::ALL
            .into_iter()
            .find(|encoding| Self::folded(encoding.label()) == folded)
            .ok_or_else(|| UnknownEncoding(name.to_owned()))
    }
}

/// A name that is not one of the [`TextEncoding`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEncoding(pub String);

impl UnknownEncoding {
    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        format!(
            "“{}”不是支持的编码：可用 UTF-8、GBK、GB18030、ASCII、Latin-1",
            self.0
        )
    }
}

impl fmt::Display for UnknownEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' is not a text encoding: use UTF-8, GBK, GB18030, ASCII or Latin-1",
            self.0
        )
    }
}

impl std::error::Error for UnknownEncoding {}

/// Appends `text` encoded with an `encoding_rs` codec; on failure, the byte index and the character that
/// it cannot write.
fn encode_multi_byte(
    codec: &'static Encoding,
    text: &str,
    out: &mut Vec<u8>,
) -> Result<(), (usize, char)> {
    let mut encoder = codec.new_encoder();
    let mut done = 0;
    loop {
        let rest = &text[done..];
        let room = encoder.max_buffer_length_from_utf8_without_replacement(rest.len());
        out.reserve(room.unwrap_or(rest.len()));
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, out, true);
        done += read;
        match result {
            EncoderResult::InputEmpty => return Ok(()),
            EncoderResult::OutputFull => {}
            // `read` includes the character that could not be written.
            EncoderResult::Unmappable(ch) => return Err((done - ch.len_utf8(), ch)),
        }
    }
}

/// A character that the chosen encoding cannot write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeError {
    /// Where the character is, counted in characters from 1 in what the user typed.
    pub position: usize,
    /// The character.
    pub ch: char,
    /// The encoding that cannot write it.
    pub encoding: TextEncoding,
}

impl EncodeError {
    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        format!(
            "第 {} 个字符：{:?} 无法用 {} 编码；请删掉它，或改用 UTF-8（可以编码所有字符）",
            self.position,
            self.ch,
            self.encoding.label()
        )
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "position {}: {:?} cannot be written in {}; remove it or choose UTF-8, which can write any character",
            self.position,
            self.ch,
            self.encoding.label()
        )
    }
}

impl std::error::Error for EncodeError {}

/// How control characters appear in display text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ControlStyle {
    /// Backslash escapes (`\r`, `\n`, `\x01`), with a backslash itself shown as `\\`, so display text can
    /// be pasted into the send box with escapes on and sends the same bytes. Plain ASCII, so every font
    /// can draw it.
    #[default]
    Escapes,
    /// Control picture symbols (`␍`, `␊`, `␀`), shorter to read. Backslashes stay as they are.
    Symbols,
}

impl ControlStyle {
    /// Every style, in the order a menu should offer them.
    pub const ALL: [Self; 2] = [Self::Escapes, Self::Symbols];

    /// A short name for menus.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Escapes => "Escapes (\\r\\n)",
            Self::Symbols => "Symbols (␍␊)",
        }
    }
}

/// Decodes one whole message for display; see [`DisplayDecoder`] for what the text shows. An incomplete
/// character at the end is shown as invalid bytes.
#[must_use]
pub fn decode_for_display(bytes: &[u8], encoding: TextEncoding, style: ControlStyle) -> String {
    let mut out = String::with_capacity(bytes.len());
    decode_for_display_into(bytes, encoding, style, &mut out);
    out
}

/// Appends the display text of one whole message to `out`, as [`decode_for_display`] returns it, so a
/// writer of many lines can reuse one buffer.
pub fn decode_for_display_into(
    bytes: &[u8],
    encoding: TextEncoding,
    style: ControlStyle,
    out: &mut String,
) {
    let mut decoder = DisplayDecoder::new(encoding, style);
    decoder.decode(bytes, out);
    decoder.finish(out);
}

/// How many recent bytes a [`DisplayDecoder`] remembers: `encoding_rs` reports a malformed sequence by its
/// length, at most 4 bytes ending at most 3 bytes back, and it may have begun in an earlier chunk.
const RECENT: usize = 8;

/// Decodes a stream of chunks for display, keeping an incomplete multi-byte character at the end of one
/// chunk for the next, so a character split by TCP still shows correctly once the rest arrives.
///
/// Nothing is hidden: bytes that are not valid in the encoding show as `\xNN`, control characters as
/// escapes or symbols ([`ControlStyle`]), and a byte-order mark as `\u{FEFF}`.
#[derive(Debug)]
pub struct DisplayDecoder {
    encoding: TextEncoding,
    style: ControlStyle,
    /// Holds the incomplete character between chunks; `None` for one-byte encodings, which never split.
    decoder: Option<encoding_rs::Decoder>,
    /// The last bytes fed, to show a malformed sequence that began in an earlier chunk.
    recent: Vec<u8>,
    /// Decoded text before its control characters are made visible; kept to reuse its allocation.
    text: String,
}

impl DisplayDecoder {
    /// A decoder for a new stream.
    #[must_use]
    pub fn new(encoding: TextEncoding, style: ControlStyle) -> Self {
        Self {
            encoding,
            style,
            decoder: encoding
                .multi_byte()
                .map(Encoding::new_decoder_without_bom_handling),
            recent: Vec::with_capacity(2 * RECENT),
            text: String::new(),
        }
    }

    /// Appends the display text of the next chunk to `out`, holding back an incomplete character.
    pub fn decode(&mut self, bytes: &[u8], out: &mut String) {
        self.feed(bytes, false, out);
    }

    /// Ends the stream: an incomplete character held back is shown as invalid bytes. The decoder is then
    /// ready for a new stream.
    pub fn finish(&mut self, out: &mut String) {
        self.feed(&[], true, out);
        self.decoder = self
            .encoding
            .multi_byte()
            .map(Encoding::new_decoder_without_bom_handling);
        self.recent.clear();
    }

    fn feed(&mut self, bytes: &[u8], last: bool, out: &mut String) {
        let Self {
            encoding,
            style,
            decoder,
            recent,
            text,
        } = self;
        let Some(decoder) = decoder else {
            if *encoding == TextEncoding::Latin1 {
                push_visible(&encoding_rs::mem::decode_latin1(bytes), *style, out);
                return;
            }
            // Each run ends with at most one byte that is not ASCII.
            for run in bytes.split_inclusive(|byte| !byte.is_ascii()) {
                let (ascii, invalid) = match run.split_last() {
                    Some((&byte, head)) if !byte.is_ascii() => (head, Some(byte)),
                    _ => (run, None),
                };
                push_visible(&encoding_rs::mem::decode_latin1(ascii), *style, out);
                if let Some(byte) = invalid {
                    push_byte_escape(byte, out);
                }
            }
            return;
        };
        let mut read = 0;
        loop {
            let rest = &bytes[read..];
            text.clear();
            text.reserve(
                decoder
                    .max_utf8_buffer_length_without_replacement(rest.len())
                    .unwrap_or(rest.len()),
            );
            let (result, just_read) =
                decoder.decode_to_string_without_replacement(rest, text, last);
            read += just_read;
            push_visible(text, *style, out);
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    // The bad bytes end `after` bytes before the last byte read, counting back into
                    // earlier chunks through `recent`.
                    let seen = recent.len() + read;
                    let end = seen.saturating_sub(usize::from(after));
                    for index in end.saturating_sub(usize::from(bad))..end {
                        let byte = match index.checked_sub(recent.len()) {
                            Some(here) => bytes[here],
                            None => recent[index],
                        };
                        push_byte_escape(byte, out);
                    }
                }
            }
        }
        recent.extend_from_slice(&bytes[bytes.len().saturating_sub(RECENT)..]);
        let excess = recent.len().saturating_sub(RECENT);
        recent.drain(..excess);
    }
}

/// Appends decoded text with its control characters made visible in the chosen style.
fn push_visible(text: &str, style: ControlStyle, out: &mut String) {
    match style {
        ControlStyle::Escapes => escape_into(text, out),
        ControlStyle::Symbols => {
            for ch in text.chars() {
                match ch {
                    // Unicode's control pictures: U+2400 + n for C0 controls, U+2421 for DEL.
                    '\0'..='\x1F' => out.push(char::from_u32(0x2400 + ch as u32).unwrap_or(ch)),
                    '\x7F' => out.push('\u{2421}'),
                    '\\' => out.push('\\'),
                    // Other invisible characters have no picture; an escape still shows them.
                    _ => push_escaped(ch, out),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_read_by_name_as_people_type_them() {
        for (name, want) in [
            ("utf-8", TextEncoding::Utf8),
            ("UTF8", TextEncoding::Utf8),
            ("gbk", TextEncoding::Gbk),
            ("GB18030", TextEncoding::Gb18030),
            ("ascii", TextEncoding::Ascii),
            ("latin_1", TextEncoding::Latin1),
        ] {
            assert_eq!(name.parse(), Ok(want), "{name}");
        }
        let error = "big5".parse::<TextEncoding>().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("'big5' is not a text encoding"),
            "{error}"
        );
    }

    #[test]
    fn exact_decoding_names_the_first_byte_that_is_not_text() {
        assert_eq!(
            TextEncoding::Gbk.decode_exact(&[0xC4, 0xE3, 0xA1, 0xE6]),
            Ok("你℃".to_owned())
        );
        assert_eq!(TextEncoding::Utf8.decode_exact(b"ok\xFFno"), Err(2));
        assert_eq!(TextEncoding::Utf8.decode_exact(b"ok\xE4\xBD"), Err(2));
        assert_eq!(TextEncoding::Ascii.decode_exact(b"ab\x80"), Err(2));
        assert_eq!(
            TextEncoding::Latin1.decode_exact(b"\xE9"),
            Ok("é".to_owned())
        );
        assert_eq!(TextEncoding::Gb18030.decode_exact(&[0x81]), Err(0));
    }

    #[test]
    fn mapped_decoding_says_where_each_character_came_from() {
        // a, 温 (2 bytes), U+0080 (4 bytes in GB18030), b.
        let bytes = [0x61, 0xCE, 0xC2, 0x81, 0x30, 0x81, 0x30, 0x62];
        let (text, origin) = TextEncoding::Gb18030.decode_mapped(&bytes).unwrap();
        assert_eq!(text, "a温\u{80}b");
        assert_eq!(origin, [0, 1, 1, 1, 3, 3, 7, 8]);
        let (text, origin) = TextEncoding::Gbk
            .decode_mapped(&[0xCE, 0xC2, 0x20])
            .unwrap();
        assert_eq!((text.as_str(), origin), ("温 ", vec![0, 0, 0, 2, 3]));
        let (text, origin) = TextEncoding::Latin1.decode_mapped(b"\xE9!").unwrap();
        assert_eq!((text.as_str(), origin), ("é!", vec![0, 0, 1, 2]));
        assert_eq!(
            TextEncoding::Utf8.decode_mapped("你".as_bytes()),
            Some(("你".to_owned(), vec![0, 0, 0, 3]))
        );
        assert_eq!(
            TextEncoding::Ascii.decode_mapped(b"ok"),
            Some(("ok".to_owned(), vec![0, 1, 2]))
        );
        assert_eq!(
            TextEncoding::Gbk.decode_mapped(&[]),
            Some((String::new(), vec![0]))
        );
        // Not text: a byte that is invalid, and a character cut off at the end.
        assert_eq!(TextEncoding::Gbk.decode_mapped(&[0x41, 0xFF]), None);
        assert_eq!(TextEncoding::Gbk.decode_mapped(&[0xCE, 0xC2, 0xB6]), None);
        assert_eq!(TextEncoding::Ascii.decode_mapped(&[0x80]), None);
    }

    fn encode(encoding: TextEncoding, text: &str) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        encoding.encode_into(text, &mut out).map(|()| out)
    }

    fn show(bytes: &[u8], encoding: TextEncoding) -> String {
        decode_for_display(bytes, encoding, ControlStyle::Escapes)
    }

    /// Feeds `chunks` through one decoder, as the engine would deliver reads.
    fn show_chunks(chunks: &[&[u8]], encoding: TextEncoding, style: ControlStyle) -> String {
        let mut decoder = DisplayDecoder::new(encoding, style);
        let mut out = String::new();
        for chunk in chunks {
            decoder.decode(chunk, &mut out);
        }
        decoder.finish(&mut out);
        out
    }

    #[test]
    fn gbk_nihao_is_c4_e3_ba_c3() {
        let nihao = [0xC4, 0xE3, 0xBA, 0xC3];
        assert_eq!(encode(TextEncoding::Gbk, "你好"), Ok(nihao.to_vec()));
        assert_eq!(encode(TextEncoding::Gb18030, "你好"), Ok(nihao.to_vec()));
        assert_eq!(show(&nihao, TextEncoding::Gbk), "你好");
        assert_eq!(show(&nihao, TextEncoding::Gb18030), "你好");
        assert_eq!(
            encode(TextEncoding::Utf8, "你好").unwrap(),
            "你好".as_bytes()
        );
    }

    #[test]
    fn gbk_split_across_reads_shows_once_the_rest_arrives() {
        let mut decoder = DisplayDecoder::new(TextEncoding::Gbk, ControlStyle::Escapes);
        let mut out = String::new();
        decoder.decode(&[0xC4], &mut out);
        assert_eq!(out, "", "half a character waits for the rest");
        decoder.decode(&[0xE3, 0xBA], &mut out);
        assert_eq!(out, "你");
        decoder.decode(&[0xC3, b'!'], &mut out);
        decoder.finish(&mut out);
        assert_eq!(out, "你好!");
    }

    #[test]
    fn multi_byte_text_split_at_every_boundary_decodes_the_same() {
        let text = "aé你😀\r\n好";
        for encoding in [TextEncoding::Utf8, TextEncoding::Gb18030] {
            let bytes = encode(encoding, text).unwrap();
            for style in ControlStyle::ALL {
                let whole = show_chunks(&[&bytes], encoding, style);
                for split in 0..=bytes.len() {
                    let (a, b) = bytes.split_at(split);
                    assert_eq!(
                        show_chunks(&[a, b], encoding, style),
                        whole,
                        "split {split}"
                    );
                }
                let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
                assert_eq!(show_chunks(&bytewise, encoding, style), whole);
            }
        }
    }

    #[test]
    fn gb18030_writes_what_gbk_cannot() {
        assert_eq!(
            encode(TextEncoding::Gb18030, "😀"),
            Ok(vec![0x94, 0x39, 0xFC, 0x36])
        );
        assert_eq!(show(&[0x94, 0x39, 0xFC, 0x36], TextEncoding::Gb18030), "😀");
        let error = encode(TextEncoding::Gbk, "好😀").unwrap_err();
        assert_eq!(
            error,
            EncodeError {
                position: 2,
                ch: '😀',
                encoding: TextEncoding::Gbk
            }
        );
        assert_eq!(
            error.to_string(),
            "position 2: '😀' cannot be written in GBK; remove it or choose UTF-8, which can write any character"
        );
        assert_eq!(
            error.zh(),
            "第 2 个字符：'😀' 无法用 GBK 编码；请删掉它，或改用 UTF-8（可以编码所有字符）"
        );
    }

    #[test]
    fn one_byte_encodings_refuse_what_they_cannot_write() {
        assert_eq!(
            encode(TextEncoding::Ascii, "OK\r\n"),
            Ok(b"OK\r\n".to_vec())
        );
        assert_eq!(
            encode(TextEncoding::Ascii, "café"),
            Err(EncodeError {
                position: 4,
                ch: 'é',
                encoding: TextEncoding::Ascii
            })
        );
        assert_eq!(
            encode(TextEncoding::Latin1, "café"),
            Ok(b"caf\xE9".to_vec())
        );
        assert_eq!(
            encode(TextEncoding::Latin1, "é€"),
            Err(EncodeError {
                position: 2,
                ch: '€',
                encoding: TextEncoding::Latin1
            })
        );
    }

    #[test]
    fn crlf_is_visible_in_both_styles() {
        assert_eq!(show(b"OK\r\n", TextEncoding::Utf8), "OK\\r\\n");
        assert_eq!(
            decode_for_display(b"OK\r\n", TextEncoding::Ascii, ControlStyle::Symbols),
            "OK␍␊"
        );
        assert_eq!(
            decode_for_display(b"\0\t\x1B\x7F", TextEncoding::Utf8, ControlStyle::Symbols),
            "␀␉␛␡"
        );
    }

    #[test]
    fn backslashes_are_escaped_only_in_the_escapes_style() {
        assert_eq!(show(b"C:\\dir", TextEncoding::Utf8), "C:\\\\dir");
        assert_eq!(
            decode_for_display(b"C:\\dir", TextEncoding::Utf8, ControlStyle::Symbols),
            "C:\\dir"
        );
    }

    #[test]
    fn invalid_bytes_show_as_hex_escapes() {
        assert_eq!(show(b"A\xFFB", TextEncoding::Utf8), "A\\xFFB");
        assert_eq!(show(b"A\x80", TextEncoding::Ascii), "A\\x80");
        assert_eq!(show(b"\xC4\xE3\xFF", TextEncoding::Gbk), "你\\xFF");
        assert_eq!(
            decode_for_display(b"\xFF\r", TextEncoding::Utf8, ControlStyle::Symbols),
            "\\xFF␍"
        );
    }

    #[test]
    fn an_incomplete_character_at_the_end_is_shown_not_dropped() {
        assert_eq!(show(&[b'a', 0xE4, 0xBD], TextEncoding::Utf8), "a\\xE4\\xBD");
        assert_eq!(show(&[0xC4], TextEncoding::Gbk), "\\xC4");
    }

    #[test]
    fn a_bad_sequence_begun_in_an_earlier_chunk_is_shown_whole() {
        let mut decoder = DisplayDecoder::new(TextEncoding::Utf8, ControlStyle::Escapes);
        let mut out = String::new();
        decoder.decode(&[b'x', 0xE4, 0xBD], &mut out);
        decoder.decode(b"A", &mut out);
        decoder.finish(&mut out);
        assert_eq!(out, "x\\xE4\\xBDA");
    }

    #[test]
    fn a_finished_decoder_starts_a_new_stream() {
        let mut decoder = DisplayDecoder::new(TextEncoding::Utf8, ControlStyle::Escapes);
        let mut out = String::new();
        decoder.decode(&[0xE4], &mut out);
        decoder.finish(&mut out);
        decoder.decode("好".as_bytes(), &mut out);
        decoder.finish(&mut out);
        assert_eq!(out, "\\xE4好");
    }

    #[test]
    fn latin1_shows_every_byte_as_its_character() {
        assert_eq!(show(b"caf\xE9 \xFF", TextEncoding::Latin1), "café ÿ");
        assert_eq!(show(b"\x85", TextEncoding::Latin1), "\\u{85}");
    }

    #[test]
    fn a_byte_order_mark_is_visible() {
        assert_eq!(show(b"\xEF\xBB\xBFhi", TextEncoding::Utf8), "\\u{FEFF}hi");
    }

    #[test]
    fn labels_name_every_option() {
        let labels: Vec<_> = TextEncoding::ALL.iter().map(|e| e.label()).collect();
        assert_eq!(labels, ["UTF-8", "GBK", "GB18030", "ASCII", "Latin-1"]);
        assert_eq!(TextEncoding::default(), TextEncoding::Utf8);
        assert_eq!(ControlStyle::ALL.len(), 2);
        assert_eq!(ControlStyle::default(), ControlStyle::Escapes);
    }
}
