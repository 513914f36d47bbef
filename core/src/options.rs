//! What a frame looks like: protocol, prefix, limits and path rules.
//!
//! The defaults match the strictest real receivers: protocol 2, payloads of at most 1,048,576 bytes (carbon's
//! `PICKLE_RECEIVER_MAX_LENGTH`; one byte more and carbon drops the connection silently) and at most 500
//! datapoints (carbon relay's `MAX_DATAPOINTS_PER_MESSAGE`).

use crate::{path, wire, Error};

/// carbon's `PICKLE_RECEIVER_MAX_LENGTH`: the largest payload (header not counted) carbon accepts.
pub const CARBON_MAX_PAYLOAD: usize = 1 << 20;
/// carbon relay's `MAX_DATAPOINTS_PER_MESSAGE`.
pub const CARBON_MAX_POINTS: usize = 500;

/// The pickle protocol of the payload.
///
/// ```
/// use carbon_pickle::{to_slice, Datapoint, Options, Protocol};
/// let dp = [Datapoint::new("a", 7, 0.5)];
/// let mut buf = [0u8; 64];
/// let v0 = to_slice(&dp, &mut buf, &Options::new().with_protocol(Protocol::V0))?;
/// assert_eq!(v0, b"\0\0\0\x16(l(S'a'\n(L7L\nF0.5\ntta.");
/// let v2 = to_slice(&dp, &mut buf, &Options::new().with_protocol(Protocol::V2))?;
/// assert_eq!(v2, b"\0\0\0\x1c\x80\x02](X\x01\0\0\0aJ\x07\0\0\0G?\xe0\0\0\0\0\0\0\x86\x86e.");
/// # Ok::<(), carbon_pickle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Protocol {
    /// Protocol 0, the text form statsd writes: `(l` then `(S'path'\n(L<ts>L\nF<value>\ntta` per datapoint,
    /// then `.`.
    V0,
    /// Protocol 2, binary, what carbon's own relay sends. The default: smaller and faster to parse.
    #[default]
    V2,
}

/// Which path characters are allowed beyond the strict default.
///
/// The default refuses ASCII whitespace, control characters, `/`, `\`, empty components and over-long
/// components, and allows non-ASCII UTF-8 (carbon and go-carbon store it).
///
/// ```
/// use carbon_pickle::{to_slice, Datapoint, Error, Options, PathError, PathRules};
/// let dp = [Datapoint::new("a b", 0, 1)];
/// let mut buf = [0u8; 64];
/// let strict = Options::new();
/// assert_eq!(
///     to_slice(&dp, &mut buf, &strict).unwrap_err(),
///     Error::InvalidPath(PathError::InvalidChar { at: 1, ch: ' ' })
/// );
/// let lax = strict.with_path_rules(PathRules::new().with_spaces(true));
/// assert_eq!(&to_slice(&dp, &mut buf, &lax)?[8..16], b"X\x03\0\0\0a b");
/// # Ok::<(), carbon_pickle::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub struct PathRules {
    /// Allow the space character (carbon keeps it in file names; many tools then trip over it).
    pub allow_spaces: bool,
    /// Refuse non-ASCII characters (carbon-relay-ng's default validation drops such paths).
    pub ascii_only: bool,
}

impl PathRules {
    /// The strict rules (the default): no spaces, any UTF-8. More rules may come, so outside this crate the
    /// rules are made with this and the `with_*` methods.
    pub const fn new() -> Self {
        PathRules {
            allow_spaces: false,
            ascii_only: false,
        }
    }

    /// The rules as one small number, so that a push compares a checked path's rules (and whether it is
    /// tagged: [`KEY_TAGGED`](Self::KEY_TAGGED)) with its frame's in one test.
    #[inline(always)]
    pub(crate) const fn key(self) -> u16 {
        self.allow_spaces as u16 | (self.ascii_only as u16) << 1
    }

    /// The rules of a [`key`](Self::key).
    #[inline(always)]
    pub(crate) const fn from_key(key: u16) -> Self {
        PathRules {
            allow_spaces: key & 1 != 0,
            ascii_only: key & 2 != 0,
        }
    }

    /// Added to [`key`](Self::key) for a tagged path.
    pub(crate) const KEY_TAGGED: u16 = 1 << 8;
    /// Added to [`key`](Self::key) for a tagged path in the OpenMetrics form.
    pub(crate) const KEY_OPEN_METRICS: u16 = 1 << 9;
    /// Allows (or not) the space character.
    pub const fn with_spaces(mut self, allow: bool) -> Self {
        self.allow_spaces = allow;
        self
    }
    /// Refuses (or not) non-ASCII characters.
    pub const fn with_ascii_only(mut self, ascii_only: bool) -> Self {
        self.ascii_only = ascii_only;
        self
    }
}

/// Frame options: protocol, optional prefix, limits and path rules.
///
/// ```
/// use carbon_pickle::{Options, Protocol};
/// let opts = Options::new().with_protocol(Protocol::V0).with_prefix("KEY").with_max_points(100);
/// assert_eq!(opts.protocol(), Protocol::V0);
/// assert_eq!(opts.prefix(), Some("KEY"));
/// assert_eq!(opts.max_bytes(), 1_048_576);
/// assert_eq!(opts.max_points(), 100);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options<'p> {
    protocol: Protocol,
    prefix: Option<&'p str>,
    max_bytes: usize,
    max_points: usize,
    rules: PathRules,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'p> Options<'p> {
    /// Protocol 2, no prefix, carbon's limits, strict path rules.
    pub const fn new() -> Self {
        Options {
            protocol: Protocol::V2,
            prefix: None,
            max_bytes: CARBON_MAX_PAYLOAD,
            max_points: CARBON_MAX_POINTS,
            rules: PathRules {
                allow_spaces: false,
                ascii_only: false,
            },
        }
    }
    /// Sets the pickle protocol.
    pub const fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }
    /// Sets a prefix written before every path, joined with a `.` (Hosted Graphite: the API key). The prefix
    /// follows the same path rules as paths, and may not hold `;` or `{` (tags go in the path); give it
    /// without the trailing dot.
    pub const fn with_prefix(mut self, prefix: &'p str) -> Self {
        self.prefix = Some(prefix);
        self
    }
    /// Sets the largest payload in bytes (the 4-byte header is not counted).
    pub const fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }
    /// Sets the largest number of datapoints in a frame.
    pub const fn with_max_points(mut self, max_points: usize) -> Self {
        self.max_points = max_points;
        self
    }
    /// Sets the path rules.
    pub const fn with_path_rules(mut self, rules: PathRules) -> Self {
        self.rules = rules;
        self
    }
    /// Checks the prefix against the path rules and that the limits are usable: `max_points` at least 1,
    /// `max_bytes` at least an empty payload and at most `u32::MAX` (the header's range).
    ///
    /// ```
    /// use carbon_pickle::{Error, Options, PathError};
    /// assert_eq!(Options::new().validate(), Ok(()));
    /// assert_eq!(Options::new().with_max_points(0).validate(), Err(Error::InvalidLimits));
    /// assert_eq!(
    ///     Options::new().with_prefix("KEY.").validate(),
    ///     Err(Error::InvalidPrefix(PathError::EmptyComponent { at: 4 }))
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), Error> {
        if let Some(p) = self.prefix {
            path::check_prefix(p, self.rules).map_err(Error::InvalidPrefix)?;
        }
        wire::Codec::of(self.protocol)?; // refuses protocol 0 in a build without it
        let empty_payload = wire::empty_frame_len(self.protocol) - wire::HEADER_LEN;
        if self.max_points == 0
            || self.max_bytes < empty_payload
            || self.max_bytes > u32::MAX as usize
        {
            return Err(Error::InvalidLimits);
        }
        Ok(())
    }

    /// The pickle protocol.
    pub const fn protocol(&self) -> Protocol {
        self.protocol
    }
    /// The prefix, if any.
    pub const fn prefix(&self) -> Option<&'p str> {
        self.prefix
    }
    /// The payload byte limit.
    pub const fn max_bytes(&self) -> usize {
        self.max_bytes
    }
    /// The datapoint limit.
    pub const fn max_points(&self) -> usize {
        self.max_points
    }
    /// The path rules.
    pub const fn path_rules(&self) -> PathRules {
        self.rules
    }
}
