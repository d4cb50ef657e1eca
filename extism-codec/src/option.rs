//! `Option<T>`: the empty block means `None`.

use std::borrow::Cow;

use crate::{Decode, Encode, Error};

/// `None` is the empty block, `Some(v)` is `v`'s encoding.
///
/// This is the Extism convention: a memory block at offset 0 is empty and stands for an
/// absent value (a missing var or config key, a call without output). The mapping is
/// only reversible when `T` never encodes to the empty block: `Some(String::new())`,
/// `Some(Vec::new())` or `Some(())` encode to empty bytes and therefore decode as `None`.
///
/// ```
/// use extism_codec::{Decode, Encode};
///
/// assert!(None::<u32>.encode()?.is_empty());
/// assert_eq!(Option::<u32>::decode(&[])?, None);
/// assert_eq!(Option::<u32>::decode(&[5, 0, 0, 0])?, Some(5));
/// // The empty string cannot be told apart from `None`.
/// assert_eq!(Option::<String>::decode(&*Some(String::new()).encode()?)?, None);
/// # Ok::<(), extism_codec::Error>(())
/// ```
impl<T: Encode> Encode for Option<T> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        match self {
            Some(value) => value.encode(),
            None => Ok(Cow::Borrowed(&[])),
        }
    }
}

/// The empty block decodes as `None`, anything else as `Some` of `T`'s decoding.
impl<'a, T: Decode<'a>> Decode<'a> for Option<T> {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        if bytes.is_empty() {
            Ok(None)
        } else {
            T::decode(bytes).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_is_empty() {
        assert!(None::<i64>.encode().unwrap().is_empty());
        assert_eq!(Option::<i64>::decode(&[]).unwrap(), None);
        assert_eq!(Option::<&str>::decode(b"").unwrap(), None);
    }

    #[test]
    fn some_is_inner_encoding() {
        assert_eq!(&*Some(1u16).encode().unwrap(), &[1, 0]);
        assert_eq!(Option::<&str>::decode(b"hi").unwrap(), Some("hi"));
    }

    #[test]
    fn inner_errors_pass_through() {
        let err = Option::<u32>::decode(&[1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected exactly 4 bytes for `u32`, found 1 byte: [01]"
        );
    }
}
