// Expansion snapshot, checked by `cargo test -p extism-macros`.
// Regenerate with `EXTISM_MACROS_BLESS=1 cargo test -p extism-macros`.
//
// Input:
//
//     #[plugin_interface]
//     pub trait Broken {
//         #[export(name = "")]
//         fn count(&mut self, a: u32, b: u32) -> Result<u32, Error>;
//         #[optional]
//         fn ok(&mut self) -> Result<(), Error>;
//     }

::core::compile_error! {
    "the export's name cannot be empty"
}
::core::compile_error! {
    "an export takes one input, but `count` has 2: pass one value that holds them all, such as a struct in `Json<...>`, or a tuple with `#[codec(json)]`"
}
pub trait Broken {
    fn count(&mut self, a: u32, b: u32) -> Result<u32, Error>;
    fn ok(&mut self) -> Result<(), Error>;
}
#[allow(dead_code)]
pub struct BrokenPlugin<P = ::extism_host::Plugin> {
    plugin: P,
}
const _: () = {
    #[allow(dead_code, unused_variables)]
    impl<P> BrokenPlugin<P> {
        pub fn new(plugin: P) -> ::core::result::Result<Self, ::extism_host::Error> {
            ::core::unimplemented!()
        }
        pub fn plugin(&self) -> &::extism_host::Plugin {
            ::core::unimplemented!()
        }
        pub fn plugin_mut(&mut self) -> &mut ::extism_host::Plugin {
            ::core::unimplemented!()
        }
        pub fn into_inner(self) -> P {
            self.plugin
        }
    }
    #[allow(dead_code, unused_variables)]
    impl BrokenPlugin<::extism_host::Plugin> {
        pub fn from_compiled(
            compiled: &::extism_host::CompiledPlugin,
        ) -> ::core::result::Result<Self, ::extism_host::Error> {
            ::core::unimplemented!()
        }
        pub fn check(
            compiled: &::extism_host::CompiledPlugin,
        ) -> ::core::result::Result<(), ::extism_host::Error> {
            ::core::unimplemented!()
        }
    }
    #[allow(unused_variables)]
    impl<__P: ::core::borrow::BorrowMut<::extism_host::Plugin>> Broken
    for BrokenPlugin<__P> {
        fn count(&mut self, a: u32, b: u32) -> Result<u32, Error> {
            ::core::unimplemented!()
        }
        fn ok(&mut self) -> Result<(), Error> {
            ::core::unimplemented!()
        }
    }
};
