use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Counter {
    async fn asynchronous(&mut self) -> Result<String, Error>;
    unsafe fn not_safe(&mut self) -> Result<String, Error>;
    extern "C" fn foreign(&mut self) -> Result<String, Error>;
}

fn main() {}
