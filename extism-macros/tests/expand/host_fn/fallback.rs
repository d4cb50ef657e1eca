// Expansion snapshot, checked by `cargo test -p extism-macros`.
// Regenerate with `EXTISM_MACROS_BLESS=1 cargo test -p extism-macros`.
//
// Input:
//
//     #[host_fn(name = "")]
//     async fn fetch(
//         plugin: &CurrentPlugin<'_>,
//         #[state]
//         client: &Client,
//         url: &str,
//     ) -> Vec<u8> {
//         client.get(url).await
//     }

::core::compile_error! {
    "`name` cannot be empty"
}
::core::compile_error! {
    "an `async` host function takes the current plug-in as `&mut CurrentPlugin`: `CurrentPlugin` is not `Sync`, so a future holding `&CurrentPlugin` across `.await` would not be `Send`"
}
async fn fetch(plugin: &CurrentPlugin<'_>, client: &Client, url: &str) -> Vec<u8> {
    client.get(url).await
}
#[allow(non_camel_case_types, dead_code)]
enum fetch {}
impl fetch {
    #[allow(dead_code)]
    fn host_function() -> ::extism_host::HostFunction {
        ::core::unreachable!()
    }
}
