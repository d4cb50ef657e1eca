//! What the types generated from an XTP schema are made of.
//!
//! `#[plugin_interface(schema = "...")]` turns the `components.schemas` of an XTP
//! schema into Rust types that derive serde's traits through this module (the user's
//! crate needs no `serde` dependency of its own), with the JSON conventions of the
//! plug-in side's generator:
//!
//! * a `date-time` string is a [`DateTime`] (RFC 3339 text, as [`chrono`] writes it:
//!   `2024-02-29T12:34:56.789Z`);
//! * a `buffer`, and a string of format `byte`, is a `Vec<u8>` in Rust and standard,
//!   padded base64 text in JSON ([`base64`] as a field, [`Base64`] inside an array or a
//!   map);
//! * an `object` without properties is a [`serde_json::Map`].
//!
//! ```
//! use extism_host::schema::{Base64, DateTime};
//!
//! let at: DateTime = "2024-02-29T12:34:56.789Z".parse().unwrap();
//! assert_eq!(extism_host::schema::serde_json::to_string(&at).unwrap(), r#""2024-02-29T12:34:56.789Z""#);
//! let bytes = Base64(vec![0, 1, 2, 255]);
//! assert_eq!(extism_host::schema::serde_json::to_string(&bytes).unwrap(), r#""AAEC/w==""#);
//! ```

use std::ops::{Deref, DerefMut};

use ::base64::engine::general_purpose::STANDARD;
use ::base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use chrono;
pub use serde;
pub use serde_json;

/// A `date-time` of an XTP schema: an instant in UTC.
pub type DateTime = chrono::DateTime<chrono::Utc>;

/// Bytes inside an array or a map, written as base64 text in JSON. (A field of bytes is a
/// plain `Vec<u8>` with [`base64`] as its serde module.)
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Base64(pub Vec<u8>);

impl Deref for Base64 {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for Base64 {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl From<Vec<u8>> for Base64 {
    fn from(bytes: Vec<u8>) -> Self {
        Base64(bytes)
    }
}

impl From<Base64> for Vec<u8> {
    fn from(bytes: Base64) -> Self {
        bytes.0
    }
}

impl Serialize for Base64 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        base64::serialize(&self.0, serializer)
    }
}

impl<'de> Deserialize<'de> for Base64 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        base64::deserialize(deserializer).map(Base64)
    }
}

/// `#[serde(with = "...")]` for a `Vec<u8>` written as standard, padded base64 text.
pub mod base64 {
    use super::*;

    /// Writes `bytes` as base64 text.
    ///
    /// # Errors
    /// The serializer's.
    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    /// Reads base64 text.
    ///
    /// # Errors
    /// When the text is not standard, padded base64.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }

    /// `#[serde(with = "...")]` for an `Option<Vec<u8>>`: `null`, or base64 text.
    pub mod option {
        use super::*;

        /// Writes `null` or base64 text.
        ///
        /// # Errors
        /// The serializer's.
        pub fn serialize<S: Serializer>(
            bytes: &Option<Vec<u8>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match bytes {
                Some(bytes) => super::serialize(bytes, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads `null` or base64 text.
        ///
        /// # Errors
        /// When the text is not standard, padded base64.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Vec<u8>>, D::Error> {
            Ok(Option::<Base64>::deserialize(deserializer)?.map(|b| b.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Fields {
        #[serde(with = "base64")]
        plain: Vec<u8>,
        #[serde(with = "base64::option")]
        maybe: Option<Vec<u8>>,
        nested: Vec<Base64>,
    }

    #[test]
    fn bytes_round_trip_as_base64_text() {
        let fields = Fields {
            plain: b"hello".to_vec(),
            maybe: None,
            nested: vec![Base64(vec![]), Base64(vec![255])],
        };
        let json = serde_json::to_string(&fields).unwrap();
        assert_eq!(
            json,
            r#"{"plain":"aGVsbG8=","maybe":null,"nested":["","/w=="]}"#
        );
        assert_eq!(serde_json::from_str::<Fields>(&json).unwrap(), fields);
    }

    #[test]
    fn text_that_is_not_base64_is_an_error_naming_it() {
        let error = serde_json::from_str::<Base64>(r#""not base64!""#).unwrap_err();
        assert!(error.to_string().contains("invalid base64"), "{error}");
    }
}
