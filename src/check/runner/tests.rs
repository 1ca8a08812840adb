//! The runner without sockets: each step kind, each way to fail, fed by hand with a clock that moves only
//! when a test says so.

use super::*;
use crate::check::{Check, Context, Step, compile};
use crate::codec::{Framing, InputMode, SendOptions, TextEncoding};
use crate::i18n::{Lang, Text};
use crate::rules::Match;

const DEVICE: PeerKey = 7;

/// A runner with its clock.
struct Fixture {
    runner: Runner,
    start: Instant,
    /// Everything it asked and reported so far.
    outputs: Vec<Output>,
}

impl Fixture {
    fn new(role: Role, framing: Framing, steps: Vec<Step>, connected: &[PeerKey]) -> Self {
        let check = Check {
            name: "c".to_owned(),
            steps,
        };
        let context = Context {
            role,
            encoding: TextEncoding::Utf8,
            framing,
            send: SendOptions::default(),
        };
        let compiled = compile(&check, &context).unwrap();
        let start = Instant::now();
        let runner = Runner::new(compiled, role, connected.iter().copied(), start, wall(0));
        let mut fixture = Self {
            runner,
            start,
            outputs: Vec::new(),
        };
        fixture.take();
        fixture
    }

    fn server(steps: Vec<Step>, connected: &[PeerKey]) -> Self {
        Self::new(Role::Server, Framing::Raw, steps, connected)
    }

    fn take(&mut self) {
        self.outputs.extend(self.runner.take_outputs());
    }

    fn at(&self, ms: u64) -> Instant {
        self.start + Duration::from_millis(ms)
    }

    fn connected(&mut self, peer: PeerKey, ms: u64) {
        self.runner.connected(peer, self.at(ms), wall(ms));
        self.take();
    }

    fn received(&mut self, peer: PeerKey, bytes: &[u8], ms: u64) {
        self.runner.received(peer, bytes, self.at(ms), wall(ms));
        self.take();
    }

    fn closed(&mut self, peer: PeerKey, ms: u64) {
        self.runner.closed(peer, self.at(ms), wall(ms));
        self.take();
    }

    fn tick(&mut self, ms: u64) {
        self.runner.tick(self.at(ms), wall(ms));
        self.take();
    }

    /// The sends asked for: (to, bytes as text).
    fn sends(&self) -> Vec<(Option<PeerKey>, String)> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Send { to, bytes } => {
                    Some((*to, String::from_utf8_lossy(bytes).into_owned()))
                }
                _ => None,
            })
            .collect()
    }

    fn events(&self) -> Vec<&CheckEventKind> {
        self.outputs
            .iter()
            .filter_map(|o| match o {
                Output::Event(e) => Some(&e.kind),
                _ => None,
            })
            .collect()
    }

    /// Steps that ended, as (step, round, "pass"/"fail"/"stop", took in ms).
    fn ended(&self) -> Vec<(u32, Option<u32>, &'static str, u64)> {
        self.events()
            .into_iter()
            .filter_map(|kind| match kind {
                CheckEventKind::Step(StepEvent { step, round, state }) => {
                    let (word, took) = match state {
                        StepState::Running => return None,
                        StepState::Passed { took, .. } => ("pass", took),
                        StepState::Failed { took, .. } => ("fail", took),
                        StepState::Stopped { took } => ("stop", took),
                    };
                    Some((step.0, *round, word, took.as_millis() as u64))
                }
                _ => None,
            })
            .collect()
    }

    fn outcome(&self) -> Option<Outcome> {
        self.events().into_iter().find_map(|kind| match kind {
            CheckEventKind::Finished { outcome, .. } => Some(*outcome),
            _ => None,
        })
    }

    fn failure(&self) -> &Failure {
        self.events()
            .into_iter()
            .find_map(|kind| match kind {
                CheckEventKind::Step(StepEvent {
                    state: StepState::Failed { failure, .. },
                    ..
                }) => Some(failure.as_ref()),
                _ => None,
            })
            .expect("a step failed")
    }

    fn latencies(&self) -> Vec<u64> {
        self.events()
            .into_iter()
            .filter_map(|kind| match kind {
                CheckEventKind::Step(StepEvent {
                    state:
                        StepState::Passed {
                            latency: Some(latency),
                            ..
                        },
                    ..
                }) => Some(latency.as_millis() as u64),
                _ => None,
            })
            .collect()
    }
}

fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000) + Duration::from_millis(ms)
}

fn wait_client(within_ms: u64) -> Step {
    Step::WaitClient { within_ms }
}

fn send(text: &str) -> Step {
    Step::Send {
        text: text.to_owned(),
        input: InputMode::Text,
        encoding: TextEncoding::Utf8,
        escapes: false,
    }
}

fn expect(text: &str, within_ms: u64) -> Step {
    Step::Expect {
        matcher: Match::Contains(text.to_owned()),
        within_ms,
    }
}

#[test]
fn a_client_connected_before_the_run_counts_and_else_one_is_waited_for() {
    let before = Fixture::server(vec![wait_client(1000)], &[3, DEVICE]);
    assert_eq!(before.ended(), [(0, None, "pass", 0)]);
    assert_eq!(before.outcome(), Some(Outcome::Passed));

    let mut later = Fixture::server(vec![wait_client(1000), send("hi")], &[]);
    assert_eq!(later.runner.deadline(), Some(later.at(1000)));
    later.tick(999);
    assert_eq!(later.outcome(), None);
    later.connected(DEVICE, 400);
    assert_eq!(
        later.ended(),
        [(0, None, "pass", 400), (1, None, "pass", 0)]
    );
    assert_eq!(later.sends(), [(Some(DEVICE), "hi".to_owned())]);
}

#[test]
fn no_client_in_time_fails_the_step_and_the_run() {
    let mut f = Fixture::server(vec![wait_client(500), send("never")], &[]);
    f.tick(499);
    assert_eq!(f.outcome(), None);
    f.tick(500);
    assert_eq!(f.ended(), [(0, None, "fail", 500)]);
    assert_eq!(f.outcome(), Some(Outcome::Failed(StepId(0))));
    assert_eq!(
        f.failure().reason,
        FailReason::NoConnection {
            within: Duration::from_millis(500)
        }
    );
    assert!(f.sends().is_empty(), "nothing after the failure runs");
    assert!(f.runner.is_finished());
    assert_eq!(f.runner.deadline(), None);
}

#[test]
fn an_expect_is_met_by_a_reply_in_pieces_at_every_split_with_its_latency() {
    let reply = b"Hello 01Studio!";
    for split in 0..=reply.len() {
        let mut f = Fixture::server(
            vec![
                wait_client(100),
                send("hi"),
                expect("Hello 01Studio!", 1000),
            ],
            &[DEVICE],
        );
        f.received(DEVICE, &reply[..split], 30);
        f.received(DEVICE, &reply[split..], 42);
        assert_eq!(f.outcome(), Some(Outcome::Passed), "split at {split}");
        // Met by the piece that completes it (an empty last piece completes nothing).
        let completing = if split == reply.len() { 30 } else { 42 };
        assert_eq!(f.latencies(), [completing], "split at {split}");
    }
}

#[test]
fn a_wrong_reply_fails_at_the_deadline_saying_what_arrived() {
    let mut f = Fixture::server(
        vec![wait_client(100), send("ping"), expect("pong", 1000)],
        &[DEVICE],
    );
    f.received(DEVICE, b"pi", 10);
    f.received(DEVICE, b"ng\r\n", 20);
    f.tick(999);
    assert_eq!(f.outcome(), None);
    f.tick(1000);
    assert_eq!(f.outcome(), Some(Outcome::Failed(StepId(2))));
    let failure = f.failure();
    assert_eq!(failure.path, "3");
    assert_eq!(failure.peer, Some(DEVICE));
    assert_eq!(failure.arrived.shown, [Bytes::from_static(b"ping\r\n")]);
    assert_eq!(failure.arrived.bytes, 6);
    assert_eq!(
        failure.text(Lang::En),
        "step 3 (expect \"pong\" within 1 s): it did not arrive within 1 s; 6 bytes arrived: \
         \"ping\\r\\n\" (70 69 6E 67 0D 0A)"
    );
    assert!(
        failure.text(Lang::Zh).starts_with("第 3 步"),
        "{}",
        failure.text(Lang::Zh)
    );

    let mut silent = Fixture::server(vec![wait_client(100), expect("pong", 200)], &[DEVICE]);
    silent.tick(200);
    assert!(silent.failure().text(Lang::En).ends_with("nothing arrived"));
}

#[test]
fn an_early_close_fails_the_expect_at_once_with_what_arrived() {
    let mut f = Fixture::server(
        vec![wait_client(100), expect("pong", 5000), send("after")],
        &[DEVICE],
    );
    f.received(DEVICE, b"bye", 5);
    f.closed(DEVICE, 8);
    assert_eq!(f.ended()[1], (1, None, "fail", 8));
    assert_eq!(f.failure().reason, FailReason::Closed);
    assert_eq!(f.failure().arrived.shown, [Bytes::from_static(b"bye")]);

    // A FIN says the same: nothing more can come.
    let mut fin = Fixture::server(vec![wait_client(100), expect("pong", 5000)], &[DEVICE]);
    fin.runner.finished_sending(DEVICE, fin.at(3), wall(3));
    fin.take();
    assert_eq!(fin.failure().reason, FailReason::Closed);

    // After the device closed, a send has no one to go to.
    let mut gone = Fixture::server(
        vec![wait_client(100), Step::Wait { ms: 50 }, send("x")],
        &[DEVICE],
    );
    gone.closed(DEVICE, 10);
    gone.tick(50);
    assert_eq!(gone.failure().reason, FailReason::NotConnected);
    assert!(gone.sends().is_empty());
}

#[test]
fn what_arrives_during_a_wait_is_kept_for_the_next_expect_and_bytes_before_a_match_are_used_up() {
    let mut f = Fixture::server(
        vec![
            wait_client(100),
            Step::Wait { ms: 300 },
            expect("ok", 100),
            expect("ok", 100),
        ],
        &[DEVICE],
    );
    f.received(DEVICE, b"ok o", 100);
    assert_eq!(f.ended(), [(0, None, "pass", 0)]);
    f.tick(300);
    // The wait passed, the first expect took the first "ok"; the second waits for more.
    assert_eq!(
        f.ended()[1..],
        [(1, None, "pass", 300), (2, None, "pass", 0)]
    );
    f.received(DEVICE, b"k", 350);
    assert_eq!(f.ended()[3], (3, None, "pass", 50));
    assert_eq!(f.outcome(), Some(Outcome::Passed));
    assert!(f.latencies().is_empty(), "no send, no latency");
}

#[test]
fn with_a_framing_each_message_is_tested_whole() {
    let hash = Framing::Delimiter {
        delimiter: b"#".to_vec(),
        keep: false,
    };
    let steps = vec![
        wait_client(100),
        Step::Expect {
            matcher: Match::Exact("look".to_owned()),
            within_ms: 100,
        },
    ];
    let mut f = Fixture::new(Role::Server, hash.clone(), steps.clone(), &[DEVICE]);
    f.received(DEVICE, b"lo#ok#", 10);
    f.tick(100);
    let failure = f.failure();
    assert_eq!(failure.arrived.messages, 2, "two messages are not one");
    assert!(
        failure
            .text(Lang::En)
            .ends_with("2 messages (4 bytes) arrived: \"lo\" (6C 6F), \"ok\" (6F 6B)"),
        "{}",
        failure.text(Lang::En)
    );

    let mut whole = Fixture::new(Role::Server, hash, steps, &[DEVICE]);
    whole.received(DEVICE, b"xx#lo", 10);
    whole.received(DEVICE, b"ok#", 20);
    assert_eq!(whole.outcome(), Some(Outcome::Passed));
}

#[test]
fn a_repeat_runs_its_rounds_with_a_counter_per_send_and_a_latency_per_round() {
    let mut f = Fixture::server(
        vec![
            wait_client(100),
            Step::Repeat {
                times: 3,
                steps: vec![send("ping {counter}"), expect("pong", 100)],
            },
        ],
        &[DEVICE],
    );
    // Each round's send goes out as the round starts, right after the last round's match.
    for reply_ms in [10, 40, 60] {
        f.received(DEVICE, b"pong", reply_ms);
    }
    assert_eq!(
        f.sends().iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["ping 1", "ping 2", "ping 3"]
    );
    assert_eq!(f.latencies(), [10, 30, 20]);
    let rounds: Vec<Option<u32>> = f
        .ended()
        .into_iter()
        .filter(|(step, ..)| *step == 3)
        .map(|(_, round, ..)| round)
        .collect();
    assert_eq!(rounds, [Some(1), Some(2), Some(3)]);
    assert_eq!(f.ended().last(), Some(&(1, None, "pass", 60)));
    assert_eq!(f.outcome(), Some(Outcome::Passed));
}

#[test]
fn a_capture_is_used_in_a_later_send() {
    let mut f = Fixture::server(
        vec![
            wait_client(100),
            Step::Expect {
                matcher: Match::Regex(r"id=(\d+);".to_owned()),
                within_ms: 100,
            },
            send("ack $1"),
        ],
        &[DEVICE],
    );
    f.received(DEVICE, b"hello id=42; more", 5);
    assert_eq!(f.sends(), [(Some(DEVICE), "ack 42".to_owned())]);
}

#[test]
fn disconnect_waits_for_its_close_and_expect_close_for_the_device_to_close() {
    let mut f = Fixture::server(vec![wait_client(100), Step::Disconnect], &[DEVICE]);
    assert!(f.outputs.contains(&Output::Disconnect(DEVICE)));
    assert_eq!(f.outcome(), None);
    f.closed(DEVICE, 1);
    assert_eq!(f.outcome(), Some(Outcome::Passed));

    let close = || {
        Fixture::server(
            vec![wait_client(100), Step::ExpectClose { within_ms: 300 }],
            &[DEVICE],
        )
    };
    let mut closes = close();
    closes.closed(DEVICE, 120);
    assert_eq!(closes.ended()[1], (1, None, "pass", 120));
    let mut stays = close();
    stays.received(DEVICE, b"still here", 10);
    stays.tick(300);
    assert_eq!(
        stays.failure().reason,
        FailReason::StillOpen {
            within: Duration::from_millis(300)
        }
    );
}

#[test]
fn stop_and_the_end_of_the_session_end_the_run() {
    let mut stopped = Fixture::server(vec![wait_client(1000)], &[]);
    stopped.runner.stop(stopped.at(250), wall(250));
    stopped.take();
    assert_eq!(stopped.ended(), [(0, None, "stop", 250)]);
    assert_eq!(stopped.outcome(), Some(Outcome::Stopped));
    // Nothing happens after the end.
    stopped.connected(DEVICE, 300);
    assert_eq!(stopped.events().len(), 4, "{:?}", stopped.events());

    let mut ended = Fixture::server(vec![wait_client(1000)], &[]);
    ended.runner.session_ended(ended.at(5), wall(5));
    ended.take();
    assert_eq!(ended.failure().reason, FailReason::SessionEnded);
}

#[test]
fn a_client_connects_again_after_a_disconnect() {
    let mut f = Fixture::new(
        Role::Client,
        Framing::Raw,
        vec![
            Step::Connect { within_ms: 100 },
            Step::Disconnect,
            Step::Connect { within_ms: 100 },
        ],
        &[1],
    );
    assert!(!f.outputs.contains(&Output::Connect), "already connected");
    f.closed(1, 5);
    assert!(f.outputs.contains(&Output::Connect));
    assert!(f.runner.wants_connection());
    f.connected(2, 20);
    assert_eq!(f.outcome(), Some(Outcome::Passed));
    assert!(!f.runner.wants_connection());
}

#[test]
fn before_a_client_is_picked_only_the_oldest_few_are_listened_to() {
    let peers: Vec<PeerKey> = (1..=10).collect();
    let mut f = Fixture::server(
        vec![Step::Wait { ms: 10 }, wait_client(100), expect("hi", 100)],
        &peers,
    );
    for &peer in &peers {
        f.received(peer, b"hi", 1);
    }
    assert_eq!(f.runner.streams.len(), CANDIDATES);
    f.tick(10);
    assert_eq!(f.outcome(), Some(Outcome::Passed));
    assert_eq!(f.failure_free_device(), Some(1), "the oldest client");
}

#[test]
fn udp_sends_to_the_remote_and_then_talks_to_the_first_remote_heard() {
    let mut f = Fixture::new(
        Role::Udp,
        Framing::Raw,
        vec![send("ping"), expect("pong", 100), send("again")],
        &[],
    );
    assert_eq!(f.sends(), [(None, "ping".to_owned())]);
    f.connected(DEVICE, 1);
    f.received(DEVICE, b"pong", 2);
    assert_eq!(f.sends()[1], (Some(DEVICE), "again".to_owned()));
    assert_eq!(f.outcome(), Some(Outcome::Passed));
}

impl Fixture {
    fn failure_free_device(&self) -> Option<PeerKey> {
        self.runner.device
    }
}

#[test]
fn without_wait_client_the_client_there_is_taken_but_never_a_second_one_quietly() {
    let mut f = Fixture::server(
        vec![send("a"), Step::Wait { ms: 10 }, send("b")],
        &[3, DEVICE],
    );
    assert_eq!(f.sends(), [(Some(3), "a".to_owned())], "the oldest client");
    f.closed(3, 5);
    f.tick(10);
    assert_eq!(f.failure().reason, FailReason::NotConnected);
    assert_eq!(f.sends().len(), 1, "not sent to the other client");
}
