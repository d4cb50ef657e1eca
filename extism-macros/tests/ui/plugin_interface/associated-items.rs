use extism_host::{plugin_interface, Error};

macro_rules! methods {
    () => {};
}

#[plugin_interface]
trait Store {
    type Value;
    const NAME: &'static str;
    methods!();
    fn get(&mut self, key: String) -> Result<String, Error>;
}

fn main() {}
