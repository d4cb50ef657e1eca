//! The newtype every serde-based format shares ([`Json`](crate::Json),
//! [`Msgpack`](crate::Msgpack)): only the format's own `encode`/`decode`
//! functions differ, so the wrapper is written once here.

/// Defines `pub struct $name<T>(pub T)` with `into_inner`, `From<T>`, and
/// `Encode`/`Decode` through the calling module's `encode` and `decode`
/// functions (which must be in scope, with `Cow`, `Error`, `Serialize` and
/// `Deserialize`). Doc comments given before the name go on the struct.
macro_rules! serde_wrapper {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name<T>(pub T);

        impl<T> $name<T> {
            /// The wrapped value.
            pub fn into_inner(self) -> T {
                self.0
            }
        }

        impl<T> From<T> for $name<T> {
            fn from(value: T) -> Self {
                $name(value)
            }
        }

        impl<T: Serialize> $crate::Encode for $name<T> {
            fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
                encode(&self.0)
            }
        }

        impl<'a, T: Deserialize<'a>> $crate::Decode<'a> for $name<T> {
            fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
                decode(bytes).map($name)
            }
        }
    };
}
