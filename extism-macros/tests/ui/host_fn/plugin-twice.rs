use extism_host::{host_fn, CurrentPlugin};

#[host_fn]
fn name(plugin: &CurrentPlugin<'_>, again: &mut CurrentPlugin<'_>) -> String {
    again.plugin_name().to_string() + plugin.plugin_name()
}

fn main() {}
