use extism_host::plugin_interface;

#[plugin_interface(path = "schema.yaml")]
trait Unknown {}

#[plugin_interface(schema = 3)]
trait NotAString {}

#[plugin_interface(schema)]
trait NoValue {}

fn main() {}
