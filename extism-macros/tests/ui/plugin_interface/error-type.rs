use extism_host::plugin_interface;

// The error type must convert from `extism_host::Error`.
#[plugin_interface]
trait VowelCounter {
    fn count_vowels(&mut self, text: &str) -> Result<String, std::fmt::Error>;
}

fn main() {}
