use extism_host::{plugin_interface, Error};

#[plugin_interface]
unsafe trait Store<K>: Send
where
    K: Clone,
{
    fn get(&mut self, key: String) -> Result<String, Error>;
}

fn main() {}
