//! Picking rows for the traffic view without copying them: a [`Filter`] (peer, direction, notes, text in a
//! message as shown or in hex, or in a note's description), and a [`FilteredView`] that keeps the passing
//! rows up to date as the log grows and drops rows.

use std::collections::VecDeque;

use memchr::memmem::Finder;

use crate::codec::{self, ControlStyle, DisplayDecoder, TextEncoding};
use crate::engine::{Direction, PeerId};
use crate::i18n::{Lang, Text};

use super::log::TrafficLog;
use super::rows::{Note, Row, RowKind};

/// Which rows the traffic view shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Only this peer's rows (notes about the whole session still show), or every peer's.
    pub peer: Option<PeerId>,
    /// Only messages this way (notes still show), or both ways.
    pub dir: Option<Direction>,
    /// Text to find, ignoring case: in a message's text as the encoding decodes it (control characters
    /// as escapes such as `\r`), or in its hex form (`AA 55`); in a note's English or Chinese
    /// description. Empty finds everything.
    pub text: String,
    /// Whether notes (connects, closes, errors) show at all.
    pub show_notes: bool,
    /// The encoding messages are decoded with to find `text`.
    pub encoding: TextEncoding,
}

impl Default for Filter {
    /// Shows every row.
    fn default() -> Self {
        Self {
            peer: None,
            dir: None,
            text: String::new(),
            show_notes: true,
            encoding: TextEncoding::default(),
        }
    }
}

impl Filter {
    /// Whether `row` passes. To test many rows, a [`FilteredView`] prepares the search once.
    #[must_use]
    pub fn matches(&self, row: &Row) -> bool {
        Matcher::new(self).matches(row)
    }

    /// Whether any row could be hidden.
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.peer.is_some() || self.dir.is_some() || !self.text.is_empty() || !self.show_notes
    }
}

/// A [`Filter`] prepared for testing many rows: the search text folded and compiled once, and the
/// buffers for each row's text reused.
struct Matcher<'f> {
    filter: &'f Filter,
    /// The folded search text; `None` when it is empty.
    needle: Option<Finder<'static>>,
    /// Whether the search text could occur in a hex form (hex digits and spaces only).
    hex_form: bool,
    decoder: DisplayDecoder,
    text: String,
    folded: String,
}

impl<'f> Matcher<'f> {
    fn new(filter: &'f Filter) -> Self {
        let mut folded = String::new();
        fold_case_into(&filter.text, &mut folded);
        Self {
            filter,
            needle: (!folded.is_empty()).then(|| Finder::new(folded.as_bytes()).into_owned()),
            hex_form: folded.bytes().all(|b| b.is_ascii_hexdigit() || b == b' '),
            decoder: DisplayDecoder::new(filter.encoding, ControlStyle::Escapes),
            text: String::new(),
            folded,
        }
    }

    fn matches(&mut self, row: &Row) -> bool {
        let filter = self.filter;
        if filter
            .peer
            .is_some_and(|wanted| row.peer.is_some_and(|peer| peer != wanted))
        {
            return false;
        }
        match &row.kind {
            RowKind::Data { dir, bytes, .. } => {
                filter.dir.is_none_or(|wanted| wanted == *dir) && self.data_matches(bytes)
            }
            RowKind::Note(note) => filter.show_notes && self.note_matches(note),
        }
    }

    fn data_matches(&mut self, bytes: &[u8]) -> bool {
        let Some(needle) = &self.needle else {
            return true;
        };
        let shown = if let Some(text) = shown_as_is(bytes) {
            text
        } else {
            self.text.clear();
            self.decoder.decode(bytes, &mut self.text);
            self.decoder.finish(&mut self.text);
            &self.text
        };
        if found(needle, shown, &mut self.folded) {
            return true;
        }
        if !self.hex_form {
            return false;
        }
        self.text.clear();
        codec::hex::format_into(bytes, &mut self.text);
        found(needle, &self.text, &mut self.folded)
    }

    fn note_matches(&mut self, note: &Note) -> bool {
        let Some(needle) = &self.needle else {
            return true;
        };
        found(needle, &note.text(Lang::En), &mut self.folded)
            || found(needle, &note.text(Lang::Zh), &mut self.folded)
    }
}

/// `bytes` as the display shows them, when that is the bytes themselves: printable ASCII other than the
/// backslash (which shows escaped) reads the same in every supported encoding, so most text lines need no
/// decoding to be searched.
fn shown_as_is(bytes: &[u8]) -> Option<&str> {
    if bytes
        .iter()
        .all(|byte| matches!(byte, b' '..=b'[' | b']'..=b'~'))
    {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

/// Whether the folded `haystack` holds `needle`; `folded` is a buffer to reuse.
fn found(needle: &Finder<'_>, haystack: &str, folded: &mut String) -> bool {
    folded.clear();
    fold_case_into(haystack, folded);
    needle.find(folded.as_bytes()).is_some()
}

/// Appends `text` lower-cased a character at a time, the same way for the search text and what it is
/// searched in (`str::to_lowercase` treats a final sigma by context, which would make them differ).
fn fold_case_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
    } else {
        out.extend(text.chars().flat_map(char::to_lowercase));
    }
}

/// The rows of a [`TrafficLog`] that pass a [`Filter`], kept up to date as the log changes.
///
/// It remembers rows by sequence number, so [`refresh`](Self::refresh) only forgets rows the log dropped
/// or cleared and tests rows appended since the last call; only a changed filter or a different log
/// tests every row again.
#[derive(Debug, Default)]
pub struct FilteredView {
    /// The log and filter the rows were picked for.
    source: Option<(u64, Filter)>,
    /// The seqs of the passing rows, oldest first.
    seqs: VecDeque<u64>,
    /// The log's first seq at the last refresh, to turn seqs into indexes.
    first_seq: u64,
    /// The seq after the last row tested.
    next_seq: u64,
    /// With a filter that passes everything, the view is the log itself: its row count, and no seqs.
    everything: Option<usize>,
}

impl FilteredView {
    /// An empty view; the first [`refresh`](Self::refresh) fills it.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Brings the view up to date with `log` under `filter`: the cost is the rows appended and dropped
    /// since the last call, or every row when the filter or the log is not the one of the last call.
    pub fn refresh(&mut self, log: &TrafficLog, filter: &Filter) {
        if !filter.is_active() {
            // Nothing to test or remember: a frame costs the same with a million rows as with ten.
            self.source = None;
            self.seqs.clear();
            self.everything = Some(log.len());
            return;
        }
        self.everything = None;
        if self
            .source
            .as_ref()
            .is_none_or(|(id, old)| *id != log.id() || old != filter)
        {
            self.source = Some((log.id(), filter.clone()));
            self.seqs.clear();
            self.next_seq = 0;
        }
        let first = log.first_seq();
        while self.seqs.front().is_some_and(|&seq| seq < first) {
            self.seqs.pop_front();
        }
        let end = first + log.len() as u64;
        let start = self.next_seq.max(first);
        if start < end {
            let mut matcher = Matcher::new(filter);
            let fresh = (start..end).filter(|&seq| {
                log.row((seq - first) as usize)
                    .is_some_and(|row| matcher.matches(row))
            });
            self.seqs.extend(fresh);
        }
        self.first_seq = first;
        self.next_seq = end;
    }

    /// How many rows pass.
    #[must_use]
    pub fn len(&self) -> usize {
        self.everything.unwrap_or(self.seqs.len())
    }

    /// Whether no row passes.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The log index of the `i`th passing row, as of the last refresh.
    #[must_use]
    pub fn row_index(&self, i: usize) -> Option<usize> {
        match self.everything {
            Some(len) => (i < len).then_some(i),
            None => self.seqs.get(i).map(|seq| (seq - self.first_seq) as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use proptest::prelude::*;

    use super::*;
    use crate::codec::MessageKind;
    use crate::engine::CloseReason;
    use crate::traffic::test_support::*;
    use crate::traffic::{LogConfig, ROW_OVERHEAD};

    fn data_row(peer: PeerId, dir: Direction, bytes: &[u8]) -> Row {
        Row {
            seq: 0,
            at: wall(0),
            peer: Some(peer),
            addr: None,
            kind: RowKind::Data {
                dir,
                bytes: Bytes::copy_from_slice(bytes),
                kind: MessageKind::Complete,
            },
        }
    }

    fn text(text: &str) -> Filter {
        Filter {
            text: text.to_owned(),
            ..Filter::default()
        }
    }

    #[test]
    fn the_filter_finds_gbk_text_when_the_encoding_is_gbk() {
        let mut gbk = Vec::new();
        TextEncoding::Gbk
            .encode_into("温度 OK=25\r\n", &mut gbk)
            .unwrap();
        let row = data_row(P1, Direction::Rx, &gbk);
        let filter = Filter {
            encoding: TextEncoding::Gbk,
            ..text("温度")
        };
        assert!(filter.matches(&row));
        assert!(
            !Filter {
                encoding: TextEncoding::Utf8,
                ..filter.clone()
            }
            .matches(&row)
        );
        // Case does not matter; control characters are found as the escapes the view shows.
        assert!(
            Filter {
                text: "ok=".to_owned(),
                ..filter.clone()
            }
            .matches(&row)
        );
        assert!(
            Filter {
                text: "25\\r\\n".to_owned(),
                ..filter.clone()
            }
            .matches(&row)
        );
        assert!(
            !Filter {
                text: "26".to_owned(),
                ..filter
            }
            .matches(&row)
        );
    }

    #[test]
    fn the_filter_finds_hex() {
        let row = data_row(P1, Direction::Rx, &[0xAA, 0x55, 0x01, 0x7F]);
        assert!(text("AA 55").matches(&row));
        assert!(text("55 01 7f").matches(&row));
        assert!(text("a 5").matches(&row));
        assert!(!text("55 7F").matches(&row));
        assert!(!text("AA 56").matches(&row));
        // In the text, 0x7F shows as `\x7F`, which the hex form alone would not find.
        assert!(text("\\x7f").matches(&row));
    }

    #[test]
    fn the_filter_by_peer_direction_and_notes() {
        let rx = data_row(P1, Direction::Rx, b"ping");
        let tx = data_row(P2, Direction::Tx, b"pong");
        let note = |peer, note| Row {
            seq: 0,
            at: wall(0),
            peer,
            addr: None,
            kind: RowKind::Note(note),
        };
        let closed = note(Some(P2), Note::Closed(CloseReason::Reset));
        let listening = note(None, Note::Listening(addr(10_000)));
        let all = [&rx, &tx, &closed, &listening];
        let passing = |filter: &Filter| all.map(|row| filter.matches(row));

        assert!(!Filter::default().is_active());
        assert_eq!(passing(&Filter::default()), [true; 4]);
        let only_p2 = Filter {
            peer: Some(P2),
            ..Filter::default()
        };
        assert!(only_p2.is_active());
        // Notes about the whole session still show when one peer is picked.
        assert_eq!(passing(&only_p2), [false, true, true, true]);
        let only_rx = Filter {
            dir: Some(Direction::Rx),
            ..Filter::default()
        };
        assert_eq!(passing(&only_rx), [true, false, true, true]);
        let no_notes = Filter {
            show_notes: false,
            ..Filter::default()
        };
        assert!(no_notes.is_active());
        assert_eq!(passing(&no_notes), [true, true, false, false]);
        assert_eq!(passing(&text("RST")), [false, false, true, false]);
        assert_eq!(passing(&text("监听")), [false, false, false, true]);
        assert_eq!(passing(&text("PO")), [false, true, false, false]);
    }

    #[test]
    fn case_folding_handles_more_than_ascii() {
        let row = data_row(P1, Direction::Rx, "ΣΟΦΟΣ Straße".as_bytes());
        assert!(text("σοφοσ").matches(&row));
        assert!(text("STRAßE").matches(&row));
    }

    #[test]
    fn a_view_follows_appends_drops_and_filter_changes() {
        let mut s = Session::new(LogConfig {
            byte_budget: 4 * (ROW_OVERHEAD + 1),
            ..LogConfig::default()
        });
        let mut view = FilteredView::new();
        let filter = text("a");
        view.refresh(&s.log, &filter);
        assert!(view.is_empty());
        s.rx(0, P1, b"a");
        s.rx(1, P1, b"b");
        s.rx(2, P1, b"a");
        view.refresh(&s.log, &filter);
        assert_eq!(
            (view.len(), view.row_index(0), view.row_index(1)),
            (2, Some(0), Some(2))
        );
        s.rx(3, P1, b"b");
        s.rx(4, P1, b"a");
        view.refresh(&s.log, &filter);
        // The first `a` was dropped; indexes follow the log's.
        assert_eq!(s.log.first_seq(), 1);
        assert_eq!(
            (0..view.len())
                .map(|i| view.row_index(i))
                .collect::<Vec<_>>(),
            [Some(1), Some(3)]
        );
        assert_eq!(view.row_index(2), None);
        view.refresh(&s.log, &text("b"));
        assert_eq!(
            (0..view.len())
                .map(|i| view.row_index(i))
                .collect::<Vec<_>>(),
            [Some(0), Some(2)]
        );
        // A new log is a new start, even with the same filter.
        let other = TrafficLog::new(LogConfig::default());
        view.refresh(&other, &text("b"));
        assert!(view.is_empty());
    }

    /// Something that can happen to a log and its view.
    #[derive(Clone, Debug)]
    enum Step {
        Data(u64, bool, Vec<u8>),
        Connect(u64),
        Close(u64),
        Clear,
        Filter(Filter),
        Refresh,
    }

    fn filter_strategy() -> impl Strategy<Value = Filter> {
        let texts = vec![
            "", "a", "B", "ab", "#", "aa 55", "\\r", "conn", "closed", "已",
        ];
        (
            proptest::option::of(1..=3_u64),
            proptest::option::of(any::<bool>()),
            proptest::sample::select(texts),
            any::<bool>(),
            proptest::sample::select(TextEncoding::ALL.to_vec()),
        )
            .prop_map(|(peer, tx, text, show_notes, encoding)| Filter {
                peer: peer.map(PeerId),
                dir: tx.map(|tx| if tx { Direction::Tx } else { Direction::Rx }),
                text: text.to_owned(),
                show_notes,
                encoding,
            })
    }

    fn step_strategy() -> impl Strategy<Value = Step> {
        let byte = proptest::sample::select(vec![b'a', b'B', b'#', b'\r', 0xAA, 0x55, 0xC4, 0xE3]);
        prop_oneof![
            6 => (1..=3_u64, any::<bool>(), proptest::collection::vec(byte, 0..8))
                .prop_map(|(peer, tx, bytes)| Step::Data(peer, tx, bytes)),
            1 => (1..=3_u64).prop_map(Step::Connect),
            1 => (1..=3_u64).prop_map(Step::Close),
            1 => Just(Step::Clear),
            1 => filter_strategy().prop_map(Step::Filter),
            3 => Just(Step::Refresh),
        ]
    }

    /// The log indexes of the rows that pass, tested one by one.
    fn passing_rows(log: &TrafficLog, filter: &Filter) -> Vec<usize> {
        (0..log.len())
            .filter(|&index| filter.matches(log.row(index).unwrap()))
            .collect()
    }

    fn view_rows(view: &FilteredView) -> Vec<usize> {
        (0..view.len())
            .map(|i| view.row_index(i).unwrap())
            .collect()
    }

    proptest! {
        #[test]
        fn a_message_matches_exactly_when_its_shown_text_or_hex_holds_the_search_text(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'K', b' ', b'\\', b'\r', b'x', b'7', 0x7F, 0xAA, 0xC4, 0xE3]),
                0..10,
            ),
            needle in proptest::sample::select(vec!["a", "k", "A K", "\\\\", "\\r", "x7", "7f", "aa", "\\xaa", "ä", "a\\"]),
            encoding in proptest::sample::select(TextEncoding::ALL.to_vec()),
        ) {
            let fold = |text: &str| text.chars().flat_map(char::to_lowercase).collect::<String>();
            let shown = codec::decode_for_display(&bytes, encoding, ControlStyle::Escapes);
            let expected = fold(&shown).contains(&fold(needle))
                || fold(&codec::hex::format(&bytes)).contains(&fold(needle));
            let filter = Filter { encoding, ..text(needle) };
            prop_assert_eq!(filter.matches(&data_row(P1, Direction::Rx, &bytes)), expected);
        }

        #[test]
        fn an_incremental_view_equals_a_full_rebuild(
            budget_rows in 0..12_usize,
            steps in proptest::collection::vec(step_strategy(), 1..80),
        ) {
            let mut s = Session::new(LogConfig {
                byte_budget: budget_rows * (ROW_OVERHEAD + 4),
                ..config(delimiter(b"#"))
            });
            let mut view = FilteredView::new();
            let mut filter = Filter::default();
            for (ms, step) in (0..).zip(steps) {
                match step {
                    Step::Data(peer, tx, bytes) => {
                        let dir = if tx { Direction::Tx } else { Direction::Rx };
                        s.data_seen(ms, ms, PeerId(peer), dir, &bytes);
                    }
                    Step::Connect(peer) => s.connect(ms, PeerId(peer)),
                    Step::Close(peer) => s.close(ms, PeerId(peer), CloseReason::PeerClosed),
                    Step::Clear => s.log.clear(),
                    Step::Filter(new) => filter = new,
                    Step::Refresh => {
                        view.refresh(&s.log, &filter);
                        prop_assert_eq!(view_rows(&view), passing_rows(&s.log, &filter));
                    }
                }
            }
            view.refresh(&s.log, &filter);
            let mut fresh = FilteredView::new();
            fresh.refresh(&s.log, &filter);
            prop_assert_eq!(view_rows(&view), view_rows(&fresh));
            prop_assert_eq!(view_rows(&view), passing_rows(&s.log, &filter));
        }
    }
}
