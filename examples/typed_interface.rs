//! A plug-in behind a Rust trait: `#[plugin_interface]` generates `VowelCounterPlugin`,
//! which checks the plug-in's exports when it is made and implements the trait by
//! calling them. The application depends on the trait only, so the same code runs on the
//! Rust, AssemblyScript and C builds of count_vowels, and on a fake.
//!
//! ```sh
//! cargo run --release --example typed_interface
//! ```

use extism_host::codec::Json;
use extism_host::{plugin_interface, Error, Manifest, Plugin, PluginBuilder, Wasm};
use serde::Deserialize;

/// What count_vowels outputs.
#[derive(Debug, Deserialize)]
struct Count {
    count: u64,
    total: u64,
}

/// A vowel counter, whatever implements it.
#[plugin_interface]
trait VowelCounter {
    /// Counts the vowels of `text`; `total` adds up across calls.
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;

    /// A description, when the plug-in exports `describe` (count_vowels does not).
    #[optional]
    fn describe(&mut self) -> Result<String, Error>;
}

/// An interface count_vowels does not implement (only checked here, never called).
#[allow(dead_code)]
#[plugin_interface]
trait ResettableCounter {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error>;
    #[export(name = "reset_total")]
    fn reset(&mut self) -> Result<(), Error>;
    fn history(&mut self) -> Result<Json<Vec<u64>>, Error>;
}

/// Application code: knows the trait, not the plug-in.
fn count_three_times(counter: &mut impl VowelCounter) -> Result<Vec<u64>, Error> {
    (0..3)
        .map(|_| Ok(counter.count_vowels("Hello, World!")?.0.total))
        .collect()
}

/// A stand-in, as a test would use.
struct Fake(u64);

impl VowelCounter for Fake {
    fn count_vowels(&mut self, text: &str) -> Result<Json<Count>, Error> {
        let count = text.chars().filter(|c| "aeiouAEIOU".contains(*c)).count() as u64;
        self.0 += count;
        Ok(Json(Count {
            count,
            total: self.0,
        }))
    }

    fn describe(&mut self) -> Result<String, Error> {
        Ok("a fake vowel counter".into())
    }
}

fn wasm(file: &str) -> Wasm {
    Wasm::file(format!(
        "{}/plugins/wasm/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn main() -> Result<(), Error> {
    for file in [
        "count_vowels.rust.wasm",
        "count_vowels.as.wasm",
        "count_vowels.c.wasm",
    ] {
        let plugin = Plugin::new(Manifest::new([wasm(file)]), [], false)?;
        let mut counter = VowelCounterPlugin::new(plugin)?;
        let totals = count_three_times(&mut counter)?;
        let Json(last) = counter.count_vowels("aeiou")?;
        println!(
            "{file:<24} totals {totals:?}, then {} more: {}",
            last.count, last.total
        );
        if let Err(error) = counter.describe() {
            println!("{:<24} describe: {error}", "");
        }
    }

    println!(
        "{:<24} totals {:?}",
        "fake",
        count_three_times(&mut Fake(0))?
    );

    // Compiled once, checked, then instantiated as many times as needed.
    let compiled = PluginBuilder::new(Manifest::new([wasm("count_vowels.rust.wasm")])).compile()?;
    let mut a = VowelCounterPlugin::from_compiled(&compiled)?;
    let mut b = VowelCounterPlugin::from_compiled(&compiled)?;
    println!(
        "two instances            totals {:?} and {:?}",
        count_three_times(&mut a)?,
        count_three_times(&mut b)?
    );

    // Construction fails with `Error::Interface`, listing every export the plug-in lacks.
    match ResettableCounterPlugin::from_compiled(&compiled) {
        Ok(_) => println!("unexpected: count_vowels has reset_total and history"),
        Err(Error::Interface { missing, .. }) => {
            println!("ResettableCounter: count_vowels lacks {missing:?}")
        }
        Err(error) => return Err(error),
    }
    Ok(())
}
