use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Calculator {
    fn add(&mut self, a: i64, b: i64) -> Result<i64, Error>;
}

fn main() {}
