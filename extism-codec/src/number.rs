//! Numbers, `bool` and `()`: fixed-size little-endian bytes, as in the Extism PDKs.

use std::borrow::Cow;

use crate::{Decode, Encode, Error, ExpectedLength, InputSummary};

macro_rules! little_endian {
    ($($ty:ty),* $(,)?) => {$(
        /// Little-endian, exactly `size_of::<Self>()` bytes.
        impl Encode for $ty {
            fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
                Ok(Cow::Owned(self.to_le_bytes().to_vec()))
            }
        }

        /// Little-endian, exactly `size_of::<Self>()` bytes.
        impl Decode<'_> for $ty {
            fn decode(bytes: &[u8]) -> Result<Self, Error> {
                match bytes.try_into() {
                    Ok(array) => Ok(<$ty>::from_le_bytes(array)),
                    Err(_) => Err(Error::length::<$ty>(
                        ExpectedLength::Exactly(std::mem::size_of::<$ty>()),
                        bytes,
                    )),
                }
            }
        }
    )*};
}

little_endian!(i8, i16, i32, i64, i128, u8, u16, u32, u64, u128, f32, f64);

/// One byte: 0 for `false`, 1 for `true`.
impl Encode for bool {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(if *self { &[1] } else { &[0] }))
    }
}

/// One byte: 0 for `false`, 1 for `true`; any other byte is an [`Error::InvalidValue`].
impl Decode<'_> for bool {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        match bytes {
            [0] => Ok(false),
            [1] => Ok(true),
            [_] => Err(Error::InvalidValue {
                type_name: "bool",
                expected: "byte 0 (false) or 1 (true)",
                found: InputSummary::of(bytes),
            }),
            _ => Err(Error::length::<bool>(ExpectedLength::Exactly(1), bytes)),
        }
    }
}

/// No bytes.
impl Encode for () {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(&[]))
    }
}

/// Only the empty input: anything else is an [`Error::Length`], so that a plug-in
/// returning data where none was expected is noticed.
impl Decode<'_> for () {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::length::<()>(ExpectedLength::Exactly(0), bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_bytes() {
        assert_eq!(&*3i64.encode().unwrap(), &[3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&*(-2i16).encode().unwrap(), &[0xfe, 0xff]);
        assert_eq!(&*0x0102_0304u32.encode().unwrap(), &[4, 3, 2, 1]);
        assert_eq!(&*1.0f32.encode().unwrap(), &1.0f32.to_le_bytes());
        assert_eq!(&*7u8.encode().unwrap(), &[7]);
        assert_eq!(u16::decode(&[0x34, 0x12]).unwrap(), 0x1234);
        assert_eq!(f64::decode(&2.5f64.to_le_bytes()).unwrap(), 2.5);
        assert_eq!(i128::decode(&(-1i128).to_le_bytes()).unwrap(), -1);
    }

    #[test]
    fn number_length_errors() {
        let err = i64::decode(&[1, 2, 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected exactly 8 bytes for `i64`, found 3 bytes: [01 02 03]"
        );
        let err = u8::decode(&[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected exactly 1 byte for `u8`, found 0 bytes"
        );
        let err = f32::decode(&[0; 20]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected exactly 4 bytes for `f32`, found 20 bytes starting with \
             [00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ...]"
        );
        match err {
            Error::Length {
                type_name,
                expected,
                found,
            } => {
                assert_eq!(type_name, "f32");
                assert_eq!(expected, ExpectedLength::Exactly(4));
                assert_eq!(found.len(), 20);
                assert_eq!(found.head(), &[0; 16]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bool_codec() {
        assert_eq!(&*true.encode().unwrap(), &[1]);
        assert_eq!(&*false.encode().unwrap(), &[0]);
        assert!(bool::decode(&[1]).unwrap());
        assert!(!bool::decode(&[0]).unwrap());
        assert_eq!(
            bool::decode(&[2]).unwrap_err().to_string(),
            "invalid `bool`: expected byte 0 (false) or 1 (true), found 1 byte: [02]"
        );
        assert_eq!(
            bool::decode(b"true").unwrap_err().to_string(),
            "expected exactly 1 byte for `bool`, found 4 bytes: `true`"
        );
    }

    #[test]
    fn unit_codec() {
        assert!(().encode().unwrap().is_empty());
        <()>::decode(&[]).unwrap();
        assert_eq!(
            <()>::decode(b"{}").unwrap_err().to_string(),
            "expected empty input for `()`, found 2 bytes: `{}`"
        );
    }
}
