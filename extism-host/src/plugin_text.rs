//! Text the host copies out of a plug-in (its error message, its log lines):
//! decoded lossily and capped, since the plug-in chooses the size.

/// The most bytes of a plug-in's error message an [`Error`](crate::Error)
/// keeps.
pub(crate) const MAX_ERROR_BYTES: usize = 64 * 1024;

/// The most bytes of one log line passed to the logger and `tracing`.
pub(crate) const MAX_LOG_LINE_BYTES: usize = 1024 * 1024;

/// `bytes` as text, at most `max` bytes of it (cut at a character
/// boundary); a cut text ends by saying how long the original was.
pub(crate) fn capped(bytes: &[u8], max: usize) -> std::borrow::Cow<'_, str> {
    if bytes.len() <= max {
        return String::from_utf8_lossy(bytes);
    }
    let mut text = String::from_utf8_lossy(&bytes[..max]).into_owned();
    // A character split by the cut decodes as U+FFFD: drop it.
    if text.ends_with('\u{FFFD}') && std::str::from_utf8(&bytes[..max]).is_err() {
        text.pop();
    }
    text.push_str(&format!(" … (cut: {} bytes in all)", bytes.len()));
    text.into()
}

#[cfg(test)]
mod tests {
    use super::capped;

    #[test]
    fn short_text_is_whole() {
        assert_eq!(capped(b"abc", 3), "abc");
    }

    #[test]
    fn long_text_is_cut_and_says_its_length() {
        assert_eq!(capped(b"abcdef", 3), "abc … (cut: 6 bytes in all)");
        // "é" is two bytes; a cut through it drops it.
        assert_eq!(capped("aé".as_bytes(), 2), "a … (cut: 3 bytes in all)");
    }
}
