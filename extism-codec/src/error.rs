//! The one error type of the crate, and the small types that give its messages context.

use std::fmt;

/// A boxed error from an underlying library (serde_json, rmp-serde, a user codec).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a value could not be encoded into, or decoded from, bytes.
///
/// Every variant names the Rust type that was being encoded or decoded
/// ([`std::any::type_name`]) and, when decoding, summarises the input that came
/// ([`InputSummary`]: its length and first bytes), so that a message such as
///
/// ```text
/// expected exactly 8 bytes for `i64`, found 3 bytes: [01 02 03]
/// ```
///
/// is enough to find which side of the plug-in boundary is wrong.
///
/// The messages of [`Error::Serialize`], [`Error::Deserialize`], [`Error::Utf8`] and
/// [`Error::Custom`] already include the message of the underlying error, so that
/// error is kept in a field (`cause`) rather than returned again by
/// [`std::error::Error::source`]; match on the variant to inspect or downcast it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input does not have a length the type can be decoded from.
    #[error("expected {expected} for `{type_name}`, found {found}")]
    Length {
        /// The type being decoded.
        type_name: &'static str,
        /// The lengths the type accepts.
        expected: ExpectedLength,
        /// What came.
        found: InputSummary,
    },

    /// The input has the right length but holds a value the type cannot represent
    /// (a `bool` other than 0 or 1, for example).
    #[error("invalid `{type_name}`: expected {expected}, found {found}")]
    InvalidValue {
        /// The type being decoded.
        type_name: &'static str,
        /// The values the type accepts, in words.
        expected: &'static str,
        /// What came.
        found: InputSummary,
    },

    /// The input of a text type is not valid UTF-8.
    #[error("expected UTF-8 text for `{type_name}`, found {found}: {cause}")]
    Utf8 {
        /// The type being decoded.
        type_name: &'static str,
        /// What came.
        found: InputSummary,
        /// Where the input stops being UTF-8.
        cause: std::str::Utf8Error,
    },

    /// A borrowed slice of [`bytemuck::Pod`] values was asked for, but the input does not
    /// start at an address aligned for the element type, so it cannot be borrowed in place.
    #[error(
        "cannot borrow `{type_name}` in place: the input starts at address {address:#x}, \
         which is not {align}-byte aligned; decode into `PodVec` or `PodCow` to copy it instead"
    )]
    Misaligned {
        /// The slice type being decoded.
        type_name: &'static str,
        /// The alignment the element type needs.
        align: usize,
        /// The address the input starts at.
        address: usize,
    },

    /// A serde serializer failed.
    #[error("cannot encode `{type_name}` as {format}: {cause}")]
    Serialize {
        /// The type being encoded.
        type_name: &'static str,
        /// The format it was being encoded to.
        format: Format,
        /// The serializer's error (`serde_json::Error`, `rmp_serde::encode::Error`).
        cause: BoxError,
    },

    /// A serde deserializer rejected the input.
    #[error("cannot decode `{type_name}` from {format}: {cause}; found {found}")]
    Deserialize {
        /// The type being decoded.
        type_name: &'static str,
        /// The format the input was expected to be in.
        format: Format,
        /// What came.
        found: InputSummary,
        /// The deserializer's error (`serde_json::Error`, `rmp_serde::decode::Error`).
        cause: BoxError,
    },

    /// An error raised by a hand-written [`Encode`](crate::Encode) or
    /// [`Decode`](crate::Decode) implementation, see [`Error::custom`].
    #[error("`{type_name}`: {cause}")]
    Custom {
        /// The type being encoded or decoded.
        type_name: &'static str,
        /// What went wrong.
        cause: BoxError,
    },
}

impl Error {
    /// An error for a hand-written codec of `T`: `cause` may be a message (`&str`,
    /// `String`) or any error type.
    ///
    /// ```
    /// use extism_codec::Error;
    ///
    /// struct Even(u32);
    /// let err = Error::custom::<Even>("the value must be even");
    /// assert!(err.to_string().ends_with("Even`: the value must be even"));
    /// ```
    pub fn custom<T: ?Sized>(cause: impl Into<BoxError>) -> Self {
        Error::Custom {
            type_name: std::any::type_name::<T>(),
            cause: cause.into(),
        }
    }

    /// The Rust type that was being encoded or decoded.
    pub fn type_name(&self) -> &'static str {
        match self {
            Error::Length { type_name, .. }
            | Error::InvalidValue { type_name, .. }
            | Error::Utf8 { type_name, .. }
            | Error::Misaligned { type_name, .. }
            | Error::Serialize { type_name, .. }
            | Error::Deserialize { type_name, .. }
            | Error::Custom { type_name, .. } => type_name,
        }
    }

    /// A [`Error::Length`] error for decoding `T` from `input`.
    pub(crate) fn length<T: ?Sized>(expected: ExpectedLength, input: &[u8]) -> Self {
        Error::Length {
            type_name: std::any::type_name::<T>(),
            expected,
            found: InputSummary::of(input),
        }
    }
}

/// The input lengths a type can be decoded from, as reported by [`Error::Length`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExpectedLength {
    /// Exactly this many bytes (0: only the empty input).
    Exactly(usize),
    /// Any multiple of this many bytes (including 0).
    MultipleOf(usize),
}

impl fmt::Display for ExpectedLength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExpectedLength::Exactly(0) => f.write_str("empty input"),
            ExpectedLength::Exactly(1) => f.write_str("exactly 1 byte"),
            ExpectedLength::Exactly(n) => write!(f, "exactly {n} bytes"),
            ExpectedLength::MultipleOf(n) => write!(f, "a multiple of {n} bytes"),
        }
    }
}

/// The encoding a serde-based codec was using, as reported by [`Error::Serialize`] and
/// [`Error::Deserialize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// JSON, see [`Json`](crate::Json).
    Json,
    /// MessagePack, see `Msgpack` (feature `msgpack`).
    Msgpack,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Json => "JSON",
            Format::Msgpack => "MessagePack",
        })
    }
}

/// What a decoder was given: the length of the input and its first
/// [`InputSummary::HEAD_LEN`] bytes.
///
/// Its `Display` shows the head as text when it is printable ASCII and as hex bytes
/// otherwise:
///
/// ```
/// use extism_codec::InputSummary;
///
/// assert_eq!(InputSummary::of(b"").to_string(), "0 bytes");
/// assert_eq!(InputSummary::of(&[1, 2, 3]).to_string(), "3 bytes: [01 02 03]");
/// assert_eq!(InputSummary::of(b"{\"a\":1}").to_string(), "7 bytes: `{\"a\":1}`");
/// assert_eq!(
///     InputSummary::of(b"0123456789abcdefXYZ").to_string(),
///     "19 bytes starting with `0123456789abcdef`",
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct InputSummary {
    len: usize,
    head: [u8; Self::HEAD_LEN],
}

impl InputSummary {
    /// How many bytes of the input are kept.
    pub const HEAD_LEN: usize = 16;

    /// Summarise `input`.
    pub fn of(input: &[u8]) -> Self {
        let mut head = [0; Self::HEAD_LEN];
        let n = input.len().min(Self::HEAD_LEN);
        head[..n].copy_from_slice(&input[..n]);
        InputSummary {
            len: input.len(),
            head,
        }
    }

    /// The length of the input.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the input was empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first bytes of the input (all of it when it is at most
    /// [`InputSummary::HEAD_LEN`] bytes long).
    pub fn head(&self) -> &[u8] {
        &self.head[..self.len.min(Self::HEAD_LEN)]
    }
}

impl fmt::Display for InputSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.head();
        let unit = if self.len == 1 { "byte" } else { "bytes" };
        write!(f, "{} {unit}", self.len)?;
        if head.is_empty() {
            return Ok(());
        }
        let truncated = head.len() < self.len;
        f.write_str(if truncated { " starting with " } else { ": " })?;
        let printable = head.iter().all(|&b| (0x20..0x7f).contains(&b) && b != b'`');
        if printable {
            // Checked just above: every byte is printable ASCII.
            let text: String = head.iter().map(|&b| char::from(b)).collect();
            write!(f, "`{text}`")
        } else {
            f.write_str("[")?;
            for (i, b) in head.iter().enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{b:02x}")?;
            }
            f.write_str(if truncated { " ...]" } else { "]" })
        }
    }
}

impl fmt::Debug for InputSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InputSummary({self})")
    }
}
