//! Byte strings and text: encoded as themselves.

use std::any::type_name;
use std::borrow::Cow;

use crate::{Decode, Encode, Error, ExpectedLength, InputSummary};

impl Encode for [u8] {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self))
    }
}

impl<const N: usize> Encode for [u8; N] {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self))
    }
}

impl Encode for Vec<u8> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self))
    }
}

impl Encode for Cow<'_, [u8]> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self))
    }
}

impl Encode for str {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self.as_bytes()))
    }
}

impl Encode for String {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self.as_bytes()))
    }
}

impl Encode for Cow<'_, str> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(self.as_bytes()))
    }
}

impl<'a> Decode<'a> for &'a [u8] {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        Ok(bytes)
    }
}

impl<const N: usize> Decode<'_> for [u8; N] {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        bytes
            .try_into()
            .map_err(|_| Error::length::<Self>(ExpectedLength::Exactly(N), bytes))
    }
}

impl Decode<'_> for Vec<u8> {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Ok(bytes.to_vec())
    }
}

impl Decode<'_> for Box<[u8]> {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        Ok(bytes.into())
    }
}

/// Always borrowed.
impl<'a> Decode<'a> for Cow<'a, [u8]> {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        Ok(Cow::Borrowed(bytes))
    }
}

/// `bytes` as UTF-8, or an [`Error::Utf8`] naming `T`.
fn utf8<T: ?Sized>(bytes: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(bytes).map_err(|cause| Error::Utf8 {
        type_name: type_name::<T>(),
        found: InputSummary::of(bytes),
        cause,
    })
}

impl<'a> Decode<'a> for &'a str {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        utf8::<Self>(bytes)
    }
}

impl Decode<'_> for String {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        utf8::<Self>(bytes).map(str::to_owned)
    }
}

impl Decode<'_> for Box<str> {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        utf8::<Self>(bytes).map(Box::from)
    }
}

/// Always borrowed.
impl<'a> Decode<'a> for Cow<'a, str> {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        utf8::<Self>(bytes).map(Cow::Borrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_encode_borrowed() {
        let v = vec![1u8, 2, 3];
        assert!(matches!(v.encode().unwrap(), Cow::Borrowed(&[1, 2, 3])));
        assert!(matches!([1u8, 2].encode().unwrap(), Cow::Borrowed(&[1, 2])));
        assert!(matches!(b"ab"[..].encode().unwrap(), Cow::Borrowed(b"ab")));
        assert!(matches!(
            String::from("hé").encode().unwrap(),
            Cow::Borrowed(b"h\xc3\xa9")
        ));
    }

    #[test]
    fn bytes_decode() {
        assert_eq!(Vec::<u8>::decode(b"xyz").unwrap(), b"xyz");
        assert_eq!(&*Box::<[u8]>::decode(b"xyz").unwrap(), b"xyz");
        let input = b"abc".to_vec();
        let borrowed: &[u8] = Decode::decode(&input).unwrap();
        assert_eq!(borrowed.as_ptr(), input.as_ptr());
        assert!(matches!(
            Cow::<[u8]>::decode(&input).unwrap(),
            Cow::Borrowed(b"abc")
        ));
        assert_eq!(<[u8; 3]>::decode(b"abc").unwrap(), *b"abc");
        assert_eq!(<[u8; 0]>::decode(b"").unwrap(), [0u8; 0]);
    }

    #[test]
    fn array_length_error() {
        let err = <[u8; 4]>::decode(b"abcdef").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected exactly 4 bytes for `[u8; 4]`, found 6 bytes: `abcdef`"
        );
        assert!(matches!(
            err,
            Error::Length {
                expected: ExpectedLength::Exactly(4),
                ..
            }
        ));
    }

    #[test]
    fn text_decode() {
        assert_eq!(String::decode("hé".as_bytes()).unwrap(), "hé");
        assert_eq!(&*Box::<str>::decode(b"x").unwrap(), "x");
        let s: &str = Decode::decode(b"").unwrap();
        assert_eq!(s, "");
        assert!(matches!(
            Cow::<str>::decode(b"ok").unwrap(),
            Cow::Borrowed("ok")
        ));
    }

    #[test]
    fn utf8_error_names_type_and_input() {
        let err = String::decode(&[b'a', b'b', 0xff, b'c']).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "expected UTF-8 text for `alloc::string::String`, found 4 bytes: [61 62 ff 63]: "
            ),
            "{msg}"
        );
        assert!(msg.contains("index 2"), "{msg}");
        assert_eq!(err.type_name(), "alloc::string::String");
        let err = <&str>::decode(&[0xc3]).unwrap_err();
        assert!(err.to_string().contains("`&str`"), "{err}");
    }
}
