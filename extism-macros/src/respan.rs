//! Re-spanning generated tokens, so that errors in generated code point at
//! the user's tokens they came from.

use proc_macro2::{Group, Span, TokenStream, TokenTree};

/// `tokens` with every span, in groups too, set to `span`.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            }
            token.set_span(span);
            token
        })
        .collect()
}
