//! Loads the committed count_vowels plug-in (built with the Rust extism-pdk),
//! calls it three times and prints each JSON output: the `total` var grows
//! 3, 6, 9 across calls.
//!
//! ```sh
//! cargo run --release --example count_vowels
//! ```

use extism_host::{Manifest, Plugin, Wasm};

fn main() -> Result<(), extism_host::Error> {
    let wasm = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/plugins/wasm/count_vowels.rust.wasm"
    );
    let manifest = Manifest::new([Wasm::file(wasm)]).with_config("vowels", "aeiouAEIOU");
    let mut plugin = Plugin::new(manifest, [], false)?;
    for _ in 0..3 {
        let output = plugin.call_bytes("count_vowels", b"Hello, World!")?;
        println!("{}", String::from_utf8_lossy(output));
    }
    Ok(())
}
