//! Device checks: a named list of steps (wait for a client, connect, send, expect, wait, repeat,
//! disconnect, expect the close) that passes or fails, kept in a preset.
//!
//! - `model`: the [`Check`] and its [`Step`]s as written and stored, and the [`outline`] that numbers
//!   steps (`3.2`) and gives them a [`StepId`].
//! - `compile`: checks a check against the session it runs in ([`Context`]) and compiles it once
//!   ([`compile`], [`problems`]): every mistake is found at edit time, with its step and position.
//! - `runner`: the [`Runner`], a state machine fed with connections, bytes, closes and the time, that
//!   answers with sends and [`CheckEvent`]s; the engine's worker runs it, so no step waits for a window.
//! - `event`: what a run reports as it goes ([`CheckEvent`]).
//! - `report`: a run's events folded into a [`Report`]: each step's result and time, the latency of
//!   expects after sends, the first failure with what arrived instead.
//! - `text`: the words for steps, failures and outcomes, in English and Chinese.
//!
//! Pure: no I/O, no threads, no clock read; times are given. It uses only `codec`, `i18n` and `rules`;
//! the engine runs it.

mod compile;
mod event;
mod model;
mod report;
mod runner;
mod text;

pub use compile::{
    CheckError, CheckProblem, CompiledCheck, Context, Role, compile, problems, problems_of_all,
};
pub use event::{
    ARRIVED_SHOWN, Arrived, CheckEvent, CheckEventKind, FailReason, Failure, MESSAGES_SHOWN,
    Milestone, Outcome, StepEvent, StepState,
};
pub use model::{
    Check, DEFAULT_WAIT_CLIENT_MS, DEFAULT_WITHIN_MS, OutlineItem, Step, StepId, outline,
};
pub use report::{Latency, RESULTS_KEPT, Report, StepResult, StepSummary};
pub use runner::{Output, PeerKey, Runner, STREAM_WINDOW};
pub use text::{arrived_text, duration_text, step_text};
