use extism_host::{host_fn, CurrentPlugin};

#[host_fn]
async fn plugin_name(plugin: &CurrentPlugin<'_>) -> String {
    plugin.plugin_name().to_string()
}

fn main() {}
