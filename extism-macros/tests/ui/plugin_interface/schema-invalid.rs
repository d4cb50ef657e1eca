// trybuild compiles this in target/tests/trybuild/extism-macros/, which is then the
// crate's directory: the schema's path is relative to it.
use extism_host::plugin_interface;

#[plugin_interface(schema = "../../../../extism-macros/tests/ui/plugin_interface/schemas/invalid.yaml")]
trait Greeter {}

fn main() {}
