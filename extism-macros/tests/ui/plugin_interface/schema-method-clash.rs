use extism_host::{plugin_interface, Error};

#[plugin_interface(schema = "../../../../plugins/schemas/pantry.yaml")]
trait Pantry {
    fn ping(&mut self) -> Result<(), Error>;
}

#[plugin_interface(schema = "../../../../plugins/schemas/pantry.yaml")]
trait Everything {}

fn main() {}
