use extism_host::{plugin_interface, Error};

struct Count {
    count: u64,
}

// rustc reports the missing `Decode` at the output type.
#[plugin_interface]
trait VowelCounter {
    fn count_vowels(&mut self, text: &str) -> Result<Count, Error>;
}

fn main() {}
