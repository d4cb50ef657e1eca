//! Target 1: `Manifest::from_json` never panics, and what parses round-trips.

use extism_host::Manifest;

/// Parses `text`; when it parses, `to_json` must parse back to an equal manifest,
/// and serialising that again must give the same text.
pub fn check(text: &str) {
    let Ok(manifest) = Manifest::from_json(text) else {
        return;
    };
    let json = manifest.to_json();
    let again = Manifest::from_json(&json)
        .unwrap_or_else(|e| panic!("to_json output does not parse: {e}\njson: {json}"));
    assert_eq!(
        again, manifest,
        "round trip changed the manifest\njson: {json}"
    );
    assert_eq!(again.to_json(), json, "to_json is not stable");
}
