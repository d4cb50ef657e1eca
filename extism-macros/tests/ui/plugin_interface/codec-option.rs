use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    #[codec]
    fn bare(&mut self, text: String) -> Result<String, Error>;
    #[codec(yaml)]
    fn unknown(&mut self, text: String) -> Result<String, Error>;
    #[codec(json, msgpack)]
    fn conflicting(&mut self, text: String) -> Result<String, Error>;
    #[codec(json)]
    #[codec(json)]
    fn duplicate(&mut self, text: String) -> Result<String, Error>;
}

fn main() {}
