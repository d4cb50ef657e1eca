use extism_host::{plugin_interface, Error};

#[plugin_interface]
trait Everything<T> {
    type Output;
    #[export(name = "")]
    #[codec(yaml)]
    fn bad_options(&mut self) -> Result<(), Error>;
    fn shared(&self, text: String) -> Result<String, Error>;
    fn two(&mut self, a: u32, b: u32) -> Result<u32, Error>;
    fn plain(&mut self) -> u32;
    fn generic<U>(&mut self) -> Result<&'static str, Error>;
}

fn main() {}
