//! How values cross the Extism plug-in boundary.
//!
//! Everything an Extism plug-in exchanges with its host (call inputs and outputs,
//! host-function arguments, vars, config) is a *memory block*: a byte string. This crate
//! says how a Rust value becomes such a byte string ([`Encode`]) and how it is read back
//! ([`Decode`]), with the same conventions as the Extism PDKs:
//!
//! | Rust type | bytes |
//! | --- | --- |
//! | `Vec<u8>`, `&[u8]`, `[u8; N]`, `Box<[u8]>`, `Cow<[u8]>` | the bytes themselves |
//! | `String`, `&str`, `Box<str>`, `Cow<str>` | UTF-8 text, no terminator |
//! | `i8`..`i128`, `u8`..`u128`, `f32`, `f64` | little-endian, exactly `size_of` bytes |
//! | `bool` | one byte, 0 or 1 |
//! | `()` | no bytes |
//! | `Option<T>` | no bytes for `None`, otherwise `T`'s encoding |
//! | [`Json<T>`] | `serde_json` |
//! | `Msgpack<T>` (feature `msgpack`) | `rmp-serde`, structs as maps |
//! | [`Pod<T>`], [`PodVec<T>`], [`PodSlice<T>`], [`PodCow<T>`] | the in-memory bytes of [`bytemuck::Pod`] values |
//!
//! Decoding is strict: a number must have exactly its size, `()` needs the empty input,
//! text must be UTF-8, and every failure is an [`Error`] naming the expected type and
//! summarising what came. `usize` and `isize` are deliberately not implemented: their
//! size differs between a 32-bit guest and a 64-bit host.
//!
//! ```
//! use extism_codec::{Decode, Encode, Json};
//!
//! // A var stored by a plug-in with `var::set("total", 3i64)` is 8 little-endian bytes.
//! let bytes = 3i64.encode()?;
//! assert_eq!(&*bytes, &[3, 0, 0, 0, 0, 0, 0, 0]);
//! assert_eq!(i64::decode(&bytes)?, 3);
//!
//! // Text borrows from the input.
//! let name: &str = Decode::decode(b"world")?;
//! assert_eq!(name, "world");
//!
//! // Structured values go through serde.
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Point { x: i32, y: i32 }
//! let bytes = Json(Point { x: 1, y: 2 }).encode_to_vec()?;
//! assert_eq!(&*bytes, br#"{"x":1,"y":2}"#);
//! let Json(point) = Json::<Point>::decode(&bytes)?;
//! assert_eq!(point, Point { x: 1, y: 2 });
//! # Ok::<(), extism_codec::Error>(())
//! ```
//!
//! With the `derive` feature (on by default), `#[derive(Codec)]` implements both traits for
//! a type through one of the encodings `json`, `msgpack` or `pod`:
//!
//! ```
//! # #[cfg(feature = "derive")] {
//! use extism_codec::{Codec, Decode, Encode};
//!
//! #[derive(Codec, serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! #[codec(json)]
//! struct Greeting {
//!     name: String,
//! }
//!
//! let bytes = Greeting { name: "Ada".into() }.encode_to_vec()?;
//! assert_eq!(&*bytes, br#"{"name":"Ada"}"#);
//! assert_eq!(Greeting::decode(&bytes)?, Greeting { name: "Ada".into() });
//! # }
//! # Ok::<(), extism_codec::Error>(())
//! ```
#![warn(missing_docs)]

// Lets `#[derive(Codec)]` name this crate `::extism_codec` inside its own tests and
// doctests, exactly as it does in dependent crates.
extern crate self as extism_codec;

#[macro_use]
mod serde_wrapper;

mod bytes;
mod error;
mod json;
#[cfg(feature = "msgpack")]
mod msgpack;
mod number;
mod option;
mod pod;

#[doc(hidden)]
pub mod __private;

pub use error::{BoxError, Error, ExpectedLength, Format, InputSummary};
pub use json::Json;
#[cfg(feature = "msgpack")]
pub use msgpack::Msgpack;
pub use pod::{Pod, PodCow, PodSlice, PodVec};

/// The `bytemuck` crate, whose [`Pod`](bytemuck::Pod) trait the POD codecs require.
pub use bytemuck;
/// The `serde` crate, whose traits the JSON and MessagePack codecs require.
pub use serde;

/// Derives [`Encode`] and [`Decode`] through one encoding, chosen with a `#[codec(...)]`
/// attribute:
///
/// - `#[codec(json)]`: as [`Json<Self>`]; the type must implement `serde::Serialize` and
///   `serde::Deserialize`.
/// - `#[codec(msgpack)]`: as `Msgpack<Self>` (feature `msgpack`); same requirements.
/// - `#[codec(pod)]`: as [`Pod<Self>`]; the type must implement [`bytemuck::Pod`].
///
/// Generic types are supported: the impls require `Self` to implement the traits above.
///
/// ```
/// use extism_codec::{Codec, Decode, Encode};
///
/// #[derive(Codec, Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
/// #[codec(pod)]
/// #[repr(C)]
/// struct Rgba {
///     r: u8,
///     g: u8,
///     b: u8,
///     a: u8,
/// }
///
/// let red = Rgba { r: 255, g: 0, b: 0, a: 255 };
/// assert_eq!(&*red.encode()?, &[255, 0, 0, 255]);
/// assert_eq!(Rgba::decode(&[255, 0, 0, 255])?, red);
/// # Ok::<(), extism_codec::Error>(())
/// ```
#[cfg(feature = "derive")]
pub use extism_macros::Codec;

use std::borrow::Cow;

/// A value that can be written into an Extism memory block.
///
/// # Contract
///
/// - `encode` returns the exact bytes of the block, with no framing: the block's length
///   is the value's length.
/// - It borrows from `self` when the value already is a byte string (`&[u8]`, `String`,
///   [`Pod`] values, ...) and allocates only when it must (numbers, serde formats). The
///   result therefore cannot outlive `self`: use
///   [`encode_to_vec`](Encode::encode_to_vec) to encode a temporary.
/// - The bytes must be accepted by the matching [`Decode`] implementation, which gives
///   back an equal value (the property tests of this crate check this for every codec).
/// - It fails only when the value cannot be represented (a serde serializer's error, for
///   example), never because of the host's state.
///
/// # Example
///
/// ```
/// use std::borrow::Cow;
/// use extism_codec::{Encode, Error};
///
/// assert!(matches!("hello".encode()?, Cow::Borrowed(b"hello")));
/// assert_eq!(&*258u16.encode()?, &[2, 1]);
/// assert_eq!(&*true.encode()?, &[1]);
/// assert_eq!(&*().encode()?, b"");
///
/// // A hand-written codec: a version number as text.
/// struct Version(u32, u32);
/// impl Encode for Version {
///     fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
///         Ok(Cow::Owned(format!("{}.{}", self.0, self.1).into_bytes()))
///     }
/// }
/// assert_eq!(&*Version(1, 2).encode()?, b"1.2");
/// # Ok::<(), Error>(())
/// ```
pub trait Encode {
    /// The bytes that represent `self`.
    ///
    /// # Errors
    ///
    /// When the value cannot be represented in this encoding, for example
    /// [`Error::Serialize`] when a serde serializer fails.
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error>;

    /// The bytes that represent `self`, in a vector of their own.
    ///
    /// The bytes returned by [`encode`](Encode::encode) may borrow from `self`, which
    /// keeps a temporary such as `Json(value)` alive no longer than the statement; this
    /// gives owned bytes instead (copying them only if they were borrowed).
    ///
    /// ```
    /// use extism_codec::{Encode, Json};
    ///
    /// let bytes: Vec<u8> = Json([1, 2]).encode_to_vec()?;
    /// assert_eq!(bytes, b"[1,2]");
    /// # Ok::<(), extism_codec::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`encode`](Encode::encode).
    fn encode_to_vec(&self) -> Result<Vec<u8>, Error> {
        self.encode().map(Cow::into_owned)
    }
}

/// A value that can be read from an Extism memory block.
///
/// The lifetime `'a` is the one of the input: types such as `&'a str`, `&'a [u8]`,
/// [`PodSlice<'a, T>`](PodSlice) or `Json<Borrowed<'a>>` borrow from it instead of
/// copying. Use [`DecodeOwned`] as the bound when the value must outlive the input.
///
/// # Contract
///
/// - `decode` consumes the whole input: trailing bytes are an error, not ignored.
/// - It never panics on any input, and reports every rejection as an [`Error`] naming
///   the type and summarising the input.
/// - It accepts whatever the matching [`Encode`] implementation produces.
///
/// # Example
///
/// ```
/// use extism_codec::{Decode, Error};
///
/// assert_eq!(u32::decode(&[1, 0, 0, 0])?, 1);
/// let text: &str = Decode::decode(b"hi")?;
/// assert_eq!(text, "hi");
///
/// let err = u32::decode(&[1, 0]).unwrap_err();
/// assert_eq!(err.to_string(), "expected exactly 4 bytes for `u32`, found 2 bytes: [01 00]");
///
/// // A hand-written codec: a version number as text.
/// #[derive(Debug, PartialEq)]
/// struct Version(u32, u32);
/// impl Decode<'_> for Version {
///     fn decode(bytes: &[u8]) -> Result<Self, Error> {
///         let text: &str = Decode::decode(bytes)?;
///         let (major, minor) = text
///             .split_once('.')
///             .ok_or_else(|| Error::custom::<Version>("expected `major.minor`"))?;
///         let parse = |s: &str| s.parse().map_err(Error::custom::<Version>);
///         Ok(Version(parse(major)?, parse(minor)?))
///     }
/// }
/// assert_eq!(Version::decode(b"1.2")?, Version(1, 2));
/// assert!(Version::decode(b"1").is_err());
/// # Ok::<(), Error>(())
/// ```
pub trait Decode<'a>: Sized {
    /// Read a value from `bytes`, the whole content of a memory block.
    ///
    /// # Errors
    ///
    /// When `bytes` is not a valid encoding of `Self`: wrong length ([`Error::Length`]),
    /// invalid value ([`Error::InvalidValue`]), invalid UTF-8 ([`Error::Utf8`]), rejected
    /// by a deserializer ([`Error::Deserialize`]), ...
    fn decode(bytes: &'a [u8]) -> Result<Self, Error>;
}

/// A [`Decode`] type that does not borrow from its input, for any input lifetime.
///
/// Implemented automatically; use it as a bound where the decoded value must outlive the
/// memory block it was read from.
///
/// ```
/// use extism_codec::DecodeOwned;
///
/// fn read_copy<T: DecodeOwned>(block: Vec<u8>) -> Result<T, extism_codec::Error> {
///     T::decode(&block) // `block` is dropped here; the value lives on.
/// }
/// assert_eq!(read_copy::<String>(b"abc".to_vec())?, "abc");
/// # Ok::<(), extism_codec::Error>(())
/// ```
pub trait DecodeOwned: for<'a> Decode<'a> {}

impl<T> DecodeOwned for T where T: for<'a> Decode<'a> {}

/// Encoding through references and boxes: `&T`, `&mut T` and `Box<T>` encode like `T`.
impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        (**self).encode()
    }
}

impl<T: Encode + ?Sized> Encode for &mut T {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        (**self).encode()
    }
}

impl<T: Encode + ?Sized> Encode for Box<T> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        (**self).encode()
    }
}
