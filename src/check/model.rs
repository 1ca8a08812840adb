//! What a check is, as the user writes it and a preset stores it: a name and a list of [`Step`]s, with
//! repeats holding steps of their own. Steps are numbered for people by their place (`3`, `3.2` for the
//! second step inside step 3) and for programs by [`StepId`], their place in the whole list read top to
//! bottom ([`outline`]).

use serde::{Deserialize, Serialize};

use crate::codec::{InputMode, SendOptions, TextEncoding};
use crate::rules::Match;

/// How long `wait_client` waits unless told: a person has time to plug a board in.
pub const DEFAULT_WAIT_CLIENT_MS: u64 = 30_000;
/// How long `connect`, `expect` and `expect_close` wait unless told.
pub const DEFAULT_WITHIN_MS: u64 = 5_000;

/// A named list of steps that passes when every step passes in turn; kept in a preset's `checks`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Check {
    /// Its name, unique among the preset's checks (`netassist check --check NAME`).
    pub name: String,
    /// The steps, run in order; the first that fails ends the run.
    pub steps: Vec<Step>,
}

fn default_wait_client() -> u64 {
    DEFAULT_WAIT_CLIENT_MS
}

fn default_within() -> u64 {
    DEFAULT_WITHIN_MS
}

/// One step of a check. In a preset: `WaitClient(within_ms: 30000)`, `Connect(within_ms: 5000)`,
/// `Send(text: "ping {counter}")`, `Send(text: "01 03 00 00 00 01", input: Hex)`,
/// `Expect(matcher: Contains("pong"), within_ms: 1000)`, `Wait(ms: 500)`,
/// `Repeat(times: 10, steps: [ … ])`, `Disconnect`, `ExpectClose(within_ms: 2000)`; fields left out take
/// their defaults.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Step {
    /// TCP server: a client is connected (one connected before the run counts), waiting up to `within_ms`.
    /// It is the device the later steps talk to.
    WaitClient {
        /// The longest wait, in milliseconds.
        #[serde(default = "default_wait_client")]
        within_ms: u64,
    },
    /// TCP client: the connection to the server is up (connecting again after a `Disconnect`), waiting up
    /// to `within_ms`.
    Connect {
        /// The longest wait, in milliseconds.
        #[serde(default = "default_within")]
        within_ms: u64,
    },
    /// Send to the device, with the preset's line ending and checksum; the text may hold send variables
    /// (`{counter}` is how many times this step has sent in the run, from 1) and the captures (`$1`…) of
    /// the last `Expect` before it.
    Send {
        /// What is sent, read as `input` says.
        #[serde(default)]
        text: String,
        /// Text or hex.
        #[serde(default)]
        input: InputMode,
        /// The encoding of text.
        #[serde(default)]
        encoding: TextEncoding,
        /// Whether backslash escapes (`\r\n`, `\x03`) in text are read.
        #[serde(default)]
        escapes: bool,
    },
    /// The device sends what `matcher` describes within `within_ms`. With raw framing it is looked for in
    /// the device's byte stream since the last match, so it may arrive in pieces; with a framing, in each
    /// whole message. A regex's groups or a hex pattern's wildcards are `$1`… in later sends.
    Expect {
        /// What is expected; text is read with escapes, in the preset's encoding.
        matcher: Match,
        /// The longest wait, in milliseconds.
        #[serde(default = "default_within")]
        within_ms: u64,
    },
    /// Let time pass; what arrives meanwhile is kept for the next `Expect`.
    Wait {
        /// How long, in milliseconds.
        ms: u64,
    },
    /// Run `steps` `times` times in a row.
    Repeat {
        /// How many times (at least 1).
        times: u32,
        /// The steps repeated.
        steps: Vec<Step>,
    },
    /// Close the connection to the device.
    Disconnect,
    /// The device closes the connection (or finishes sending, a FIN) within `within_ms`.
    ExpectClose {
        /// The longest wait, in milliseconds.
        #[serde(default = "default_within")]
        within_ms: u64,
    },
}

impl Step {
    /// Every kind of step with its defaults, in the order a menu offers them.
    #[must_use]
    pub fn kinds() -> [Self; 8] {
        [
            Self::WaitClient {
                within_ms: DEFAULT_WAIT_CLIENT_MS,
            },
            Self::Connect {
                within_ms: DEFAULT_WITHIN_MS,
            },
            Self::Send {
                text: String::new(),
                input: InputMode::Text,
                encoding: TextEncoding::Utf8,
                escapes: false,
            },
            Self::Expect {
                matcher: Match::Contains(String::new()),
                within_ms: DEFAULT_WITHIN_MS,
            },
            Self::Wait { ms: 1000 },
            Self::Repeat {
                times: 2,
                steps: Vec::new(),
            },
            Self::Disconnect,
            Self::ExpectClose {
                within_ms: DEFAULT_WITHIN_MS,
            },
        ]
    }

    /// The step's kind as presets and the command line's output name it: `wait_client`, `connect`,
    /// `send`, `expect`, `wait`, `repeat`, `disconnect`, `expect_close`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::WaitClient { .. } => "wait_client",
            Self::Connect { .. } => "connect",
            Self::Send { .. } => "send",
            Self::Expect { .. } => "expect",
            Self::Wait { .. } => "wait",
            Self::Repeat { .. } => "repeat",
            Self::Disconnect => "disconnect",
            Self::ExpectClose { .. } => "expect_close",
        }
    }

    /// The steps inside a repeat; none for other steps.
    #[must_use]
    pub fn children(&self) -> &[Step] {
        match self {
            Self::Repeat { steps, .. } => steps,
            _ => &[],
        }
    }

    /// The send options of a `Send` step: the preset's line ending and checksum with the step's own input
    /// mode, encoding and escapes (as a quick command keeps its own). `None` for other steps.
    #[must_use]
    pub fn send_options(&self, preset: SendOptions) -> Option<SendOptions> {
        match *self {
            Self::Send {
                input,
                encoding,
                escapes,
                ..
            } => Some(SendOptions {
                input,
                encoding,
                escapes,
                ..preset
            }),
            _ => None,
        }
    }
}

/// A step's number in a check read top to bottom, repeats' steps included (the first step is 0): how
/// progress events and results name a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct StepId(pub u32);

/// One line of a check's [`outline`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineItem<'a> {
    /// The step's number.
    pub id: StepId,
    /// Its place for people: `3`, or `3.2` for the second step inside step 3.
    pub path: String,
    /// How many repeats it is inside.
    pub depth: usize,
    /// The step.
    pub step: &'a Step,
}

/// Every step of `steps`, repeats' steps after their repeat, in the order [`StepId`]s count them.
#[must_use]
pub fn outline(steps: &[Step]) -> Vec<OutlineItem<'_>> {
    fn walk<'a>(steps: &'a [Step], prefix: &str, depth: usize, out: &mut Vec<OutlineItem<'a>>) {
        for (index, step) in steps.iter().enumerate() {
            let path = format!("{prefix}{}", index + 1);
            let id = StepId(u32::try_from(out.len()).unwrap_or(u32::MAX));
            out.push(OutlineItem {
                id,
                path: path.clone(),
                depth,
                step,
            });
            walk(step.children(), &format!("{path}."), depth + 1, out);
        }
    }
    let mut out = Vec::new();
    walk(steps, "", 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_numbers_steps_top_to_bottom_with_their_places() {
        let steps = vec![
            Step::WaitClient { within_ms: 1 },
            Step::Repeat {
                times: 2,
                steps: vec![
                    Step::Wait { ms: 1 },
                    Step::Repeat {
                        times: 2,
                        steps: vec![Step::Disconnect],
                    },
                ],
            },
            Step::Disconnect,
        ];
        let lines: Vec<(u32, String, usize, &str)> = outline(&steps)
            .into_iter()
            .map(|item| (item.id.0, item.path, item.depth, item.step.kind()))
            .collect();
        assert_eq!(
            lines,
            [
                (0, "1".to_owned(), 0, "wait_client"),
                (1, "2".to_owned(), 0, "repeat"),
                (2, "2.1".to_owned(), 1, "wait"),
                (3, "2.2".to_owned(), 1, "repeat"),
                (4, "2.2.1".to_owned(), 2, "disconnect"),
                (5, "3".to_owned(), 0, "disconnect"),
            ]
        );
    }

    #[test]
    fn steps_read_from_ron_with_defaults() {
        let text = r#"[
            WaitClient(),
            Send(text: "AA 55", input: Hex),
            Expect(matcher: Regex("v(\\d+)")),
            Repeat(times: 3, steps: [Wait(ms: 10)]),
            Disconnect,
            ExpectClose(within_ms: 250),
        ]"#;
        let steps: Vec<Step> = ron::from_str(text).unwrap();
        assert_eq!(
            steps[0],
            Step::WaitClient {
                within_ms: DEFAULT_WAIT_CLIENT_MS
            }
        );
        assert_eq!(
            steps[1].send_options(SendOptions::default()).unwrap().input,
            InputMode::Hex
        );
        assert_eq!(
            steps[2],
            Step::Expect {
                matcher: Match::Regex(r"v(\d+)".to_owned()),
                within_ms: DEFAULT_WITHIN_MS
            }
        );
        assert_eq!(steps[3].children(), [Step::Wait { ms: 10 }]);
        assert_eq!(steps[5], Step::ExpectClose { within_ms: 250 });
    }
}
