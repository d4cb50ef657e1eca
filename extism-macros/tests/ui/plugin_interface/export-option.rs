use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    #[export]
    fn bare(&mut self) -> Result<(), Error>;
    #[export = "name_value"]
    fn name_value(&mut self) -> Result<(), Error>;
    #[export("unnamed")]
    fn unnamed(&mut self) -> Result<(), Error>;
    #[export(name = unquoted)]
    fn unquoted(&mut self) -> Result<(), Error>;
    #[export(name = "")]
    fn empty(&mut self) -> Result<(), Error>;
    #[export(rename = "x")]
    fn unknown(&mut self) -> Result<(), Error>;
}

fn main() {}
