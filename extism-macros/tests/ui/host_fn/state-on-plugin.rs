use extism_host::{host_fn, CurrentPlugin};

#[host_fn]
fn name(#[state] plugin: &CurrentPlugin<'_>) -> String {
    plugin.plugin_name().to_string()
}

fn main() {}
