//! What a type looks like, for `#[host_fn]` and `#[plugin_interface]` alike. The macros
//! see tokens, not resolved types: each answer here comes from how the type is written,
//! so an alias counts only when its name says what it is (`io::Result<T>`).

use syn::{GenericArgument, Path, PathArguments, ReturnType, Type, TypeImplTrait, TypeParamBound};

/// `ty` without the parentheses and invisible groups around it: `(T)` is `T`, and a
/// `$t:ty` that went through `macro_rules!` arrives wrapped in an invisible group.
fn peel(mut ty: &Type) -> &Type {
    loop {
        ty = match ty {
            Type::Paren(paren) => &paren.elem,
            Type::Group(group) => &group.elem,
            _ => return ty,
        }
    }
}

/// `T`, and `E` if written, when `ty` is written `Result<T, E>` or `Result<T>` (the last
/// segment of any path, so that aliases such as `io::Result<T>` count).
///
/// A second argument that is not a type (a const parameter of an alias) still leaves a
/// `Result` whose error type only rustc knows, so `E` is then `None`, as for
/// `Result<T>`. `<X as Trait>::Result<T>` is an associated type, which may be anything.
pub(crate) fn result_types(ty: &Type) -> Option<(&Type, Option<&Type>)> {
    let Type::Path(path) = peel(ty) else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut args = args.args.iter();
    let (Some(GenericArgument::Type(ok)), error, None) = (args.next(), args.next(), args.next())
    else {
        return None;
    };
    let error = match error {
        Some(GenericArgument::Type(error)) => Some(error),
        _ => None,
    };
    Some((ok, error))
}

/// Whether `ty` is `()`, however parenthesised.
pub(crate) fn is_unit(ty: &Type) -> bool {
    matches!(peel(ty), Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// The first `impl Trait` in `ty`, at any depth (`&impl Trait`, `Vec<impl Trait>`,
/// `(u32, impl Trait)`), for its span. The generated code names every type it decodes
/// or encodes, and `impl Trait` cannot be named: it is a type parameter in argument
/// position and an opaque type in return position. A type macro is opaque here; rustc
/// reports what it expands to.
pub(crate) fn find_impl_trait(ty: &Type) -> Option<&TypeImplTrait> {
    match ty {
        Type::ImplTrait(found) => Some(found),
        Type::Array(array) => find_impl_trait(&array.elem),
        Type::Group(group) => find_impl_trait(&group.elem),
        Type::Paren(paren) => find_impl_trait(&paren.elem),
        Type::Ptr(ptr) => find_impl_trait(&ptr.elem),
        Type::Reference(reference) => find_impl_trait(&reference.elem),
        Type::Slice(slice) => find_impl_trait(&slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(find_impl_trait),
        Type::Path(path) => path
            .qself
            .as_ref()
            .and_then(|qself| find_impl_trait(&qself.ty))
            .or_else(|| in_path(&path.path)),
        Type::TraitObject(object) => object.bounds.iter().find_map(|bound| match bound {
            TypeParamBound::Trait(bound) => in_path(&bound.path),
            _ => None,
        }),
        Type::BareFn(function) => function
            .inputs
            .iter()
            .find_map(|input| find_impl_trait(&input.ty))
            .or_else(|| in_return(&function.output)),
        _ => None,
    }
}

/// The first `impl Trait` in a return type, if there is one.
pub(crate) fn in_return(output: &ReturnType) -> Option<&TypeImplTrait> {
    match output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => find_impl_trait(ty),
    }
}

/// The first `impl Trait` in the generic arguments of `path`.
fn in_path(path: &Path) -> Option<&TypeImplTrait> {
    path.segments
        .iter()
        .find_map(|segment| match &segment.arguments {
            PathArguments::None => None,
            PathArguments::AngleBracketed(args) => args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => find_impl_trait(ty),
                GenericArgument::AssocType(assoc) => find_impl_trait(&assoc.ty),
                _ => None,
            }),
            // `Fn(A) -> B`.
            PathArguments::Parenthesized(args) => args
                .inputs
                .iter()
                .find_map(find_impl_trait)
                .or_else(|| in_return(&args.output)),
        })
}

#[cfg(test)]
mod tests {
    use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
    use quote::{quote, ToTokens};
    use syn::parse_quote;

    use super::*;

    fn result(ty: Type) -> Option<(String, Option<String>)> {
        let text = |ty: &Type| ty.to_token_stream().to_string();
        result_types(&ty).map(|(ok, error)| (text(ok), error.map(text)))
    }

    fn ok_and_error(ok: &str, error: Option<&str>) -> Option<(String, Option<String>)> {
        Some((ok.to_string(), error.map(str::to_string)))
    }

    /// How `macro_rules!` passes a `$t:ty` on: in a group without delimiters.
    fn invisible_group(ty: TokenStream) -> Type {
        let group = TokenTree::Group(Group::new(Delimiter::None, ty));
        syn::parse2(group.into()).unwrap()
    }

    #[test]
    fn results_by_their_last_segment() {
        let both = ok_and_error("u32", Some("E"));
        assert_eq!(result(parse_quote!(Result<u32, E>)), both);
        assert_eq!(result(parse_quote!(::std::result::Result<u32, E>)), both);
        assert_eq!(
            result(parse_quote!(io::Result<u32>)),
            ok_and_error("u32", None)
        );
        // Neither former copy saw through parentheses or invisible groups.
        assert_eq!(result(parse_quote!((Result<u32, E>))), both);
        assert_eq!(result(invisible_group(quote!(Result<u32, E>))), both);
        // An alias with a const parameter: `#[plugin_interface]`'s copy said "not a
        // `Result`", `#[host_fn]`'s a `Result` of an unknown error type.
        assert_eq!(
            result(parse_quote!(Result<u32, 3>)),
            ok_and_error("u32", None)
        );
        let not_results: [Type; 7] = [
            parse_quote!(Result),
            syn::parse_str("Result<>").unwrap(),
            parse_quote!(Result<u32, E, F>),
            parse_quote!(Result<'static, E>),
            parse_quote!(<X as Y>::Result<u32>),
            parse_quote!(Option<u32>),
            parse_quote!(Results<u32>),
        ];
        for ty in not_results {
            assert_eq!(result(ty.clone()), None, "{}", ty.to_token_stream());
        }
    }

    #[test]
    fn unit_however_parenthesised() {
        assert!(is_unit(&parse_quote!(())));
        // `#[plugin_interface]`'s copy took these for values (to wrap in `Json<...>`).
        assert!(is_unit(&parse_quote!((()))));
        let grouped = invisible_group(quote!(()));
        assert!(matches!(grouped, Type::Group(_)));
        assert!(is_unit(&grouped));
        assert!(!is_unit(&parse_quote!(((),))));
        assert!(!is_unit(&parse_quote!(u32)));
    }

    #[test]
    fn impl_trait_at_any_depth() {
        let found =
            |ty: &Type| find_impl_trait(ty).map(|found| found.to_token_stream().to_string());
        // `#[host_fn]`'s copy looked through references and parentheses only, and
        // `#[plugin_interface]`'s input check at the top only.
        let with_impl: [Type; 12] = [
            parse_quote!(impl Trait),
            parse_quote!(&mut (impl Trait)),
            invisible_group(quote!(impl Trait)),
            parse_quote!(Vec<impl Trait>),
            parse_quote!(Result<u32, impl Trait>),
            parse_quote!((u32, impl Trait)),
            parse_quote!([impl Trait; 2]),
            parse_quote!(&[impl Trait]),
            parse_quote!(Box<dyn Iterator<Item = impl Trait>>),
            parse_quote!(Box<dyn Fn(impl Trait)>),
            parse_quote!(fn() -> impl Trait),
            parse_quote!(<impl Trait as X>::Y),
        ];
        for ty in &with_impl {
            let expected = Some("impl Trait".to_string());
            assert_eq!(found(ty), expected, "{}", ty.to_token_stream());
        }
        let concrete: [Type; 4] = [
            parse_quote!(u32),
            parse_quote!(Vec<&'a str>),
            parse_quote!(Box<dyn Trait>),
            parse_quote!(fn(u32) -> u32),
        ];
        for ty in &concrete {
            assert_eq!(found(ty), None, "{}", ty.to_token_stream());
        }
        assert!(in_return(&parse_quote!(-> Option<impl Trait>)).is_some());
        assert!(in_return(&ReturnType::Default).is_none());
    }
}
