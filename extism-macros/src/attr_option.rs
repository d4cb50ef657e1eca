//! Options that may be given at most once, in any macro's attributes: the one place that
//! notices a repeated option and words the error, so that `#[host_fn]`,
//! `#[plugin_interface]` and `#[derive(Codec)]` say it the same way.

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ctxt::Ctxt;

/// An option that may be given at most once: the first value, and the tokens that gave
/// it (for the spans of later errors).
pub(crate) struct Once<T> {
    first: Option<(T, TokenStream)>,
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Once { first: None }
    }
}

/// A value that is one of a few named choices (an encoding): given again, the same
/// choice is a duplicate and another one a conflict, which the message spells out.
pub(crate) trait Choice: Copy + PartialEq {
    /// What the choices are, in messages: `"encoding"`.
    const KIND: &'static str;

    /// The choice as written in the attribute.
    fn name(self) -> &'static str;
}

impl<T> Once<T> {
    /// Keeps `value`, given by `tokens`, if the option was not given before; otherwise
    /// reports `tokens` as a duplicate of `option` (how messages name it: ``option
    /// `name` ``, `` `#[optional]` ``) and drops `value`. The first one stays, so that
    /// later errors point where the user first said it.
    pub(crate) fn set(&mut self, cx: &Ctxt, option: &str, tokens: impl ToTokens, value: T) {
        match self.first {
            Some(_) => cx.error_spanned_by(tokens, duplicate(option)),
            None => self.first = Some((value, tokens.into_token_stream())),
        }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.first.as_ref().map(|(value, _)| value)
    }

    /// The tokens that gave the value, for spans.
    pub(crate) fn tokens(&self) -> Option<&TokenStream> {
        self.first.as_ref().map(|(_, tokens)| tokens)
    }
}

impl<T: Choice> Once<T> {
    /// [`Once::set`] for a choice, naming the first choice when `value` conflicts with it.
    pub(crate) fn choose(&mut self, cx: &Ctxt, tokens: impl ToTokens, value: T) {
        let message = match self.get() {
            None => {
                self.first = Some((value, tokens.into_token_stream()));
                return;
            }
            Some(first) if *first == value => duplicate(&format!("{} `{}`", T::KIND, value.name())),
            Some(first) => format!(
                "conflicting {}s: `{}` here, but `{}` was given first; keep one",
                T::KIND,
                value.name(),
                first.name()
            ),
        };
        cx.error_spanned_by(tokens, message);
    }
}

fn duplicate(option: &str) -> String {
    format!("duplicate {option}")
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Color {
        Red,
        Blue,
    }

    impl Choice for Color {
        const KIND: &'static str = "color";

        fn name(self) -> &'static str {
            match self {
                Color::Red => "red",
                Color::Blue => "blue",
            }
        }
    }

    fn messages(cx: Ctxt) -> Vec<String> {
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn the_first_value_stays() {
        let cx = Ctxt::new();
        let mut name = Once::default();
        name.set(&cx, "option `name`", quote!(first), "a");
        name.set(&cx, "option `name`", quote!(second), "b");
        assert_eq!(name.get(), Some(&"a"));
        assert_eq!(name.tokens().unwrap().to_string(), "first");
        assert_eq!(messages(cx), ["duplicate option `name`"]);
    }

    #[test]
    fn a_choice_repeated_or_contradicted() {
        let cx = Ctxt::new();
        let mut color = Once::default();
        color.choose(&cx, quote!(red), Color::Red);
        color.choose(&cx, quote!(red), Color::Red);
        color.choose(&cx, quote!(blue), Color::Blue);
        assert_eq!(color.get(), Some(&Color::Red));
        assert_eq!(
            messages(cx),
            [
                "duplicate color `red`",
                "conflicting colors: `blue` here, but `red` was given first; keep one",
            ]
        );
    }
}
