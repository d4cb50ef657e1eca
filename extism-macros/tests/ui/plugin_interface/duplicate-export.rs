use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    fn count_vowels(&mut self, text: String) -> Result<String, Error>;
    #[export(name = "count_vowels")]
    fn count(&mut self, text: String) -> Result<String, Error>;
}

fn main() {}
