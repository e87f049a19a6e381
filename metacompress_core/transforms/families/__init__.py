"""The transform families: one module per family, each holding the whole implementation of its transforms
(sites and rewrites) and exporting them as a TRANSFORMS tuple; `transforms.registry` lists the families.

- `comments`: comments inserted or removed
- `conditionals`: if/else branches swapped under a negated condition
- `switch`: a switch read as an if/else-if chain
- `blocks`: statements wrapped in a block, statements that never run
- `loops`: for, while and do-while forms exchanged
- `rename`: scope-aware renaming of locals and parameters
- `expressions`: operand swaps
- `booleans`: boolean equivalents (double negation, De Morgan)
- `assignments`: spellings of assignments and increments
- `variables`: unused and split local declarations
- `reorder`: adjacent independent statements swapped
- `formatting`: whitespace-only reformatting

What several families need to know about the code (scopes, declarations, control flow, purity, types, macro
uses, C dialect, text and syntax) is in `transforms.analysis`.
"""
