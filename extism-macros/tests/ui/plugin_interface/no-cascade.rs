use extism_host::{plugin_interface, Error, Plugin};

// Only the invalid option is reported: the trait, the wrapper and its API are still
// there (stubbed), so the code below adds no "cannot find" or "not implemented" errors.
#[plugin_interface]
trait VowelCounter {
    #[export(name = "")]
    fn count_vowels(&mut self, text: &str) -> Result<String, Error>;
}

struct Fake;

impl VowelCounter for Fake {
    fn count_vowels(&mut self, text: &str) -> Result<String, Error> {
        Ok(text.to_string())
    }
}

fn count(counter: &mut impl VowelCounter) -> Result<String, Error> {
    counter.count_vowels("Hello, World!")
}

fn run(plugin: Plugin) -> Result<String, Error> {
    let mut counter = VowelCounterPlugin::new(plugin)?;
    count(&mut Fake)?;
    count(&mut counter)
}

fn main() {
    let _ = run;
}
