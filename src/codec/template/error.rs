//! What can be wrong with a variable in typed input, in English and Chinese, with its position.

use std::fmt;

use crate::codec::Checksum;

/// Why a variable (`{...}` or `$N`) in typed input cannot be used. Positions count characters from 1 in what
/// the user typed and point at the variable's `{` or `$`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VariableError {
    /// `{name}` where no variable has that name, as in `{conter}`.
    Unknown {
        /// Where the `{` is.
        position: usize,
        /// The name as typed.
        name: String,
        /// Whether the reply-rule variables were available, for the list of known names.
        rules: bool,
    },
    /// What reads as a variable written another way: its name in another case or with other punctuation,
    /// or spaces, a sign or a second part in it, as in `{Time}`, `{crc16_modbus}`, `{counter: 3}`.
    NearMiss {
        /// Where the `{` is.
        position: usize,
        /// What was typed, braces included.
        typed: String,
        /// The variable as it is written, such as `{time}`.
        written: String,
    },
    /// `{{` in hex input, where braces are not text: a brace is written as its byte, `7B`.
    BraceInHex {
        /// Where the first `{` is.
        position: usize,
    },
    /// A reply-rule variable (`{n}`, `{n:K}`, `{reset}`, `{peer}`) outside a reply rule.
    OnlyInRules {
        /// Where the `{` is.
        position: usize,
        /// The variable as typed.
        typed: String,
    },
    /// A variable whose part after `:` is missing, not a number, or out of range, as in `{rand}` or
    /// `{counter:0}`; or one that takes no such part, as in `{time:3}`.
    Argument {
        /// Where the `{` is.
        position: usize,
        /// The variable as typed.
        typed: String,
        /// The whole numbers it takes after `:`; `None` when it takes nothing.
        range: Option<(u64, u64)>,
    },
    /// A checksum that would cover nothing: nothing comes before it, or its start (`{sum8:K}`) is at or
    /// past the end of the bytes before it, whose length is the same for every send.
    ChecksumOfNothing {
        /// Where the `{` is.
        position: usize,
        /// The variable as typed.
        typed: String,
        /// How many bytes come before it.
        before: usize,
    },
    /// `$N` beyond the captures there are: a regex's groups or a hex pattern's wildcards.
    NoSuchCapture {
        /// Where the `$` is.
        position: usize,
        /// The capture as typed.
        typed: String,
        /// How many captures there are (`$1` to `$available`).
        available: usize,
    },
    /// `{n:K}` with K 0 (rules count from 1) or beyond the rules there are.
    NoSuchRule {
        /// Where the `{` is.
        position: usize,
        /// The variable as typed.
        typed: String,
        /// K, the rule it names.
        rule: usize,
        /// How many rules there are.
        available: usize,
    },
}

/// The variables every send path knows (and with `rules`, those of reply rules too), as a list for people
/// to read: `{counter}, {counter:W}, …` (checksums from [`Checksum::NAMES`]).
#[must_use]
pub fn known(rules: bool) -> String {
    let mut list = vec![
        "{counter}",
        "{counter:W}",
        "{time}",
        "{unix}",
        "{unix_ms}",
        "{rand:N}",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    for (name, checksum) in Checksum::NAMES.iter().zip(Checksum::ALL).skip(1) {
        list.push(format!("{{{name}}}"));
        if checksum == Checksum::ALIAS.1 {
            list.push(format!("{{{}}}", Checksum::ALIAS.0));
        }
    }
    if rules {
        list.extend(["{n}", "{n:K}", "{reset}", "{peer}"].map(str::to_owned));
    }
    list.join(", ")
}

/// How many bytes come before a checksum, `before` of them, as a message says it.
fn bytes_come(before: usize) -> String {
    match before {
        1 => "1 byte (0) comes".to_owned(),
        _ => format!("{before} bytes (0 to {}) come", before - 1),
    }
}

/// What a pattern with `available` captures captures, as a message says it.
fn captures(available: usize) -> String {
    match available {
        0 => "the pattern captures nothing (a regex's groups and a hex pattern's wildcards are captures)"
            .to_owned(),
        1 => "the pattern captures one part, $1 (a regex's group or a hex pattern's wildcard)".to_owned(),
        n => format!(
            "the pattern captures {n} parts, $1 to ${n} (a regex's groups or a hex pattern's wildcards)"
        ),
    }
}

/// `typed`, a `{…}`, written so that it is sent as typed: `{{…}}`.
fn as_typed(typed: &str) -> String {
    format!("{{{typed}}}")
}

impl VariableError {
    /// Where the problem is, counted in characters from 1.
    #[must_use]
    pub fn position(&self) -> usize {
        match *self {
            Self::Unknown { position, .. }
            | Self::NearMiss { position, .. }
            | Self::BraceInHex { position }
            | Self::ChecksumOfNothing { position, .. }
            | Self::OnlyInRules { position, .. }
            | Self::Argument { position, .. }
            | Self::NoSuchCapture { position, .. }
            | Self::NoSuchRule { position, .. } => position,
        }
    }

    /// The message in Chinese, for the Chinese interface.
    #[must_use]
    pub fn zh(&self) -> String {
        match self {
            Self::Unknown {
                position,
                name,
                rules,
            } => format!(
                "第 {position} 个字符：未知变量 '{name}'；可用：{}（校验可从第 K 个字节算起，如 {{sum8:2}}）；\
                 字面的 {{ 请写作 {{{{",
                known(*rules)
            ),
            Self::NearMiss {
                position,
                typed,
                written,
            } => format!(
                "第 {position} 个字符：{typed} 不是变量的写法；是否要写 {written}？（变量名须照写；要原样发送请写 {}）",
                as_typed(typed)
            ),
            Self::BraceInHex { position } => format!(
                "第 {position} 个字符：{{{{ 只在文本输入中表示一个大括号；十六进制中请写它的字节：{{ 为 7B，}} 为 7D"
            ),
            Self::OnlyInRules { position, typed } => {
                format!("第 {position} 个字符：{typed} 只能用在自动回复规则的回复中")
            }
            Self::Argument {
                position,
                typed,
                range: Some((min, max)),
            } => format!("第 {position} 个字符：{typed} 的冒号后面需要 {min} 到 {max} 之间的整数"),
            Self::Argument {
                position,
                typed,
                range: None,
            } => format!("第 {position} 个字符：{typed} 的冒号后面不能有内容"),
            Self::ChecksumOfNothing {
                position,
                typed,
                before: 0,
            } => format!(
                "第 {position} 个字符：{typed} 前面没有字节可校验；请把它放在要校验的字节之后"
            ),
            Self::ChecksumOfNothing {
                position,
                typed,
                before,
            } => format!(
                "第 {position} 个字符：{typed} 前面只有 {before} 个字节（第 0 到第 {} 个），从它指定的字节起没有可校验的内容；起始字节须小于 {before}",
                before - 1
            ),
            Self::NoSuchCapture {
                position,
                typed,
                available: 0,
            } => format!(
                "第 {position} 个字符：没有 {typed}：模式没有捕获任何部分（捕获来自正则的分组或十六进制模式的通配符）；$0 为整条消息；$$ 表示字面的 $"
            ),
            Self::NoSuchCapture {
                position,
                typed,
                available,
            } => {
                let captures = match available {
                    1 => "$1".to_owned(),
                    n => format!("$1…${n}"),
                };
                format!(
                    "第 {position} 个字符：没有 {typed}：模式只捕获了 {available} 个部分（{captures}：正则的分组或十六进制模式的通配符）；$0 为整条消息；$$ 表示字面的 $"
                )
            }
            Self::NoSuchRule {
                position,
                typed,
                rule: 0,
                ..
            } => format!(
                "第 {position} 个字符：没有 {typed}：规则从 1 开始编号（{{n:1}} 为第 1 条规则的计数）"
            ),
            Self::NoSuchRule {
                position,
                typed,
                available,
                ..
            } => format!("第 {position} 个字符：没有 {typed}：只有 {available} 条规则"),
        }
    }
}

impl fmt::Display for VariableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown {
                position,
                name,
                rules,
            } => write!(
                f,
                "position {position}: unknown variable '{name}'; known: {} (a checksum may start at byte \
                 K, as in {{sum8:2}}); write {{{{ for a literal {{",
                known(*rules)
            ),
            Self::NearMiss {
                position,
                typed,
                written,
            } => write!(
                f,
                "position {position}: {typed} is not how a variable is written; did you mean {written}? \
                 (names are exact; to send it as typed, write {})",
                as_typed(typed)
            ),
            Self::BraceInHex { position } => write!(
                f,
                "position {position}: {{{{ writes a brace only in text input; in hex, write its byte: \
                 7B for {{, 7D for }}"
            ),
            Self::OnlyInRules { position, typed } => {
                write!(
                    f,
                    "position {position}: {typed} works only in a reply rule's reply"
                )
            }
            Self::Argument {
                position,
                typed,
                range: Some((min, max)),
            } => write!(
                f,
                "position {position}: {typed} needs a whole number from {min} to {max} after ':'"
            ),
            Self::Argument {
                position,
                typed,
                range: None,
            } => write!(f, "position {position}: {typed} takes nothing after ':'"),
            Self::ChecksumOfNothing {
                position,
                typed,
                before: 0,
            } => write!(
                f,
                "position {position}: {typed} has no bytes before it to check; put it after the bytes it \
                 covers"
            ),
            Self::ChecksumOfNothing {
                position,
                typed,
                before,
            } => write!(
                f,
                "position {position}: {typed} would check nothing: only {} before it; its start byte \
                 must be less than {before}",
                bytes_come(*before)
            ),
            Self::NoSuchCapture {
                position,
                typed,
                available,
            } => write!(
                f,
                "position {position}: there is no {typed}: {}; $0 is the whole message, and $$ writes a $",
                captures(*available)
            ),
            Self::NoSuchRule {
                position,
                typed,
                rule: 0,
                ..
            } => write!(
                f,
                "position {position}: there is no {typed}: rules count from 1 ({{n:1}} is the first \
                 rule's count)"
            ),
            Self::NoSuchRule {
                position,
                typed,
                available,
                ..
            } => match available {
                1 => write!(
                    f,
                    "position {position}: there is no {typed}: there is only 1 rule"
                ),
                n => write!(
                    f,
                    "position {position}: there is no {typed}: there are only {n} rules"
                ),
            },
        }
    }
}

impl std::error::Error for VariableError {}
