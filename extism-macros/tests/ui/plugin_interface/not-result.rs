use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    fn nothing(&mut self, text: String);
    fn plain(&mut self, text: String) -> String;
    fn option(&mut self, text: String) -> Option<String>;
    fn three(&mut self, text: String) -> Result<String, Error, Error>;
}

fn main() {}
