//! Why the last call refused something, kept for the JavaScript side to read.
//!
//! wasm-bindgen would turn a Rust error into a plain `Error` with only a message; the package throws
//! `TypeError` or `RangeError` carrying the datapoint's index, its path and the frames encoded before it. So
//! calls return their partial output and record the failure here (wasm is single-threaded: one slot is
//! enough). The failure is kept as numbers, and JavaScript words the message: formatting text in Rust would
//! pull `core::fmt`'s Unicode tables into the `.wasm` and double its size.

use carbon_pickle::{Error, PathError, TagError};
use wasm_bindgen::prelude::*;

/// What kind of failure the last call recorded (`None` when it succeeded).
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCode {
    /// The last call succeeded.
    None = 0,
    /// A path breaks the path rules. Detail: `[PathFault, at, char or len, max]`.
    InvalidPath = 1,
    /// The prefix breaks the path rules. Detail as for `InvalidPath`.
    InvalidPrefix = 2,
    /// A value is NaN or infinite.
    NonFiniteValue = 3,
    /// A timestamp is NaN or infinite.
    NonFiniteTimestamp = 4,
    /// A timestamp is outside `0..2^32`.
    TimestampOutOfRange = 5,
    /// A datapoint is larger than any frame under the limits. Detail: `[len, max]`.
    DatapointTooLarge = 6,
    /// `maxBytes`, `maxPoints` or `protocol` is unusable.
    InvalidOptions = 7,
    /// The columns do not fit together. Detail: `[InputFault, a, b]`.
    BadInput = 8,
    /// A refusal this version does not know how to describe.
    Other = 9,
    /// A cluster destination or router setting is refused (index: the destination). Detail:
    /// `[RouteFault, a, b]`.
    InvalidDestination = 10,
    /// Protocol 0 was asked of a module built without it (cargo feature `protocol0`).
    ProtocolNotBuilt = 11,
}

/// Why a cluster destination or router setting was refused (first detail number of `InvalidDestination`).
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteFault {
    /// Empty destination.
    Empty = 0,
    /// No `:PORT`.
    MissingPort = 1,
    /// Nothing before the port.
    EmptyHost = 2,
    /// `[` without `]:`.
    UnclosedBracket = 3,
    /// The port is not in `1..=65535`.
    BadPort = 4,
    /// `[_, first]`: the same server and instance as destination `first`.
    Duplicate = 5,
    /// `[_, max]`: more destinations than a ring holds.
    TooMany = 6,
    /// A replication factor of 0.
    BadReplication = 7,
    /// Not carbon_ch, fnv1a_ch or jump_fnv1a_ch.
    UnknownHash = 8,
}

/// Which path rule was broken (first detail number of `InvalidPath` and `InvalidPrefix`).
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFault {
    /// Empty path.
    Empty = 0,
    /// Character not allowed. Detail: `[_, at, char code point]`.
    InvalidChar = 1,
    /// Non-ASCII character under `asciiOnly`. Detail: `[_, at]`.
    NonAscii = 2,
    /// Empty component. Detail: `[_, at]`.
    EmptyComponent = 3,
    /// Component too long. Detail: `[_, at, len, max]`.
    ComponentTooLong = 4,
    /// A path rule this version does not know.
    Other = 5,
    /// The whole path (prefix included) is too long. Detail: `[_, len, max]`.
    TooLong = 6,
    /// A tagged path with nothing before its tags.
    TagNoName = 7,
    /// A tagged path whose name is only `~`.
    TagNameTildes = 8,
    /// A tag segment without `=`. Detail: `[_, segment, at]`.
    TagNoEquals = 9,
    /// A tag segment with an empty tag. Detail: `[_, segment, at]`.
    TagEmpty = 10,
    /// A tag segment with an empty value. Detail: `[_, segment, at]`.
    TagValueEmpty = 11,
    /// A character not allowed in a tag. Detail: `[_, segment, char at, char code point]`.
    TagChar = 12,
    /// A character not allowed in a value. Detail: `[_, segment, char at, char code point]`.
    TagValueChar = 13,
    /// A non-ASCII character in a tag or value under `asciiOnly`. Detail: `[_, segment, char at]`.
    TagNonAscii = 14,
    /// A value starting with `~`. Detail: `[_, segment, at]`.
    TagValueTilde = 15,
    /// An OpenMetrics-form path carbon cannot parse. Detail: `[_, segment, at]`.
    TagOpenMetrics = 16,
    /// A tagged path, in a module built without the core's `tags`.
    TagsNotBuilt = 17,
}

/// How the columns failed to fit (first detail number of `BadInput`).
#[wasm_bindgen]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFault {
    /// `[_, values, paths]`: counts differ.
    ValuesForPaths = 0,
    /// `[_, timestamps, values]`: counts differ.
    TimestampsForValues = 1,
    /// `[_, indices, values]`: counts differ.
    IndicesForValues = 2,
    /// `[_, index]`: not a registered path.
    UnknownIndex = 3,
    /// A path's length ends inside a character (a lone surrogate joined to its neighbour).
    SplitCharacter = 4,
    /// The path lengths do not cover the text.
    LengthsMismatch = 5,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Failure {
    pub code: FailureCode,
    /// Index of the datapoint (or path) refused, or -1 when not about one.
    pub index: i32,
    /// Numbers that describe it (see [`FailureCode`]), kept as integers (smaller code than floats).
    pub detail: [u32; 4],
}

fn path_detail(e: PathError) -> [u32; 4] {
    match e {
        PathError::Empty => [PathFault::Empty as u32, 0, 0, 0],
        PathError::InvalidChar { at, ch } => {
            [PathFault::InvalidChar as u32, at as u32, ch as u32, 0]
        }
        PathError::NonAscii { at } => [PathFault::NonAscii as u32, at as u32, 0, 0],
        PathError::EmptyComponent { at } => [PathFault::EmptyComponent as u32, at as u32, 0, 0],
        PathError::ComponentTooLong { at, len, max } => [
            PathFault::ComponentTooLong as u32,
            at as u32,
            len as u32,
            max as u32,
        ],
        PathError::TooLong { len, max } => [PathFault::TooLong as u32, len as u32, max as u32, 0],
        PathError::Tag(e) => tag_detail(e),
        _ => [PathFault::Other as u32, 0, 0, 0],
    }
}

fn tag_detail(e: TagError) -> [u32; 4] {
    let d = |f: PathFault, a: usize, b: usize, c: u32| [f as u32, a as u32, b as u32, c];
    match e {
        TagError::NoName => d(PathFault::TagNoName, 0, 0, 0),
        TagError::NameOnlyTildes => d(PathFault::TagNameTildes, 0, 0, 0),
        TagError::NoEquals { segment, at } => d(PathFault::TagNoEquals, segment, at, 0),
        TagError::EmptyTag { segment, at } => d(PathFault::TagEmpty, segment, at, 0),
        TagError::EmptyValue { segment, at } => d(PathFault::TagValueEmpty, segment, at, 0),
        TagError::InvalidTagChar {
            segment,
            char_at,
            ch,
            ..
        } => d(PathFault::TagChar, segment, char_at, ch as u32),
        TagError::InvalidValueChar {
            segment,
            char_at,
            ch,
            ..
        } => d(PathFault::TagValueChar, segment, char_at, ch as u32),
        TagError::NonAscii {
            segment, char_at, ..
        } => d(PathFault::TagNonAscii, segment, char_at, 0),
        TagError::ValueStartsWithTilde { segment, at } => {
            d(PathFault::TagValueTilde, segment, at, 0)
        }
        TagError::OpenMetrics { segment, at } => d(PathFault::TagOpenMetrics, segment, at, 0),
        TagError::NotEnabled => d(PathFault::TagsNotBuilt, 0, 0, 0),
        _ => d(PathFault::Other, 0, 0, 0),
    }
}

impl Failure {
    /// The core refused datapoint `index`.
    pub fn at(index: usize, error: Error) -> Self {
        let (code, detail) = match error {
            Error::InvalidPath(e) => (FailureCode::InvalidPath, path_detail(e)),
            Error::InvalidPrefix(e) => (FailureCode::InvalidPrefix, path_detail(e)),
            Error::NonFiniteValue => (FailureCode::NonFiniteValue, [0; 4]),
            Error::NonFiniteTimestamp => (FailureCode::NonFiniteTimestamp, [0; 4]),
            Error::TimestampOutOfRange => (FailureCode::TimestampOutOfRange, [0; 4]),
            Error::DatapointTooLarge { len, max } => (
                FailureCode::DatapointTooLarge,
                [len as u32, max as u32, 0, 0],
            ),
            Error::InvalidLimits => (FailureCode::InvalidOptions, [0; 4]),
            Error::ProtocolNotEnabled => (FailureCode::ProtocolNotBuilt, [0; 4]),
            _ => (FailureCode::Other, [0; 4]),
        };
        let index = match code {
            FailureCode::InvalidOptions
            | FailureCode::InvalidPrefix
            | FailureCode::ProtocolNotBuilt => -1,
            _ => index as i32,
        };
        Failure {
            code,
            index,
            detail,
        }
    }

    /// The options (or the prefix) were refused.
    pub fn options(error: Error) -> Self {
        Failure {
            index: -1,
            ..Failure::at(0, error)
        }
    }

    /// A state the module never reaches (kept as a failure rather than a panic).
    pub fn internal() -> Self {
        Failure {
            code: FailureCode::Other,
            index: -1,
            detail: [0; 4],
        }
    }

    /// The columns do not fit together.
    pub fn bad_input(index: Option<usize>, fault: InputFault, a: usize, b: usize) -> Self {
        Failure {
            code: FailureCode::BadInput,
            index: index.map_or(-1, |i| i as i32),
            detail: [fault as u32, a as u32, b as u32, 0],
        }
    }
}

crate::global::global! {
    /// The outcome of the last call as JavaScript reads it: [`FailureCode`], index (or -1), four numbers.
    fn with_last: [i32; 6] = [FailureCode::None as i32, -1, 0, 0, 0, 0];
}

/// Records the outcome of a call (`None`: success).
pub(crate) fn record(outcome: Option<Failure>) {
    let numbers = match outcome {
        None => [FailureCode::None as i32, -1, 0, 0, 0, 0],
        Some(f) => {
            let [a, b, c, d] = f.detail.map(|x| x as i32);
            [f.code as i32, f.index, a, b, c, d]
        }
    };
    with_last(|l| *l = numbers);
}

/// Records the outcome and passes the success on.
pub(crate) fn record_result<T>(r: Result<T, Failure>) -> Option<T> {
    match r {
        Ok(t) => {
            record(None);
            Some(t)
        }
        Err(f) => {
            record(Some(f));
            None
        }
    }
}

/// The last call's failure (valid until the next call into the module): six 32-bit integers in wasm
/// memory, the [`FailureCode`] ([`FailureCode::None`] after a success), the index of the datapoint or path
/// refused (or -1), and four unsigned numbers that describe it (see [`FailureCode`]). (One call for all:
/// each exported function costs the module its own glue.)
#[wasm_bindgen(js_name = lastFailure)]
pub fn last_failure() -> *const i32 {
    with_last(|l| l.as_ptr())
}

/// The kind of failure of the last call, [`FailureCode::None`] after a success (tests).
#[cfg(test)]
pub fn last_failure_code() -> FailureCode {
    use FailureCode::*;
    let code = with_last(|l| l[0]);
    [
        None,
        InvalidPath,
        InvalidPrefix,
        NonFiniteValue,
        NonFiniteTimestamp,
        TimestampOutOfRange,
        DatapointTooLarge,
        InvalidOptions,
        BadInput,
        Other,
        InvalidDestination,
        ProtocolNotBuilt,
    ]
    .into_iter()
    .find(|&c| c as i32 == code)
    .unwrap_or(Other)
}

/// Index of the datapoint or path the last call refused, or -1 (tests).
#[cfg(test)]
pub fn last_failure_index() -> f64 {
    f64::from(with_last(|l| l[1]))
}

/// Number `k` (0..4) of those that describe the last failure; 0 after a success (tests).
#[cfg(test)]
pub fn last_failure_detail(k: usize) -> f64 {
    f64::from(with_last(|l| l[2 + k] as u32))
}
