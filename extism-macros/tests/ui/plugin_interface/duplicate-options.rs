use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    #[export(name = "a", name = "b")]
    fn twice_in_one(&mut self) -> Result<(), Error>;
    #[export(name = "c")]
    #[export(name = "d")]
    fn twice(&mut self) -> Result<(), Error>;
    #[optional]
    #[optional]
    fn optional_twice(&mut self) -> Result<(), Error>;
    #[optional(true)]
    fn optional_argument(&mut self) -> Result<(), Error>;
}

fn main() {}
