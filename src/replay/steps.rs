//! A recorded conversation as a check's steps for one of its ends: what that end sent becomes `send`
//! steps (hex, byte for byte), the gaps between them `wait` steps, and with [`Timing::Wait`] what the
//! other end sent before each send becomes `expect` steps that must arrive first; the end of a TCP
//! connection becomes `disconnect` (this end closed first) or `expect_close` (the other end did).

use std::fmt::Write;
use std::time::{Duration, SystemTime};

use crate::check::{DEFAULT_WITHIN_MS, Step};
use crate::codec::{InputMode, TextEncoding, hex};
use crate::pcap::read::{Conversation, Transport};
use crate::rules::Match;

use super::Timing;

/// The most bytes one `expect` step looks for; longer runs are several in a row, so each regex stays
/// small.
pub const EXPECT_PIECE: usize = 4096;

/// A regex that matches exactly `bytes` at the start of what arrived since the last match: printable
/// ASCII as itself (readable in the check's output), other bytes as `\xHH`, without Unicode so each
/// escape is one byte.
#[must_use]
pub fn exact_regex(bytes: &[u8]) -> String {
    let mut regex = String::from(r"(?-u)\A");
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || byte == b' ' {
            regex.push(char::from(byte));
        } else if byte.is_ascii_graphic() {
            regex.push_str(&regex::escape(&char::from(byte).to_string()));
        } else {
            let _ = write!(regex, r"\x{byte:02X}");
        }
    }
    regex
}

/// Milliseconds from `from` to `to` (none if `to` is earlier).
fn millis(from: SystemTime, to: SystemTime) -> u64 {
    to.duration_since(from)
        .unwrap_or_default()
        .as_millis()
        .try_into()
        .unwrap_or(u64::MAX)
}

/// How long an expect waits for what took `recorded` in the recording: twice that and a second, and at
/// least the checks' default.
fn within(recorded: u64) -> u64 {
    recorded
        .saturating_mul(2)
        .saturating_add(1000)
        .max(DEFAULT_WITHIN_MS)
}

/// Waits measured from a base time, in whole milliseconds that add up to the time since the base, so
/// rounding never drifts over many steps.
struct Clock {
    base: SystemTime,
    waited: u64,
}

impl Clock {
    fn wait_until(&mut self, at: SystemTime, steps: &mut Vec<Step>) {
        let due = millis(self.base, at);
        if due > self.waited {
            steps.push(Step::Wait {
                ms: due - self.waited,
            });
            self.waited = due;
        }
    }

    fn rebase(&mut self, at: SystemTime) {
        self.base = at;
        self.waited = 0;
    }
}

/// Appends `expect` steps for `bytes` (in pieces of at most [`EXPECT_PIECE`]).
fn expects(bytes: &[u8], within_ms: u64, steps: &mut Vec<Step>) {
    for piece in bytes.chunks(EXPECT_PIECE) {
        steps.push(Step::Expect {
            matcher: Match::Regex(exact_regex(piece)),
            within_ms,
        });
    }
}

/// The steps that replay `conversation` as its end `me` (0 or 1) after `first` (connect or wait for the
/// client; none for UDP), timed as `timing` says.
#[must_use]
pub fn steps(
    conversation: &Conversation,
    me: usize,
    timing: Timing,
    first: Option<Step>,
) -> Vec<Step> {
    let mut steps: Vec<Step> = first.into_iter().collect();
    let mut clock = Clock {
        base: conversation.started,
        waited: 0,
    };
    // What the other end sent since this end's last send, and when its last byte came.
    let mut pending: Vec<u8> = Vec::new();
    let mut pending_at = conversation.started;
    let mut last_send = conversation.started;
    let mut chunks = conversation.chunks.iter().peekable();
    while let Some(chunk) = chunks.next() {
        if chunk.from != me {
            pending.extend_from_slice(&chunk.bytes);
            pending_at = chunk.at;
            continue;
        }
        let mut bytes = chunk.bytes.clone();
        // A read or send larger than a segment came as several at one time: one send again. UDP keeps
        // its datagrams.
        while conversation.transport == Transport::Tcp
            && let Some(next) = chunks.next_if(|n| n.from == me && n.at == chunk.at)
        {
            bytes.extend_from_slice(&next.bytes);
        }
        if timing == Timing::Wait && !pending.is_empty() {
            expects(&pending, within(millis(last_send, pending_at)), &mut steps);
            pending.clear();
            clock.rebase(pending_at);
        }
        clock.wait_until(chunk.at, &mut steps);
        steps.push(Step::Send {
            text: hex::format(&bytes),
            input: InputMode::Hex,
            encoding: TextEncoding::Utf8,
            escapes: false,
        });
        last_send = chunk.at;
    }
    if timing == Timing::Wait && !pending.is_empty() {
        expects(&pending, within(millis(last_send, pending_at)), &mut steps);
        clock.rebase(pending_at);
    }
    if conversation.transport == Transport::Tcp {
        let mine = conversation.closes[me].map(|(_, at)| at);
        let theirs = conversation.closes[1 - me].map(|(_, at)| at);
        match (mine, theirs) {
            (Some(mine), theirs) if theirs.is_none_or(|theirs| mine <= theirs) => {
                clock.wait_until(mine, &mut steps);
                steps.push(Step::Disconnect);
            }
            (_, Some(theirs)) => steps.push(Step::ExpectClose {
                within_ms: within(millis(clock.base, theirs).saturating_sub(clock.waited)),
            }),
            _ => {}
        }
    }
    // Some senders log a run of zero-time sends; a check needs no zero waits.
    steps.retain(|step| !matches!(step, Step::Wait { ms: 0 }));
    steps
}

/// How far the recording's times reach: from its start to its last chunk or close.
#[must_use]
pub fn span(conversation: &Conversation) -> Duration {
    let last = conversation
        .chunks
        .iter()
        .map(|c| c.at)
        .chain(conversation.closes.iter().flatten().map(|(_, at)| *at))
        .max()
        .unwrap_or(conversation.started);
    last.duration_since(conversation.started)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcap::read::{Chunk, Close};
    use crate::rules::Pattern;

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    fn chunk(ms: u64, from: usize, text: &str) -> Chunk {
        Chunk {
            at: at(ms),
            from,
            bytes: text.as_bytes().to_vec(),
        }
    }

    /// A board (end 0) that greets, then echoes two pings of the PC (end 1), then the PC closes.
    fn board() -> Conversation {
        Conversation {
            transport: Transport::Tcp,
            ends: [
                "127.0.0.1:40000".parse().unwrap(),
                "127.0.0.1:10000".parse().unwrap(),
            ],
            opened: true,
            started: at(1000),
            chunks: vec![
                chunk(1010, 0, "Hello"),
                chunk(1300, 1, "ping 1"),
                chunk(1400, 0, "ping 1"),
                chunk(1600, 1, "ping"),
                chunk(1601, 1, " 2"),
                chunk(1700, 0, "ping 2"),
                chunk(1700, 0, "!"),
            ],
            closes: [Some((Close::Fin, at(2500))), Some((Close::Fin, at(2000)))],
            missing: 0,
            interface: None,
        }
    }

    fn send(text: &str) -> Step {
        Step::Send {
            text: hex::format(text.as_bytes()),
            input: InputMode::Hex,
            encoding: TextEncoding::Utf8,
            escapes: false,
        }
    }

    fn expect(text: &str, within_ms: u64) -> Step {
        Step::Expect {
            matcher: Match::Regex(exact_regex(text.as_bytes())),
            within_ms,
        }
    }

    #[test]
    fn with_original_timing_the_device_sends_at_the_recorded_gaps() {
        let first = Step::Connect { within_ms: 5000 };
        assert_eq!(
            steps(&board(), 0, Timing::Original, Some(first.clone())),
            [
                first,
                Step::Wait { ms: 10 },
                send("Hello"),
                Step::Wait { ms: 390 },
                send("ping 1"),
                Step::Wait { ms: 300 },
                send("ping 2!"),
                Step::ExpectClose { within_ms: 5000 },
            ]
        );
    }

    #[test]
    fn waiting_the_device_expects_what_the_pc_sent_then_takes_its_own_time() {
        let first = Step::Connect { within_ms: 5000 };
        assert_eq!(
            steps(&board(), 0, Timing::Wait, Some(first.clone())),
            [
                first,
                Step::Wait { ms: 10 },
                send("Hello"),
                expect("ping 1", 5000),
                Step::Wait { ms: 100 },
                send("ping 1"),
                expect("ping 2", 5000),
                Step::Wait { ms: 99 },
                send("ping 2!"),
                Step::ExpectClose { within_ms: 5000 },
            ]
        );
    }

    #[test]
    fn as_the_pc_it_expects_the_greeting_and_closes_first() {
        let first = Step::WaitClient { within_ms: 30_000 };
        let played = steps(&board(), 1, Timing::Wait, Some(first.clone()));
        assert_eq!(
            played,
            [
                first,
                expect("Hello", 5000),
                Step::Wait { ms: 290 },
                send("ping 1"),
                expect("ping 1", 5000),
                Step::Wait { ms: 200 },
                send("ping"),
                Step::Wait { ms: 1 },
                send(" 2"),
                expect("ping 2!", 5000),
                Step::Wait { ms: 300 },
                Step::Disconnect,
            ]
        );
    }

    #[test]
    fn the_regex_matches_exactly_the_bytes_at_the_start_of_what_arrived() {
        let bytes = b"a.b*(c) \r\n\x00\xFF{1}";
        let regex = exact_regex(bytes);
        let pattern = Pattern::new(&Match::Regex(regex.clone()), TextEncoding::Utf8).unwrap();
        let mut stream = bytes.to_vec();
        stream.extend_from_slice(b"next");
        assert_eq!(pattern.find(&stream).map(|(end, _)| end), Some(bytes.len()));
        // Not later in the stream, and not something else of the same shape.
        assert_eq!(pattern.find(&[b"x".as_slice(), bytes].concat()), None);
        assert_eq!(pattern.find(b"aXb*(c) \r\n\x00\xFF{1}"), None);
        assert!(
            regex.starts_with(r"(?-u)\Aa\.b\*\(c\) \x0D\x0A\x00\xFF\{1\}"),
            "{regex}"
        );
    }

    #[test]
    fn long_expected_runs_are_split_and_udp_datagrams_stay_apart() {
        let mut udp = board();
        udp.transport = Transport::Udp;
        udp.chunks = vec![
            chunk(1000, 1, &"x".repeat(EXPECT_PIECE + 1)),
            chunk(1000, 0, "a"),
            chunk(1000, 0, "b"),
        ];
        let played = steps(&udp, 0, Timing::Wait, None);
        let kinds: Vec<&str> = played.iter().map(Step::kind).collect();
        assert_eq!(kinds, ["expect", "expect", "send", "send"]);
        assert_eq!(span(&board()), Duration::from_millis(1500));
    }
}
