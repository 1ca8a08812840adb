//! What can be wrong with reply rules (and with a pattern on its own), in English and Chinese.

use std::fmt;

use crate::codec::{FramingError, SendError};

/// Why rules cannot be used: the rule (counting from 1 in the order rules are tried), when the problem is
/// in one, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// The rule, or `None` for a pattern on its own ([`Pattern::new`]) or a setting of all the rules.
    pub rule: Option<usize>,
    /// What is wrong.
    pub problem: RuleProblem,
}

/// What is wrong with a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleProblem {
    /// A rule written on the command line is not in the `KIND:PATTERN=>REPLY` form.
    Form(String),
    /// A regular expression that does not compile, with the compiler's explanation pointing at the problem.
    Regex(String),
    /// A part of a pattern or of a reply that is not valid text (escapes, encoding) or hex.
    Piece {
        /// In the pattern (true) or the reply (false).
        pattern: bool,
        /// The piece in question, as typed.
        piece: String,
        /// What is wrong with it.
        error: SendError,
    },
    /// The framing that splits the stream into messages for the rules cannot work.
    Framing(FramingError),
}

impl From<RuleProblem> for RuleError {
    fn from(problem: RuleProblem) -> Self {
        Self {
            rule: None,
            problem,
        }
    }
}

impl RuleError {
    /// The same problem, found in rule `number` (counting from 1).
    #[must_use]
    pub fn in_rule(self, number: usize) -> Self {
        Self {
            rule: Some(number),
            ..self
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        let problem = match &self.problem {
            RuleProblem::Form(text) => format!(
                "“{text}”不是规则：请写成 类型:模式=>回复，类型为 exact、contains、regex 或 hex，\
                 例如 'regex:^look$=>OK {{n}}' 或 'hex:01 03 *=>[20ms]hex:01 83 02'"
            ),
            RuleProblem::Regex(detail) => format!("正则表达式无法编译，请修改：\n{detail}"),
            RuleProblem::Piece {
                pattern,
                piece,
                error,
            } => format!(
                "{}中的“{piece}”无效：{}",
                if *pattern { "模式" } else { "回复" },
                error.zh()
            ),
            RuleProblem::Framing(error) => error.zh(),
        };
        match self.rule {
            Some(rule) => format!("规则 {rule}：{problem}"),
            None => problem,
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(rule) = self.rule {
            write!(f, "Rule {rule}: ")?;
        }
        match &self.problem {
            RuleProblem::Form(text) => write!(
                f,
                "'{text}' is not a rule: write KIND:PATTERN=>REPLY, with KIND one of exact, contains, \
                 regex, hex; for example 'regex:^look$=>OK {{n}}' or 'hex:01 03 *=>[20ms]hex:01 83 02'"
            ),
            RuleProblem::Regex(detail) => {
                write!(
                    f,
                    "the regular expression does not compile; fix it:\n{detail}"
                )
            }
            RuleProblem::Piece {
                pattern,
                piece,
                error,
            } => write!(
                f,
                "'{piece}' in the {} is not valid: {error}",
                if *pattern { "pattern" } else { "reply" }
            ),
            RuleProblem::Framing(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for RuleError {}

/// A `piece` of a pattern (`pattern` true) or a reply that is not valid text or hex.
pub(super) fn piece_problem(pattern: bool, piece: &str, error: SendError) -> RuleProblem {
    RuleProblem::Piece {
        pattern,
        piece: piece.to_owned(),
        error,
    }
}
