//! Typed errors.
//!
//! One flat, `#[non_exhaustive]` enum for everything a push can refuse, in the style of postcard's error type,
//! plus [`PathError`] for the path rules (shared by paths and the optional prefix). Every variant says exactly
//! what was wrong and, where it helps, where: byte offsets are into the path as given (without the prefix).

use core::fmt;

/// Why a metric path (or the prefix) breaks the path rules.
///
/// Carbon turns every `.`-separated component of a path into a directory or a `.wsp` file, so anything that
/// would create a surprising file, or no file at all, is refused before it reaches the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PathError {
    /// The path is empty.
    Empty,
    /// A character that carbon would store badly: ASCII whitespace (space allowed only with
    /// [`PathRules::allow_spaces`](crate::PathRules::allow_spaces)), a control character, `/` or `\`
    /// (which create directories in carbon's storage tree).
    InvalidChar {
        /// Byte offset of the character.
        at: usize,
        /// The character.
        ch: char,
    },
    /// A non-ASCII character while [`PathRules::ascii_only`](crate::PathRules::ascii_only) is set
    /// (carbon-relay-ng's default validation rejects these).
    NonAscii {
        /// Byte offset of the character.
        at: usize,
    },
    /// An empty component: `a..b`, or a leading or trailing `.`.
    EmptyComponent {
        /// Byte offset where the empty component starts.
        at: usize,
    },
    /// A component longer than carbon can store as a file or directory name (255 bytes, 251 for the last
    /// component, which gets the `.wsp` suffix).
    ComponentTooLong {
        /// Byte offset where the component starts.
        at: usize,
        /// Its length in bytes.
        len: usize,
        /// The largest length allowed at that place.
        max: usize,
    },
    /// The whole path (with the prefix) is longer than [`MAX_PATH_LEN`](crate::MAX_PATH_LEN): carbon's file
    /// name for it would pass the operating system's 4,096-byte limit and the point would be lost.
    TooLong {
        /// Bytes of the path, prefix included.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A tagged path (`name;tag=value;...`, or `name{tag="value",...}`) that carbon 1.1.10 cannot parse, or
    /// whose tags break these rules: see [`tags`](crate::tags). Errors in the name before the tags are the
    /// other variants, at their place in the whole path.
    Tag(TagError),
}

/// Why a tag segment of a tagged path is refused (see [`tags`](crate::tags)).
///
/// `segment` counts the tag segments from 1 in the order written (the name is not one); `at` is the byte
/// offset into the path as given: of the segment for a segment's shape, of the offending character
/// otherwise. For [`TaggedName`](crate::tags::TaggedName), the path as given is `name;tag=value;...` in call
/// order.
///
/// ```
/// use carbon_pickle::{check_path, PathError, PathRules, TagError};
/// let r = PathRules::default();
/// assert_eq!(check_path("cpu;dc=", r), Err(PathError::Tag(TagError::EmptyValue { segment: 1, at: 4 })));
/// assert_eq!(
///     check_path("cpu;dc=a;k!x=v", r).unwrap_err().to_string(),
///     "tag segment 2 at byte 9: character '!' is not allowed in a tag (at byte 10)"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(all(feature = "defmt", feature = "tags"), derive(defmt::Format))]
#[non_exhaustive]
pub enum TagError {
    /// Nothing before the first `;` (or the `{` of the OpenMetrics form): carbon's "no metric found".
    NoName,
    /// The name is only `~` characters: carbon strips leading `~` from the name, leaving nothing.
    NameOnlyTildes,
    /// A segment without `=` (`;k`, or the empty segment of `;;` or a trailing `;`).
    NoEquals {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
    },
    /// A segment with nothing before its `=` (`;=v`).
    EmptyTag {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
    },
    /// A segment with nothing after its `=` (`;k=`).
    EmptyValue {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
    },
    /// A character not allowed in a tag: carbon refuses `;`, `!`, `^` and `=`; these rules also refuse
    /// whitespace (the space only without [`PathRules::allow_spaces`](crate::PathRules::allow_spaces)),
    /// control characters and `\`.
    InvalidTagChar {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
        /// Byte offset of the character.
        char_at: usize,
        /// The character.
        ch: char,
    },
    /// A character not allowed in a value: carbon refuses `;`; these rules also refuse whitespace (the space
    /// only without [`PathRules::allow_spaces`](crate::PathRules::allow_spaces)), control characters and `\`.
    InvalidValueChar {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
        /// Byte offset of the character.
        char_at: usize,
        /// The character.
        ch: char,
    },
    /// A non-ASCII character in a tag or value while [`PathRules::ascii_only`](crate::PathRules::ascii_only)
    /// is set.
    NonAscii {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
        /// Byte offset of the character.
        char_at: usize,
    },
    /// A value starting with `~` (carbon keeps `~` for its regular-expression queries, `tag=~regex`).
    ValueStartsWithTilde {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset of the segment.
        at: usize,
    },
    /// An OpenMetrics-form path (it ends with `"}` and has a `{`, so carbon reads it as
    /// `name{tag="value",...}`) that carbon's parser stops on: more than one `{`, a segment that is not
    /// `tag="value"`, or no `,` between segments.
    OpenMetrics {
        /// Which tag segment, from 1.
        segment: usize,
        /// Byte offset where parsing stopped.
        at: usize,
    },
    /// A tagged path, and this build of the crate leaves the tag rules out (crate feature `tags`): it is
    /// refused rather than sent in an order carbon would change.
    NotEnabled,
}

/// Everything the encoder can refuse.
///
/// A refused push leaves the frame exactly as it was, still valid and finishable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The datapoint's path breaks the path rules.
    InvalidPath(PathError),
    /// The configured prefix breaks the path rules.
    InvalidPrefix(PathError),
    /// The value is NaN or infinite (carbon skips NaN; go-carbon skips both).
    NonFiniteValue,
    /// The timestamp is NaN or infinite (carbon drops the whole connection).
    NonFiniteTimestamp,
    /// The timestamp is outside `0..2^32` seconds.
    TimestampOutOfRange,
    /// The datapoint alone is larger than any frame under these limits and this buffer can hold.
    DatapointTooLarge {
        /// Bytes the datapoint needs in a frame.
        len: usize,
        /// Bytes an otherwise empty frame has room for.
        max: usize,
    },
    /// The frame already holds `max_points` datapoints.
    TooManyPoints {
        /// The limit.
        max_points: usize,
    },
    /// The datapoint would take the payload over `max_bytes`.
    FrameFull {
        /// The payload limit in bytes.
        max_bytes: usize,
    },
    /// The output buffer has no room for the datapoint.
    BufferFull {
        /// Bytes needed (datapoint plus the frame's closing bytes).
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// The output buffer cannot hold even an empty frame.
    BufferTooSmall {
        /// Bytes an empty frame needs.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// `max_bytes` is below what an empty payload needs, or `max_points` is zero, or `max_bytes` is over
    /// `u32::MAX` (the header's range).
    InvalidLimits,
    /// Protocol 0 was asked for, and this build of the crate leaves it out (crate feature `protocol-0`).
    ProtocolNotEnabled,
}

impl Error {
    /// True for the errors that only mean "this frame is full": the same datapoint fits in a new frame.
    ///
    /// ```
    /// use carbon_pickle::Error;
    /// assert!(Error::TooManyPoints { max_points: 500 }.is_frame_full());
    /// assert!(!Error::NonFiniteValue.is_frame_full());
    /// ```
    pub const fn is_frame_full(&self) -> bool {
        matches!(
            self,
            Error::TooManyPoints { .. } | Error::FrameFull { .. } | Error::BufferFull { .. }
        )
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PathError::Empty => f.write_str("path is empty"),
            PathError::InvalidChar { at, ch } => {
                write!(f, "invalid character {ch:?} at byte {at}")
            }
            PathError::NonAscii { at } => write!(f, "non-ASCII character at byte {at}"),
            PathError::EmptyComponent { at } => write!(f, "empty path component at byte {at}"),
            PathError::ComponentTooLong { at, len, max } => write!(
                f,
                "path component at byte {at} is {len} bytes long (at most {max})"
            ),
            PathError::TooLong { len, max } => {
                write!(
                    f,
                    "path is {len} bytes long with the prefix (at most {max})"
                )
            }
            PathError::Tag(e) => fmt::Display::fmt(&e, f),
        }
    }
}

impl fmt::Display for TagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TagError::NoName => f.write_str("tagged path has no name before its tags"),
            TagError::NameOnlyTildes => {
                f.write_str("tagged path's name is only '~' (carbon strips leading '~')")
            }
            TagError::NoEquals { segment, at } => {
                write!(f, "tag segment {segment} at byte {at}: no '=' (tag=value)")
            }
            TagError::EmptyTag { segment, at } => {
                write!(f, "tag segment {segment} at byte {at}: empty tag")
            }
            TagError::EmptyValue { segment, at } => {
                write!(f, "tag segment {segment} at byte {at}: empty value")
            }
            TagError::InvalidTagChar {
                segment,
                at,
                char_at,
                ch,
            } => write!(
                f,
                "tag segment {segment} at byte {at}: character {ch:?} is not allowed in a tag (at byte {char_at})"
            ),
            TagError::InvalidValueChar {
                segment,
                at,
                char_at,
                ch,
            } => write!(
                f,
                "tag segment {segment} at byte {at}: character {ch:?} is not allowed in a value (at byte {char_at})"
            ),
            TagError::NonAscii {
                segment,
                at,
                char_at,
            } => write!(
                f,
                "tag segment {segment} at byte {at}: non-ASCII character at byte {char_at}"
            ),
            TagError::ValueStartsWithTilde { segment, at } => write!(
                f,
                "tag segment {segment} at byte {at}: value starts with '~' (carbon keeps it for =~ queries)"
            ),
            TagError::OpenMetrics { segment, at } => write!(
                f,
                "OpenMetrics tag segment {segment}: carbon cannot parse it at byte {at} (name{{tag=\"value\",...}})"
            ),
            TagError::NotEnabled => {
                f.write_str("tagged path, and tags are not in this build (crate feature `tags`)")
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidPath(e) => write!(f, "invalid path: {e}"),
            Error::InvalidPrefix(e) => write!(f, "invalid prefix: {e}"),
            Error::NonFiniteValue => f.write_str("value is NaN or infinite"),
            Error::NonFiniteTimestamp => f.write_str("timestamp is NaN or infinite"),
            Error::TimestampOutOfRange => f.write_str("timestamp is outside 0..2^32"),
            Error::DatapointTooLarge { len, max } => write!(
                f,
                "datapoint needs {len} bytes but a frame has room for at most {max}"
            ),
            Error::TooManyPoints { max_points } => {
                write!(f, "frame already holds {max_points} datapoints")
            }
            Error::FrameFull { max_bytes } => {
                write!(f, "datapoint would take the payload over {max_bytes} bytes")
            }
            Error::BufferFull { needed, available } => write!(
                f,
                "buffer full: {needed} bytes needed, {available} available"
            ),
            Error::BufferTooSmall { needed, available } => write!(
                f,
                "buffer too small for a frame: {needed} bytes needed, {available} available"
            ),
            Error::InvalidLimits => f.write_str(
                "invalid limits: max_points must be at least 1 and max_bytes fit an empty payload and u32",
            ),
            Error::ProtocolNotEnabled => {
                f.write_str("protocol 0 is not in this build (crate feature `protocol-0`)")
            }
        }
    }
}

impl core::error::Error for PathError {}
impl core::error::Error for TagError {}

/// Without the feature `tags` the core only ever makes [`TagError::NotEnabled`]: the other variants are
/// named without their fields, which keeps their formatting out of a firmware image that sends no tags.
#[cfg(all(feature = "defmt", not(feature = "tags")))]
impl defmt::Format for TagError {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            TagError::NotEnabled => defmt::write!(f, "NotEnabled"),
            _ => defmt::write!(f, "TagError (tags are not enabled in this build)"),
        }
    }
}
impl core::error::Error for Error {}

/// A run of datapoints ([`FrameEncoder::extend_checked`](crate::FrameEncoder::extend_checked)) stopped by
/// a refusal: the datapoints before it are in the frame, the refused one and those after it are not.
///
/// ```
/// use carbon_pickle::{Error, Refused};
/// let r = Refused { pushed: 3, error: Error::NonFiniteValue };
/// assert_eq!(r.to_string(), "datapoint 3 of the run refused (3 before it pushed): value is NaN or infinite");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Refused {
    /// Datapoints pushed before the refused one (its index in the run).
    pub pushed: usize,
    /// Why it was refused, as [`push_checked`](crate::FrameEncoder::push_checked) says it.
    pub error: Error,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "datapoint {n} of the run refused ({n} before it pushed): {e}",
            n = self.pushed,
            e = self.error
        )
    }
}

impl core::error::Error for Refused {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<TagError> for PathError {
    fn from(e: TagError) -> Self {
        PathError::Tag(e)
    }
}

impl From<PathError> for Error {
    fn from(e: PathError) -> Self {
        Error::InvalidPath(e)
    }
}
