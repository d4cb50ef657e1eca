//! Plain old data ([`bytemuck::Pod`]): values as their in-memory bytes.
//!
//! The bytes are the host's in-memory representation of the value, so they match what a
//! WebAssembly guest (always little-endian) has in its memory only when the host is
//! little-endian too (x86-64, AArch64) and the type has the same layout on both sides:
//! use `#[repr(C)]` and fixed-size fields (no `usize`, no pointers, whose size differs
//! between a 32-bit guest and a 64-bit host).

use std::any::type_name;
use std::borrow::Cow;
use std::mem::{align_of, size_of};

use bytemuck::Pod as PodTrait;

use crate::{Decode, Encode, Error, ExpectedLength};

/// One [`bytemuck::Pod`] value as exactly `size_of::<T>()` bytes.
///
/// Encoding borrows the value's bytes; decoding copies them into a new value and works
/// whatever the alignment of the input.
///
/// ```
/// use extism_codec::{Decode, Encode, Pod};
///
/// let bytes = Pod([1u16, 2]).encode()?;
/// assert_eq!(&*bytes, &[1u16, 2].map(u16::to_ne_bytes).concat()[..]);
/// assert_eq!(Pod::<[u16; 2]>::decode(&bytes)?.0, [1, 2]);
///
/// let err = Pod::<[u16; 2]>::decode(&[0; 3]).unwrap_err();
/// assert_eq!(err.to_string(), "expected exactly 4 bytes for `[u16; 2]`, found 3 bytes: [00 00 00]");
/// # Ok::<(), extism_codec::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pod<T>(pub T);

impl<T> Pod<T> {
    /// The wrapped value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Pod<T> {
    fn from(value: T) -> Self {
        Pod(value)
    }
}

impl<T: PodTrait> Encode for Pod<T> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(encode(&self.0))
    }
}

impl<T: PodTrait> Decode<'_> for Pod<T> {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        decode(bytes).map(Pod)
    }
}

/// The bytes of `value`, borrowed.
pub fn encode<T: PodTrait>(value: &T) -> Cow<'_, [u8]> {
    Cow::Borrowed(bytemuck::bytes_of(value))
}

/// A `T` copied from `bytes`, which must be exactly `size_of::<T>()` long; errors name `T`.
pub fn decode<T: PodTrait>(bytes: &[u8]) -> Result<T, Error> {
    if bytes.len() != size_of::<T>() {
        return Err(Error::length::<T>(
            ExpectedLength::Exactly(size_of::<T>()),
            bytes,
        ));
    }
    Ok(bytemuck::pod_read_unaligned(bytes))
}

/// Checks that `bytes` holds a whole number of `T` (`Name` is the type named in errors),
/// and returns that number.
fn element_count<T, Name: ?Sized>(bytes: &[u8]) -> Result<usize, Error> {
    match size_of::<T>() {
        // A slice of zero-sized values has no bytes, whatever its length; the only input
        // that can be read back is the empty one, as the empty slice.
        0 if bytes.is_empty() => Ok(0),
        0 => Err(Error::length::<Name>(ExpectedLength::Exactly(0), bytes)),
        size if bytes.len().is_multiple_of(size) => Ok(bytes.len() / size),
        size => Err(Error::length::<Name>(
            ExpectedLength::MultipleOf(size),
            bytes,
        )),
    }
}

/// `bytes` as a slice of `T`, borrowed in place; errors name `Name`.
fn borrow_slice<T: PodTrait, Name: ?Sized>(bytes: &[u8]) -> Result<&[T], Error> {
    if element_count::<T, Name>(bytes)? == 0 {
        return Ok(&[]);
    }
    let address = bytes.as_ptr() as usize;
    if !address.is_multiple_of(align_of::<T>()) {
        return Err(Error::Misaligned {
            type_name: type_name::<Name>(),
            align: align_of::<T>(),
            address,
        });
    }
    // Length and alignment are checked above, so the cast cannot fail.
    Ok(bytemuck::cast_slice(bytes))
}

/// `bytes` copied into a vector of `T`; errors name `Name`.
fn copy_slice<T: PodTrait, Name: ?Sized>(bytes: &[u8]) -> Result<Vec<T>, Error> {
    let count = element_count::<T, Name>(bytes)?;
    let mut values = vec![T::zeroed(); count];
    if size_of::<T>() != 0 {
        bytemuck::cast_slice_mut::<T, u8>(&mut values).copy_from_slice(bytes);
    }
    Ok(values)
}

/// A vector of [`bytemuck::Pod`] values, as their bytes one after the other.
///
/// Encoding borrows the elements' bytes; decoding copies them into a new, properly
/// aligned vector, so it works for any input whose length is a multiple of
/// `size_of::<T>()`. To borrow in place instead see [`PodSlice`] and [`PodCow`].
///
/// ```
/// use extism_codec::{Decode, Encode, PodVec};
///
/// let bytes = PodVec(vec![1.0f32, 2.0]).encode_to_vec()?;
/// assert_eq!(bytes.len(), 8);
/// assert_eq!(PodVec::<f32>::decode(&bytes)?.0, [1.0, 2.0]);
///
/// let err = PodVec::<f32>::decode(&[0; 6]).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "expected a multiple of 4 bytes for `alloc::vec::Vec<f32>`, found 6 bytes: [00 00 00 00 00 00]",
/// );
/// # Ok::<(), extism_codec::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodVec<T>(pub Vec<T>);

impl<T> PodVec<T> {
    /// The wrapped vector.
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T> From<Vec<T>> for PodVec<T> {
    fn from(values: Vec<T>) -> Self {
        PodVec(values)
    }
}

impl<T: PodTrait> Encode for PodVec<T> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(bytemuck::cast_slice(&self.0)))
    }
}

impl<T: PodTrait> Decode<'_> for PodVec<T> {
    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        copy_slice::<T, Vec<T>>(bytes).map(PodVec)
    }
}

/// A slice of [`bytemuck::Pod`] values borrowed from the input, without copying.
///
/// Decoding fails with [`Error::Misaligned`] when the input does not start at an address
/// aligned for `T` (memory read out of a plug-in carries no alignment guarantee beyond
/// what the plug-in chose); use [`PodCow`] to borrow when possible and copy otherwise, or
/// [`PodVec`] to always copy.
///
/// ```
/// use extism_codec::{Decode, Encode, Error, PodSlice};
///
/// let values = [1u32, 2, 3];
/// let wrapped = PodSlice(&values[..]);
/// let bytes = wrapped.encode()?; // borrows `values`
/// let PodSlice(back) = PodSlice::<u32>::decode(&bytes)?; // borrows `bytes`
/// assert_eq!(back, [1, 2, 3]);
///
/// // One byte in, the input is no longer 4-byte aligned.
/// let shifted = &bytes[1..5];
/// let err = PodSlice::<u32>::decode(shifted).unwrap_err();
/// assert!(matches!(err, Error::Misaligned { align: 4, .. }));
/// assert!(err.to_string().starts_with("cannot borrow `&[u32]` in place"));
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodSlice<'a, T>(pub &'a [T]);

impl<T> Default for PodSlice<'_, T> {
    fn default() -> Self {
        PodSlice(&[])
    }
}

impl<'a, T> From<&'a [T]> for PodSlice<'a, T> {
    fn from(values: &'a [T]) -> Self {
        PodSlice(values)
    }
}

impl<T: PodTrait> Encode for PodSlice<'_, T> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(bytemuck::cast_slice(self.0)))
    }
}

impl<'a, T: PodTrait> Decode<'a> for PodSlice<'a, T> {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        borrow_slice::<T, &[T]>(bytes).map(PodSlice)
    }
}

/// A slice of [`bytemuck::Pod`] values, borrowed from the input when it is aligned for
/// `T` and copied into a vector otherwise.
///
/// ```
/// use std::borrow::Cow;
/// use extism_codec::{Decode, PodCow};
///
/// let words = [7u64, 8];
/// let bytes: &[u8] = bytemuck::cast_slice(&words);
/// assert!(matches!(PodCow::<u64>::decode(bytes)?.0, Cow::Borrowed(_)));
///
/// let mut unaligned = vec![0u8; 17];
/// unaligned[1..].copy_from_slice(bytes);
/// let PodCow(copied) = PodCow::<u64>::decode(&unaligned[1..])?;
/// assert!(matches!(copied, Cow::Owned(_)));
/// assert_eq!(*copied, [7, 8]);
/// # Ok::<(), extism_codec::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodCow<'a, T: Clone>(pub Cow<'a, [T]>);

impl<T: Clone> Default for PodCow<'_, T> {
    fn default() -> Self {
        PodCow(Cow::Borrowed(&[]))
    }
}

impl<'a, T: Clone> From<Cow<'a, [T]>> for PodCow<'a, T> {
    fn from(values: Cow<'a, [T]>) -> Self {
        PodCow(values)
    }
}

impl<T: PodTrait> Encode for PodCow<'_, T> {
    fn encode(&self) -> Result<Cow<'_, [u8]>, Error> {
        Ok(Cow::Borrowed(bytemuck::cast_slice(&self.0)))
    }
}

impl<'a, T: PodTrait> Decode<'a> for PodCow<'a, T> {
    fn decode(bytes: &'a [u8]) -> Result<Self, Error> {
        match borrow_slice::<T, Cow<'a, [T]>>(bytes) {
            Ok(values) => Ok(PodCow(Cow::Borrowed(values))),
            Err(Error::Misaligned { .. }) => {
                copy_slice::<T, Cow<'a, [T]>>(bytes).map(|values| PodCow(Cow::Owned(values)))
            }
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, bytemuck::Zeroable, bytemuck::Pod)]
    #[repr(C)]
    struct Pixel {
        x: u16,
        y: u16,
        rgba: [u8; 4],
    }

    /// A buffer whose storage is 8-byte aligned, and a view of it shifted by one byte.
    fn aligned_and_shifted(bytes: &[u8]) -> (Vec<u64>, usize) {
        let mut storage = vec![0u64; bytes.len() / 8 + 2];
        let raw: &mut [u8] = bytemuck::cast_slice_mut(&mut storage);
        raw[1..=bytes.len()].copy_from_slice(bytes);
        (storage, bytes.len())
    }

    #[test]
    fn pod_value_borrows_on_encode_and_reads_unaligned() {
        let p = Pixel {
            x: 1,
            y: 2,
            rgba: [3, 4, 5, 6],
        };
        let wrapped = Pod(p);
        let bytes = wrapped.encode().unwrap();
        assert!(matches!(bytes, Cow::Borrowed(_)));
        assert_eq!(bytes.len(), 8);
        let (storage, len) = aligned_and_shifted(&bytes);
        let raw: &[u8] = bytemuck::cast_slice(&storage);
        assert_eq!(Pod::<Pixel>::decode(&raw[1..=len]).unwrap().0, p);
    }

    #[test]
    fn pod_value_length_error() {
        let err = Pod::<Pixel>::decode(&[1; 9]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected exactly 8 bytes for `extism_codec::pod::tests::Pixel`, \
             found 9 bytes: [01 01 01 01 01 01 01 01 01]"
        );
    }

    #[test]
    fn pod_vec_copies_any_alignment() {
        let values = vec![10u32, 20, 30];
        let wrapped = PodVec(values.clone());
        let bytes = wrapped.encode().unwrap();
        let (storage, len) = aligned_and_shifted(&bytes);
        let raw: &[u8] = bytemuck::cast_slice(&storage);
        assert_eq!(PodVec::<u32>::decode(&raw[1..=len]).unwrap().0, values);
        assert_eq!(PodVec::<u32>::decode(&[]).unwrap().0, Vec::<u32>::new());
    }

    #[test]
    fn slice_length_error_names_multiple() {
        let err = PodSlice::<u32>::decode(&[0; 5]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a multiple of 4 bytes for `&[u32]`, found 5 bytes: [00 00 00 00 00]"
        );
    }

    #[test]
    fn pod_slice_borrows_when_aligned() {
        let storage = vec![1u32, 2];
        let bytes: &[u8] = bytemuck::cast_slice(&storage);
        let PodSlice(values) = PodSlice::<u32>::decode(bytes).unwrap();
        assert_eq!(values.as_ptr(), storage.as_ptr());
        assert_eq!(PodSlice::<u32>::decode(&[]).unwrap().0, &[] as &[u32]);
    }

    #[test]
    fn pod_slice_misaligned_error() {
        let (storage, len) = aligned_and_shifted(&[0; 8]);
        let raw: &[u8] = bytemuck::cast_slice(&storage);
        let input = &raw[1..=len];
        let err = PodSlice::<u32>::decode(input).unwrap_err();
        let expected = format!(
            "cannot borrow `&[u32]` in place: the input starts at address {:#x}, \
             which is not 4-byte aligned; decode into `PodVec` or `PodCow` to copy it instead",
            input.as_ptr() as usize
        );
        assert_eq!(err.to_string(), expected);
        // Byte slices need no alignment.
        assert_eq!(PodSlice::<u8>::decode(input).unwrap().0, &[0; 8]);
    }

    #[test]
    fn pod_cow_borrows_or_copies() {
        let storage = vec![5u32, 6];
        let bytes: &[u8] = bytemuck::cast_slice(&storage);
        assert!(matches!(
            PodCow::<u32>::decode(bytes).unwrap().0,
            Cow::Borrowed(_)
        ));
        let (shifted, len) = aligned_and_shifted(bytes);
        let raw: &[u8] = bytemuck::cast_slice(&shifted);
        let PodCow(values) = PodCow::<u32>::decode(&raw[1..=len]).unwrap();
        assert!(matches!(values, Cow::Owned(_)));
        assert_eq!(&*values, &[5, 6]);
        // Length errors are not papered over by copying.
        assert!(matches!(
            PodCow::<u32>::decode(&raw[1..4]).unwrap_err(),
            Error::Length { .. }
        ));
    }

    #[test]
    fn zero_sized_elements() {
        assert_eq!(PodVec::<()>::decode(&[]).unwrap().0, Vec::<()>::new());
        assert!(PodVec::<()>::encode(&PodVec(vec![(); 3]))
            .unwrap()
            .is_empty());
        let err = PodVec::<()>::decode(&[1]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected empty input for `alloc::vec::Vec<()>`, found 1 byte: [01]"
        );
        assert!(PodSlice::<()>::decode(&[]).unwrap().0.is_empty());
    }
}
