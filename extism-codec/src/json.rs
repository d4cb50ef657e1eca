//! JSON through `serde_json`.

use std::any::type_name;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::{Error, Format, InputSummary};

serde_wrapper! {
    /// Encodes and decodes `T` as JSON with `serde_json` (compact, UTF-8).
    ///
    /// Decoding may borrow from the input: `Json<T>` implements `Decode<'a>` for every
    /// `T: Deserialize<'a>`, so a `#[serde(borrow)]` field or a `&'a str` is read in place.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use extism_codec::{Decode, Encode, Json};
    ///
    /// let bytes = Json(BTreeMap::from([("a", 1)])).encode_to_vec()?;
    /// assert_eq!(&*bytes, br#"{"a":1}"#);
    ///
    /// // Borrowed deserialization: the keys point into `bytes`.
    /// let Json(map) = Json::<BTreeMap<&str, i32>>::decode(&bytes)?;
    /// assert_eq!(map["a"], 1);
    ///
    /// let err = Json::<BTreeMap<&str, i32>>::decode(b"[1]").unwrap_err();
    /// assert!(err.to_string().starts_with("cannot decode `alloc::collections::btree::map::BTreeMap<&str, i32>` from JSON: invalid type: sequence"));
    /// # Ok::<(), extism_codec::Error>(())
    /// ```
    Json
}

/// `value` as JSON; errors name `T`.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Cow<'static, [u8]>, Error> {
    serde_json::to_vec(value)
        .map(Cow::Owned)
        .map_err(|cause| Error::Serialize {
            type_name: type_name::<T>(),
            format: Format::Json,
            cause: cause.into(),
        })
}

/// A `T` read from the JSON in `bytes`; errors name `T`.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|cause| Error::Deserialize {
        type_name: type_name::<T>(),
        format: Format::Json,
        found: InputSummary::of(bytes),
        cause: cause.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decode, Encode};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Person<'a> {
        name: &'a str,
        age: u8,
    }

    #[test]
    fn encode_compact() {
        let bytes = Json(Person {
            name: "Ada",
            age: 36,
        })
        .encode()
        .unwrap();
        assert_eq!(&*bytes, br#"{"name":"Ada","age":36}"#);
    }

    #[test]
    fn decode_borrows() {
        let input = br#"{"name":"Ada","age":36}"#.to_vec();
        let Json(person) = Json::<Person<'_>>::decode(&input).unwrap();
        assert_eq!(person.age, 36);
        let start = input.as_ptr() as usize;
        let name = person.name.as_ptr() as usize;
        assert!(name > start && name < start + input.len());
    }

    #[test]
    fn decode_error_names_type_cause_and_input() {
        let err = Json::<Person<'_>>::decode(br#"{"name":"Ada"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot decode `extism_codec::json::tests::Person<'_>` from JSON: \
             missing field `age` at line 1 column 14; found 14 bytes: `{\"name\":\"Ada\"}`"
        );
        match &err {
            Error::Deserialize { cause, format, .. } => {
                assert_eq!(*format, Format::Json);
                assert!(cause.downcast_ref::<serde_json::Error>().is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
        let err = Json::<u32>::decode(&[0xff, 0xfe]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot decode `u32` from JSON: expected value"),
            "{err}"
        );
        assert!(err.to_string().ends_with("found 2 bytes: [ff fe]"), "{err}");
    }

    #[test]
    fn encode_error_names_type() {
        // JSON object keys must be strings.
        let map = BTreeMap::from([((1, 2), 3)]);
        let err = Json(map).encode().unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot encode `alloc::collections::btree::map::BTreeMap<(i32, i32), i32>` as JSON: \
             key must be a string"
        );
    }
}
