use extism_host::{plugin_interface, Error};

struct Text(String);

// rustc reports the missing `Encode` at the input type.
#[plugin_interface]
trait VowelCounter {
    fn count_vowels(&mut self, text: Text) -> Result<String, Error>;
}

fn main() {}
