use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Info {
    fn plugin(&mut self) -> Result<String, Error>;
    fn into_inner(&mut self) -> Result<String, Error>;
}

fn main() {}
