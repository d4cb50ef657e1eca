use std::borrow::Cow;

use extism_host::{plugin_interface, Error};

// An output borrows from the plug-in, through an elided lifetime; a named one cannot be
// satisfied by the generated implementation.
#[plugin_interface]
trait Text {
    fn fixed(&mut self) -> Result<&'static str, Error>;
    fn cow(&mut self) -> Result<Cow<'static, str>, Error>;
    fn output_impl(&mut self) -> Result<impl AsRef<str>, Error>;
}

fn main() {}
