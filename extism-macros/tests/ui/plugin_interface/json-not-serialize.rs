use extism_host::{plugin_interface, Error};

struct Operands {
    a: i64,
    b: i64,
}

// With `#[codec(json)]`, the input must be `Serialize` (and the output `Deserialize`).
#[plugin_interface]
trait Adder {
    #[codec(json)]
    fn json_sum(&mut self, operands: Operands) -> Result<i64, Error>;
}

fn main() {}
