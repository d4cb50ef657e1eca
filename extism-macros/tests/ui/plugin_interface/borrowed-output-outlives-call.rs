use extism_host::{plugin_interface, Error, Plugin};

// A borrowed output points into the plug-in until the next call: the borrow checker
// keeps it from outliving it.
#[plugin_interface]
trait Text {
    fn utf8(&mut self) -> Result<&str, Error>;
}

fn run(plugin: Plugin) -> Result<(), Error> {
    let mut text = TextPlugin::new(plugin)?;
    let first = text.utf8()?;
    let second = text.utf8()?;
    assert_eq!(first, second);
    Ok(())
}

fn main() {
    let _ = run;
}
