use extism_host::codec::Encode;
use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    fn generic<T: Encode>(&mut self, input: T) -> Result<String, Error>;
    fn bounded(&mut self) -> Result<String, Error>
    where
        Self: Sized;
    fn impl_trait(&mut self, input: impl Encode) -> Result<String, Error>;
}

fn main() {}
