use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    fn shared(&self, text: String) -> Result<String, Error>;
    fn by_value(self, text: String) -> Result<String, Error>;
    fn boxed(self: Box<Self>, text: String) -> Result<String, Error>;
    fn associated(text: String) -> Result<String, Error>;
}

fn main() {}
