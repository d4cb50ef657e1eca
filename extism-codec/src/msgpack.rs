//! MessagePack through `rmp-serde` (feature `msgpack`).

use std::any::type_name;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::{Error, Format, InputSummary};

serde_wrapper! {
    /// Encodes and decodes `T` as MessagePack with `rmp-serde`.
    ///
    /// Structs are written as maps keyed by field name (`rmp_serde::to_vec_named`), which
    /// MessagePack readers in any language understand and which survives reordered fields;
    /// decoding accepts both maps and the compact array form that `rmp_serde::to_vec` (and
    /// so extism-pdk's `Msgpack`) writes. Like [`Json`](crate::Json), decoding may borrow
    /// from the input.
    ///
    /// ```
    /// use extism_codec::{Decode, Encode, Msgpack};
    ///
    /// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    /// struct Point { x: i8, y: i8 }
    ///
    /// let bytes = Msgpack(Point { x: 1, y: 2 }).encode_to_vec()?;
    /// assert_eq!(&*bytes, &[0x82, 0xa1, b'x', 1, 0xa1, b'y', 2]);
    /// assert_eq!(Msgpack::<Point>::decode(&bytes)?.0, Point { x: 1, y: 2 });
    /// // The compact form is read too.
    /// assert_eq!(Msgpack::<Point>::decode(&[0x92, 1, 2])?.0, Point { x: 1, y: 2 });
    /// # Ok::<(), extism_codec::Error>(())
    /// ```
    Msgpack
}

/// `value` as MessagePack; errors name `T`.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Cow<'static, [u8]>, Error> {
    rmp_serde::to_vec_named(value)
        .map(Cow::Owned)
        .map_err(|cause| Error::Serialize {
            type_name: type_name::<T>(),
            format: Format::Msgpack,
            cause: cause.into(),
        })
}

/// A `T` read from the MessagePack in `bytes`; errors name `T`.
///
/// The whole input must be one value: trailing bytes are an error.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Error> {
    let error = |cause: crate::BoxError| Error::Deserialize {
        type_name: type_name::<T>(),
        format: Format::Msgpack,
        found: InputSummary::of(bytes),
        cause,
    };
    let value = rmp_serde::from_slice(bytes).map_err(|cause| error(cause.into()))?;
    // rmp-serde stops after the first value and cannot say where from a borrowing
    // deserializer, so skip over the value once more to find where it ends.
    let mut skip = rmp_serde::Deserializer::new(std::io::Cursor::new(bytes));
    if serde::de::IgnoredAny::deserialize(&mut skip).is_ok() {
        let rest = bytes.len() as u64 - skip.position();
        if rest != 0 {
            let unit = if rest == 1 { "byte" } else { "bytes" };
            return Err(error(
                format!("{rest} trailing {unit} after the value").into(),
            ));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decode, Encode};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Person<'a> {
        name: &'a str,
        age: u8,
    }

    #[test]
    fn decode_borrows() {
        let bytes = Msgpack(Person {
            name: "Ada",
            age: 36,
        })
        .encode()
        .unwrap()
        .into_owned();
        let Msgpack(person) = Msgpack::<Person<'_>>::decode(&bytes).unwrap();
        assert_eq!(person.age, 36);
        let start = bytes.as_ptr() as usize;
        let name = person.name.as_ptr() as usize;
        assert!(name > start && name < start + bytes.len());
    }

    #[test]
    fn decode_error_names_type_cause_and_input() {
        let err = Msgpack::<Person<'_>>::decode(&[0x81, 0xa1, b'x', 1]).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with(
                "cannot decode `extism_codec::msgpack::tests::Person<'_>` from MessagePack: missing field `name`"
            ),
            "{msg}"
        );
        assert!(msg.ends_with("; found 4 bytes: [81 a1 78 01]"), "{msg}");
        match &err {
            Error::Deserialize { cause, format, .. } => {
                assert_eq!(*format, Format::Msgpack);
                assert!(cause.downcast_ref::<rmp_serde::decode::Error>().is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let err = Msgpack::<u8>::decode(&[1, 2]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot decode `u8` from MessagePack: 1 trailing byte after the value; \
             found 2 bytes: [01 02]"
        );
    }

    #[test]
    fn empty_input_is_an_error() {
        let err = Msgpack::<u8>::decode(&[]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot decode `u8` from MessagePack: "),
            "{err}"
        );
    }
}
