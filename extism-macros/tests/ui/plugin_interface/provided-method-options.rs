use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    fn count_vowels(&mut self, text: String) -> Result<String, Error>;

    // A method with a body is a provided method, not an export.
    #[export(name = "count_twice")]
    #[codec(json)]
    fn count_twice(&mut self, text: String) -> Result<String, Error> {
        self.count_vowels(text.clone())?;
        self.count_vowels(text)
    }
}

fn main() {}
