"""What transforms need to know about the code before they rewrite it; no transform lives here.

- `bindings/`: scope analysis (which declaration every identifier refers to), one analyser per language
- `declarations`: which names Java/C code declares, where a local was declared, what its declaration says
- `flow`: which jumps leave a construct, whether a Java statement can complete normally
- `purity`: whether evaluating an expression may have an observable effect (or throw)
- `java_types`: the static types of simple Java expressions
- `python_names`: which Python locals are certainly ints, and certainly bound
- `macro_uses`: where a C unit uses macros and what the preprocessor may do there
- `c_dialect`: C89 declaration order
- `statements`: statement lists, where statements may be inserted, moved or wrapped
- `syntax`: operator precedence, parentheses, splicing without gluing tokens
- `text`: lines (outside multi-line literals), indentation, newlines, identifiers, fresh names
"""
