//! What a running check reports, as it happens: it started, a step started, passed (with its time and,
//! for an expect after a send, the latency), failed (with what arrived instead) or was stopped, and how the
//! run ended. The engine sends these as [`Event::Check`](crate::engine::Event::Check), in order with the
//! traffic that caused them, so a window, the command line and the log all see one story.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use crate::codec::TextEncoding;

use super::model::{Step, StepId};

/// One thing that happened in a check's run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckEvent {
    /// The check's name.
    pub check: Arc<str>,
    /// When it happened.
    pub at: SystemTime,
    /// What happened.
    pub kind: CheckEventKind,
}

/// What happened in a check's run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckEventKind {
    /// The run started.
    Started,
    /// A step started, passed, failed or was stopped.
    Step(StepEvent),
    /// The run ended; no more events of it follow.
    Finished {
        /// Passed, failed (and at which step) or stopped.
        outcome: Outcome,
        /// From the start of the run.
        took: Duration,
    },
}

/// A step's news.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepEvent {
    /// The step.
    pub step: StepId,
    /// Which time round the innermost repeat around it is (from 1); `None` outside repeats. A repeat's
    /// own events carry the round of the repeat around it.
    pub round: Option<u32>,
    /// Where it is.
    pub state: StepState,
}

/// Where a step is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepState {
    /// It is running.
    Running,
    /// It passed.
    Passed {
        /// From its start.
        took: Duration,
        /// An expect after a send: from the send being handed to the connection to the match.
        latency: Option<Duration>,
    },
    /// It failed, and the run with it.
    Failed {
        /// From its start.
        took: Duration,
        /// Why, and what arrived instead (boxed: far larger than the other states).
        failure: Box<Failure>,
    },
    /// The run was stopped while it ran.
    Stopped {
        /// From its start.
        took: Duration,
    },
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every step passed.
    Passed,
    /// This step failed.
    Failed(StepId),
    /// It was stopped (by the user, or its session was closed by the user) before the end.
    Stopped,
}

/// Why a step failed, and what arrived instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The step's place for people (`3.2`).
    pub path: String,
    /// The step as written.
    pub step: Step,
    /// Why it failed.
    pub reason: FailReason,
    /// What the device sent since the last match, when that matters (an expect); empty otherwise.
    pub arrived: Arrived,
    /// The device, when there was one (the engine's peer number).
    pub peer: Option<u64>,
}

/// Why a step failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailReason {
    /// `wait_client` or `connect`: no connection within the time.
    NoConnection {
        /// The time it had.
        within: Duration,
    },
    /// The step needs the device, and no device is connected (it closed before, or none was waited for).
    NotConnected,
    /// `expect`: what it expects did not arrive within the time.
    NotArrived {
        /// The time it had.
        within: Duration,
    },
    /// `expect`: the device closed the connection, or finished sending, before it arrived.
    Closed,
    /// `expect_close`: the device kept the connection open.
    StillOpen {
        /// The time it had.
        within: Duration,
    },
    /// The session ended (closed, or it could not open or connect).
    SessionEnded,
    /// `connect` on a TLS client: the connection was made but its TLS handshake failed, so it never was
    /// one to talk over.
    Handshake {
        /// The server, as the session reached it.
        addr: String,
        /// Why the handshake failed.
        failure: Box<crate::engine::TlsFailure>,
    },
}

/// What arrived from the device since the last match: with raw framing the bytes (the newest
/// [`ARRIVED_SHOWN`] of them); with a framing, the newest [`MESSAGES_SHOWN`] messages, each cut to
/// [`ARRIVED_SHOWN`] bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Arrived {
    /// The bytes or messages kept, oldest first.
    pub shown: Vec<Bytes>,
    /// All the bytes that arrived, shown or not.
    pub bytes: usize,
    /// All the messages that arrived (with raw framing: 1 when any bytes did).
    pub messages: usize,
    /// Whether a framing cut them into messages.
    pub framed: bool,
    /// The encoding to show them as text in.
    pub encoding: TextEncoding,
}

/// The most bytes of what arrived a failure keeps, per message (the newest, for a stream).
pub const ARRIVED_SHOWN: usize = 256;

/// The most messages a failure keeps.
pub const MESSAGES_SHOWN: usize = 8;

impl Arrived {
    /// Whether nothing arrived.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.bytes == 0 && self.messages == 0
    }
}

/// A moment of a run that is a row of its own in the traffic log: the run started, a step failed, the run
/// ended. Steps that pass are not rows: the traffic around them tells their story.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Milestone {
    /// The check started.
    Started {
        /// The check's name.
        check: Arc<str>,
    },
    /// A step failed (the row's peer is the device).
    StepFailed {
        /// The check's name.
        check: Arc<str>,
        /// Why, and what arrived instead.
        failure: Box<Failure>,
    },
    /// The check ended.
    Finished {
        /// The check's name.
        check: Arc<str>,
        /// Passed, failed or stopped.
        outcome: Outcome,
        /// From its start.
        took: Duration,
    },
}

impl CheckEvent {
    /// The row this event is in the traffic log, if it is one.
    #[must_use]
    pub fn milestone(&self) -> Option<Milestone> {
        let check = Arc::clone(&self.check);
        match &self.kind {
            CheckEventKind::Started => Some(Milestone::Started { check }),
            CheckEventKind::Step(StepEvent {
                state: StepState::Failed { failure, .. },
                ..
            }) => Some(Milestone::StepFailed {
                check,
                failure: failure.clone(),
            }),
            CheckEventKind::Step(_) => None,
            &CheckEventKind::Finished { outcome, took } => Some(Milestone::Finished {
                check,
                outcome,
                took,
            }),
        }
    }
}
