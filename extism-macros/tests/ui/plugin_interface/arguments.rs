use extism_host::{plugin_interface, Error};

#[plugin_interface(name = "Counter")]
trait VowelCounter {
    fn count_vowels(&mut self, text: &str) -> Result<String, Error>;
}

fn main() {}
