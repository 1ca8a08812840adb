//! Checking a [`Check`] against the session it runs in and compiling it once into a [`CompiledCheck`]:
//! sends read into templates, patterns compiled, repeats laid out as a flat program. Every problem is
//! found here, at edit time, with the step's place and, inside typed text, the position of the mistake;
//! nothing is found while the check runs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{
    Framer, FramerConfig, Framing, FramingError, Scope, SendError, SendOptions, Template,
    TextEncoding,
};
use crate::rules::{Pattern, RuleError, RuleProblem};

use super::model::{Check, Step, StepId, outline};

/// What kind of session a check runs in: which steps make sense there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A TCP server: `wait_client` picks the device among the clients.
    Server,
    /// A TCP client: the device is the server; `connect` (again).
    Client,
    /// UDP: sends go to the session's remote, and the device is the first remote that sends or is sent to.
    Udp,
}

/// The session settings a check is compiled for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    /// The kind of session.
    pub role: Role,
    /// The encoding of text patterns in `expect` steps (the preset's display and matching encoding).
    pub encoding: TextEncoding,
    /// How received bytes are cut into messages for `expect` (raw: the byte stream since the last match).
    pub framing: Framing,
    /// The send box's options: their line ending and checksum end every `send`.
    pub send: SendOptions,
}

/// Why a check cannot run: its name, the step (when the problem is in one) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// The check's name, as typed.
    pub check: String,
    /// The step, when the problem is in one: its number and its place for people (`3.2`).
    pub step: Option<(StepId, String)>,
    /// What is wrong.
    pub problem: CheckProblem,
}

/// What is wrong with a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckProblem {
    /// The check has no name.
    NoName,
    /// Another check of the preset has the same name.
    SameName,
    /// The check, or a repeat, has no steps.
    NoSteps,
    /// A repeat of 0 times.
    RepeatZero,
    /// The step does not work in this kind of session (`wait_client` in a client, …).
    WrongSession {
        /// The step's kind, as [`Step::kind`] names it.
        kind: &'static str,
        /// The session's kind.
        role: Role,
    },
    /// A send's text is not valid: a typo in hex, an escape or a variable (`$2` beyond the captures of
    /// the expect before it), with its position.
    Send(SendError),
    /// An expect's pattern is not valid (a regex that does not compile, bad hex, a bad escape).
    Pattern(Box<RuleError>),
    /// The preset's framing cannot cut messages.
    Framing(FramingError),
}

impl CheckError {
    /// Where the mistake is in the step's typed text, counted in characters from 1, when it is there.
    #[must_use]
    pub fn position(&self) -> Option<usize> {
        match &self.problem {
            CheckProblem::Send(error) => Some(error.position()),
            CheckProblem::Pattern(rule) => match &rule.problem {
                RuleProblem::Piece { error, .. } => Some(error.position()),
                _ => None,
            },
            _ => None,
        }
    }

    /// The message in Chinese.
    #[must_use]
    pub fn zh(&self) -> String {
        let problem = match &self.problem {
            CheckProblem::NoName => "检查需要一个名称".to_owned(),
            CheckProblem::SameName => "另一个检查也叫这个名称；请改名".to_owned(),
            CheckProblem::NoSteps => "没有步骤".to_owned(),
            CheckProblem::RepeatZero => "重复次数至少为 1".to_owned(),
            CheckProblem::WrongSession { kind, role } => format!(
                "{kind} 不能用于{}（{}）",
                role_zh(*role),
                match *kind {
                    "wait_client" => "wait_client 用于 TCP 服务器或 UDP",
                    "connect" => "connect 用于 TCP 客户端",
                    _ => "UDP 没有连接可关闭",
                }
            ),
            CheckProblem::Send(error) => format!("发送内容无效：{}", error.zh()),
            CheckProblem::Pattern(error) => format!("期望的模式无效：{}", error.zh()),
            CheckProblem::Framing(error) => error.zh(),
        };
        match &self.step {
            Some((_, path)) => format!("检查“{}”第 {path} 步：{problem}", self.check),
            None => format!("检查“{}”：{problem}", self.check),
        }
    }
}

fn role_en(role: Role) -> &'static str {
    match role {
        Role::Server => "a TCP server",
        Role::Client => "a TCP client",
        Role::Udp => "UDP",
    }
}

fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Server => "TCP 服务器",
        Role::Client => "TCP 客户端",
        Role::Udp => "UDP",
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.step {
            Some((_, path)) => write!(f, "Check '{}', step {path}: ", self.check)?,
            None => write!(f, "Check '{}': ", self.check)?,
        }
        match &self.problem {
            CheckProblem::NoName => f.write_str("a check needs a name"),
            CheckProblem::SameName => {
                f.write_str("another check has the same name; rename one of them")
            }
            CheckProblem::NoSteps => f.write_str("there are no steps"),
            CheckProblem::RepeatZero => f.write_str("a repeat needs 1 time or more"),
            CheckProblem::WrongSession { kind, role } => write!(
                f,
                "{kind} does not work in {} ({})",
                role_en(*role),
                match *kind {
                    "wait_client" => "wait_client is for a TCP server or UDP",
                    "connect" => "connect is for a TCP client",
                    _ => "UDP has no connection to close",
                }
            ),
            CheckProblem::Send(error) => write!(f, "the text to send is not valid: {error}"),
            CheckProblem::Pattern(error) => write!(f, "the pattern is not valid: {error}"),
            CheckProblem::Framing(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for CheckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            CheckProblem::Send(error) => Some(error),
            CheckProblem::Pattern(error) => Some(error.as_ref()),
            CheckProblem::Framing(error) => Some(error),
            _ => None,
        }
    }
}

/// One instruction of a compiled check.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    WaitClient(Duration),
    Connect(Duration),
    Send(Template),
    Expect {
        pattern: Pattern,
        within: Duration,
    },
    Wait(Duration),
    /// Run the instructions up to its [`Op::RepeatEnd`] `times` times.
    RepeatStart {
        times: u32,
    },
    /// Back to the instruction after `start` (its [`Op::RepeatStart`]) while times remain.
    RepeatEnd {
        start: usize,
    },
    Disconnect,
    ExpectClose(Duration),
}

/// An instruction and the step it comes from.
#[derive(Clone, Debug)]
pub(crate) struct Instr {
    pub(crate) id: StepId,
    pub(crate) op: Op,
}

/// A check checked and compiled for one session, ready for a [`Runner`](super::Runner). Cheap to clone.
#[derive(Clone, Debug)]
pub struct CompiledCheck {
    pub(crate) name: Arc<str>,
    pub(crate) program: Arc<[Instr]>,
    pub(crate) framing: FramerConfig,
    pub(crate) encoding: TextEncoding,
    /// The check as written, for the places (`3.2`) and descriptions of its steps.
    pub(crate) source: Arc<Check>,
}

impl CompiledCheck {
    /// The check's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The check as written.
    #[must_use]
    pub fn check(&self) -> &Check {
        &self.source
    }
}

impl PartialEq for CompiledCheck {
    /// Two compiled checks are the same when made from the same check for the same session settings.
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
            && self.framing == other.framing
            && self.encoding == other.encoding
    }
}

impl Eq for CompiledCheck {}

/// Compiles `check` for `context`, or names its first problem.
pub fn compile(check: &Check, context: &Context) -> Result<CompiledCheck, CheckError> {
    let mut compiler = Compiler::new(check, context);
    compiler.run();
    match compiler.errors.into_iter().next() {
        Some(error) => Err(error),
        None => Ok(CompiledCheck {
            name: Arc::from(check.name.as_str()),
            program: Arc::from(compiler.program),
            framing: FramerConfig::from(context.framing.clone()),
            encoding: context.encoding,
            source: Arc::new(check.clone()),
        }),
    }
}

/// Every problem of `check` in `context`, at most one per step, in step order: what an editor marks.
#[must_use]
pub fn problems(check: &Check, context: &Context) -> Vec<CheckError> {
    let mut compiler = Compiler::new(check, context);
    compiler.run();
    compiler.errors
}

/// Every problem of a preset's `checks` in `context`: each check's own, and names used twice.
#[must_use]
pub fn problems_of_all(checks: &[Check], context: &Context) -> Vec<CheckError> {
    let mut errors = Vec::new();
    for (index, check) in checks.iter().enumerate() {
        if checks[..index]
            .iter()
            .any(|other| other.name.trim() == check.name.trim())
        {
            errors.push(CheckError {
                check: check.name.clone(),
                step: None,
                problem: CheckProblem::SameName,
            });
        }
        errors.extend(problems(check, context));
    }
    errors
}

struct Compiler<'a> {
    check: &'a Check,
    context: &'a Context,
    /// Each step's place for people, by [`StepId`].
    paths: Vec<String>,
    next_id: u32,
    program: Vec<Instr>,
    errors: Vec<CheckError>,
    /// Errors are being collected (not during the look-ahead through a repeat).
    collecting: bool,
}

impl<'a> Compiler<'a> {
    fn new(check: &'a Check, context: &'a Context) -> Self {
        Self {
            check,
            context,
            paths: outline(&check.steps)
                .into_iter()
                .map(|item| item.path)
                .collect(),
            next_id: 0,
            program: Vec::new(),
            errors: Vec::new(),
            collecting: true,
        }
    }

    fn run(&mut self) {
        if self.check.name.trim().is_empty() {
            self.error(None, CheckProblem::NoName);
        }
        if self.check.steps.is_empty() {
            self.error(None, CheckProblem::NoSteps);
        }
        if let Err(error) = Framer::new(FramerConfig::from(self.context.framing.clone())) {
            self.error(None, CheckProblem::Framing(error));
        }
        self.steps(&self.check.steps, 0);
    }

    fn error(&mut self, id: Option<StepId>, problem: CheckProblem) {
        if !self.collecting {
            return;
        }
        let step = id.map(|id| {
            let path = self.paths.get(id.0 as usize).cloned().unwrap_or_default();
            (id, path)
        });
        self.errors.push(CheckError {
            check: self.check.name.clone(),
            step,
            problem,
        });
    }

    /// Compiles `steps` given that the last expect before them has `captures` groups; returns how many the
    /// last expect has after them.
    fn steps(&mut self, steps: &[Step], mut captures: usize) -> usize {
        for step in steps {
            captures = self.step(step, captures);
        }
        captures
    }

    fn step(&mut self, step: &Step, captures: usize) -> usize {
        let id = StepId(self.next_id);
        self.next_id += 1;
        let role = self.context.role;
        let wrong = |kind| CheckProblem::WrongSession { kind, role };
        let millis = Duration::from_millis;
        let op = match step {
            Step::WaitClient { within_ms } => {
                if role == Role::Client {
                    self.error(Some(id), wrong(step.kind()));
                }
                Op::WaitClient(millis(*within_ms))
            }
            Step::Connect { within_ms } => {
                if role != Role::Client {
                    self.error(Some(id), wrong(step.kind()));
                }
                Op::Connect(millis(*within_ms))
            }
            Step::Disconnect | Step::ExpectClose { .. } if role == Role::Udp => {
                self.error(Some(id), wrong(step.kind()));
                Op::Disconnect
            }
            Step::Disconnect => Op::Disconnect,
            Step::ExpectClose { within_ms } => Op::ExpectClose(millis(*within_ms)),
            Step::Wait { ms } => Op::Wait(millis(*ms)),
            Step::Send { text, .. } => {
                let options = step.send_options(self.context.send).unwrap_or_default();
                match Template::parse(text, &options, Scope::with_captures(captures)) {
                    Ok(template) => Op::Send(template),
                    Err(error) => {
                        self.error(Some(id), CheckProblem::Send(error));
                        Op::Wait(Duration::ZERO)
                    }
                }
            }
            Step::Expect { matcher, within_ms } => {
                match Pattern::new(matcher, self.context.encoding) {
                    Ok(pattern) => {
                        let groups = pattern.groups();
                        self.program.push(Instr {
                            id,
                            op: Op::Expect {
                                pattern,
                                within: millis(*within_ms),
                            },
                        });
                        return groups;
                    }
                    Err(error) => {
                        self.error(Some(id), CheckProblem::Pattern(Box::new(error)));
                        Op::Wait(Duration::ZERO)
                    }
                }
            }
            Step::Repeat { times, steps } => return self.repeat(id, *times, steps, captures),
        };
        self.program.push(Instr { id, op });
        captures
    }

    fn repeat(&mut self, id: StepId, times: u32, steps: &[Step], captures: usize) -> usize {
        if times == 0 {
            self.error(Some(id), CheckProblem::RepeatZero);
        }
        if steps.is_empty() {
            self.error(Some(id), CheckProblem::NoSteps);
        }
        // A send at the top of the body follows the expect before the repeat the first time round, and
        // the body's last expect after that: it may use the captures both have. A look-ahead finds the
        // second.
        let (first_id, start) = (self.next_id, self.program.len());
        let collecting = std::mem::replace(&mut self.collecting, false);
        let after_body = self.steps(steps, captures);
        self.collecting = collecting;
        self.program.truncate(start);
        self.next_id = first_id;

        self.program.push(Instr {
            id,
            op: Op::RepeatStart { times },
        });
        let after = self.steps(steps, captures.min(after_body));
        self.program.push(Instr {
            id,
            op: Op::RepeatEnd { start },
        });
        after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{SendError, VariableError};
    use crate::rules::Match;

    fn context(role: Role) -> Context {
        Context {
            role,
            encoding: TextEncoding::Utf8,
            framing: Framing::Raw,
            send: SendOptions::default(),
        }
    }

    fn check(steps: Vec<Step>) -> Check {
        Check {
            name: "c".to_owned(),
            steps,
        }
    }

    fn send(text: &str) -> Step {
        Step::Send {
            text: text.to_owned(),
            input: crate::codec::InputMode::Text,
            encoding: TextEncoding::Utf8,
            escapes: false,
        }
    }

    fn expect(matcher: Match) -> Step {
        Step::Expect {
            matcher,
            within_ms: 100,
        }
    }

    #[test]
    fn a_repeat_is_laid_out_flat_with_its_end_pointing_back() {
        let compiled = compile(
            &check(vec![
                Step::WaitClient { within_ms: 1 },
                Step::Repeat {
                    times: 3,
                    steps: vec![send("a"), expect(Match::Contains("a".to_owned()))],
                },
                Step::Disconnect,
            ]),
            &context(Role::Server),
        )
        .unwrap();
        let ops: Vec<String> = compiled
            .program
            .iter()
            .map(|i| match &i.op {
                Op::RepeatStart { times } => format!("{} start {times}", i.id.0),
                Op::RepeatEnd { start } => format!("{} end {start}", i.id.0),
                op => format!(
                    "{} {}",
                    i.id.0,
                    format!("{op:?}").split([' ', '(']).next().unwrap()
                ),
            })
            .collect();
        assert_eq!(
            ops,
            [
                "0 WaitClient",
                "1 start 3",
                "2 Send",
                "3 Expect",
                "1 end 1",
                "4 Disconnect"
            ]
        );
    }

    #[test]
    fn captures_are_those_of_the_expect_before_the_send() {
        let ctx = context(Role::Server);
        let ok = check(vec![
            expect(Match::Regex(r"v(\d+)\.(\d+)".to_owned())),
            send("got $2 of $0"),
        ]);
        assert!(compile(&ok, &ctx).is_ok());
        let wrong = check(vec![
            expect(Match::Regex(r"v(\d+)".to_owned())),
            send("got $2"),
        ]);
        let error = compile(&wrong, &ctx).unwrap_err();
        assert_eq!(error.step, Some((StepId(1), "2".to_owned())));
        assert_eq!(error.position(), Some(5));
        assert!(matches!(
            error.problem,
            CheckProblem::Send(SendError::Variable(VariableError::NoSuchCapture {
                available: 1,
                ..
            }))
        ));
        assert!(
            error
                .to_string()
                .starts_with("Check 'c', step 2: the text to send is not valid: position 5"),
            "{error}"
        );
        assert!(
            error
                .zh()
                .starts_with("检查“c”第 2 步：发送内容无效：第 5 个字符")
        );
        // Before any expect there are no captures.
        let early = compile(&check(vec![send("$1")]), &ctx).unwrap_err();
        assert_eq!(early.position(), Some(1));
    }

    #[test]
    fn a_send_at_the_top_of_a_repeat_may_use_only_captures_both_ways_in_have() {
        let ctx = context(Role::Server);
        let body = |first: &str| Step::Repeat {
            times: 2,
            steps: vec![send(first), expect(Match::Regex("(a)".to_owned()))],
        };
        let before = expect(Match::Regex("(x)(y)".to_owned()));
        // $1 exists both the first time (from `before`) and later (from the body's expect).
        assert!(compile(&check(vec![before.clone(), body("$1")]), &ctx).is_ok());
        // $2 exists only the first time.
        let error = compile(&check(vec![before, body("$2")]), &ctx).unwrap_err();
        assert_eq!(error.step.unwrap().1, "2.1");
        // After the repeat, the body's expect is the last one.
        let after = compile(&check(vec![body("x"), send("$1"), send("$2")]), &ctx).unwrap_err();
        assert_eq!(after.step.unwrap().1, "3");
    }

    #[test]
    fn every_problem_is_named_with_its_step() {
        let ctx = context(Role::Client);
        let bad = check(vec![
            Step::WaitClient { within_ms: 1 },
            send("AA {conter}"),
            expect(Match::Regex("(".to_owned())),
            Step::Repeat {
                times: 0,
                steps: vec![],
            },
            expect(Match::Hex("AA G1".to_owned())),
        ]);
        let found = problems(&bad, &ctx);
        let places: Vec<(Option<String>, Option<usize>)> = found
            .iter()
            .map(|e| (e.step.clone().map(|s| s.1), e.position()))
            .collect();
        assert_eq!(
            places,
            [
                (Some("1".to_owned()), None),
                (Some("2".to_owned()), Some(4)),
                (Some("3".to_owned()), None),
                (Some("4".to_owned()), None),
                (Some("4".to_owned()), None),
                (Some("5".to_owned()), Some(4)),
            ]
        );
        assert!(
            found[0]
                .to_string()
                .contains("wait_client is for a TCP server or UDP"),
            "{}",
            found[0]
        );
        for error in &found {
            assert!(!error.zh().is_empty());
        }
        let unnamed = Check {
            name: " ".to_owned(),
            steps: vec![],
        };
        let problems: Vec<_> = problems(&unnamed, &ctx)
            .into_iter()
            .map(|e| e.problem)
            .collect();
        assert_eq!(problems, [CheckProblem::NoName, CheckProblem::NoSteps]);
    }

    #[test]
    fn udp_has_no_connection_to_close_and_names_are_unique() {
        let udp = context(Role::Udp);
        let error = compile(&check(vec![Step::Disconnect]), &udp).unwrap_err();
        assert!(
            error.to_string().contains("UDP has no connection"),
            "{error}"
        );
        let twice = [
            check(vec![Step::Wait { ms: 1 }]),
            check(vec![Step::Wait { ms: 1 }]),
        ];
        let found = problems_of_all(&twice, &udp);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].problem, CheckProblem::SameName);
    }
}
